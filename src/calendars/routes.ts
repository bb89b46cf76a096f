import express, { Router, type Request, type Response } from 'express';
import { z } from 'zod';
import type { AppDeps } from '../deps.ts';
import { tenantOrigin } from '../config.ts';
import { isUuid, withTenant, type TenantTx } from '../db/tenant.ts';
import { audit } from '../audit/log.ts';
import { safeEqual } from '../auth/tokens.ts';
import { HttpError, notFound } from '../http/errors.ts';
import { uuidParam } from '../http/params.ts';
import { scopeResources, type Viewer } from '../admin/scope.ts';
import { formatInZoneWithName } from '../scheduling/index.ts';
import type { Tenant } from '../tenancy/queries.ts';
import { log } from '../log.ts';
import { sealGrant } from './crypto.ts';
import { readChannelSecret } from './channels.ts';
import { clientFor, PROVIDER_NAME } from './clients.ts';
import { feedByToken, feedCalendar, feedsOf, feedUrl, newFeed, revokeFeed } from './feeds.ts';
import { exchangeGoogleCode, GOOGLE_PUSH_PATH, googleAuthUrl } from './google.ts';
import { newNonce, sessionBinding, signState, STATE_TTL_MS, verifyState } from './oauth-state.ts';
import { exchangeMsCode, MS_PUSH_PATH, msAuthUrl } from './outlook.ts';
import { describeError } from './provider.ts';
import { addIcsSubscription, enqueueIcsPoll, icsUrlProblem } from './ics-import.ts';
import { outbound } from '../http/outbound.ts';
import { calendarsOf, chooseCalendars, conflicts, connectionById, connectionsOf, enqueuePull, saveConnection, type Provider } from './queries.ts';

const viewerOf = (req: Request): Viewer => ({ id: req.user!.id, role: req.user!.role });
const tenantOf = (res: Response) => res.locals.tenant as Tenant;

const badState = () => new HttpError(400, 'invalid_state', 'Link expired', 'This connection link is invalid, already used or expired. Start again from the dashboard.');

/** The providers by the name in their URLs (`/oauth/google/callback`, `/oauth/microsoft/callback`). */
const PROVIDERS: Record<string, Provider> = { google: 'google', microsoft: 'outlook' };
const SLUG: Record<Provider, string> = { google: 'google', outlook: 'microsoft' };

function providerParam(value: unknown): Provider {
  const p = PROVIDERS[String(value)];
  if (!p) throw notFound();
  return p;
}

/** Why a provider's connect button is disabled, or null when it can be connected. */
export function providerUnavailable(deps: AppDeps, provider: Provider): string | null {
  if (provider === 'google' && !deps.config.google) return 'Google Calendar is not configured on this server (GOOGLE_CLIENT_ID and GOOGLE_CLIENT_SECRET).';
  if (provider === 'outlook' && !deps.config.microsoft) return 'Microsoft 365 is not configured on this server (MS_CLIENT_ID and MS_CLIENT_SECRET).';
  if (!deps.config.encryptionKey) return 'ENCRYPTION_KEY is not set, so calendar access cannot be stored safely.';
  return null;
}

const authUrl = (deps: AppDeps, provider: Provider, state: string) => (provider === 'google' ? Promise.resolve(googleAuthUrl(deps.config, state)) : msAuthUrl(deps.config, state));
const exchange = (deps: AppDeps, provider: Provider, code: string) => (provider === 'google' ? exchangeGoogleCode(deps.config, code) : exchangeMsCode(deps.config, code));

/**
 * The fixed OAuth redirect URI on the root domain. It checks the state's
 * signature and expiry (it names the tenant) and hands the browser back to
 * the tenant's subdomain, where the session is: that page checks the
 * session binding, uses the nonce once and exchanges the code.
 */
export function calendarRootRoutes(deps: AppDeps): Router {
  const r = Router();
  r.get('/oauth/:provider/callback', (req, res) => {
    const provider = providerParam(req.params.provider);
    const claims = verifyState(deps.config, req.query.state, deps.now().getTime());
    if (!claims || claims.p !== provider) throw badState();
    const params = new URLSearchParams({ state: String(req.query.state) });
    if (typeof req.query.code === 'string') params.set('code', req.query.code);
    if (typeof req.query.error === 'string') params.set('error', req.query.error.slice(0, 100));
    res.redirect(303, `${tenantOrigin(deps.config, claims.h)}/admin/calendars/oauth/${SLUG[provider]}/finish?${params}`);
  });
  return r;
}

/**
 * Push notifications, mounted before sessions and CSRF (src/http/app.ts):
 * providers send no cookies and no CSRF token. A notification counts only if
 * its secret (Google's channel token, Graph's clientState) carries our
 * signature and equals the one stored for that channel of that connection;
 * anything else is refused and enqueues nothing. Answered at once; the pull
 * runs as a job (one per connection however many notifications arrive).
 */
export function calendarPushRoutes(deps: AppDeps): Router {
  const r = Router();

  /** Enqueue a pull if the channel is one we made; false when it is not. */
  async function accept(secret: string, channelId: string, resourceId: string | null, pull: boolean): Promise<boolean> {
    const named = readChannelSecret(deps.config, secret);
    if (!named || !channelId || channelId.length > 200) return false;
    return withTenant(deps.db, named.tenantId, async (tx) => {
      const calendar = await tx('calendar_calendars').where({ connection_id: named.connectionId, channel_id: channelId }).first('channel_token', 'channel_resource_id');
      if (!calendar || !calendar.channel_token || !safeEqual(calendar.channel_token, secret)) return false;
      if (resourceId !== null && calendar.channel_resource_id && calendar.channel_resource_id !== resourceId) return false;
      if (pull) await enqueuePull(tx, named.connectionId);
      return true;
    });
  }

  r.post(GOOGLE_PUSH_PATH, async (req, res) => {
    // The first message of a channel ("sync") only says it exists.
    const ok = await accept(req.get('X-Goog-Channel-Token') ?? '', req.get('X-Goog-Channel-Id') ?? '', req.get('X-Goog-Resource-Id') ?? '', req.get('X-Goog-Resource-State') !== 'sync');
    res.status(ok ? 200 : 404).end();
  });

  r.post(MS_PUSH_PATH, express.json({ limit: '256kb' }), async (req, res) => {
    // Graph's handshake when a subscription is made or renewed: echo the token as plain text within 10 seconds.
    if (typeof req.query.validationToken === 'string') {
      res.status(200).type('text/plain').send(req.query.validationToken.slice(0, 2000));
      return;
    }
    const items = Array.isArray(req.body?.value) ? (req.body.value as { subscriptionId?: unknown; clientState?: unknown }[]).slice(0, 100) : [];
    let accepted = 0;
    for (const n of items) {
      if (await accept(String(n.clientState ?? ''), String(n.subscriptionId ?? ''), null, true)) accepted++;
    }
    res.status(accepted ? 202 : 404).end();
  });
  return r;
}

/** A resource's ICS feed, opened by its secret alone (calendar apps send no cookies). */
export function feedRoutes(deps: AppDeps): Router {
  const r = Router();
  r.get('/calendar/feeds/:file', async (req, res) => {
    const m = /^([A-Za-z0-9_-]{43})\.ics$/.exec(String(req.params.file));
    if (!m) throw notFound();
    const tenant = tenantOf(res);
    const body = await withTenant(deps.db, tenant.id, async (tx) => {
      const feed = await feedByToken(tx, deps.config, m[1]!);
      return feed && feedCalendar(tx, deps.config, tenant, feed.resource_id, deps.now());
    });
    if (!body) throw notFound();
    res.set('Cache-Control', 'private, max-age=300').type('text/calendar; charset=utf-8').send(body);
  });
  return r;
}

const ChoiceForm = z.object({
  blocks: z.union([z.string(), z.array(z.string())]).optional().transform((v) => (v === undefined ? [] : Array.isArray(v) ? v : [v])),
  receives: z.string().optional().transform((v) => (v ? v : null)),
  inviteCustomer: z.string().optional().transform((v) => v === 'on'),
});

/** The sync panel and its actions, under /admin (behind requireUser). Staff manage their own resource only. */
export function calendarAdminRoutes(deps: AppDeps): Router {
  const r = Router();

  async function visibleResource(tx: TenantTx, req: Request, id: string) {
    return scopeResources(tx, viewerOf(req)).where({ id }).first('id', 'name', 'time_zone');
  }

  async function page(req: Request, res: Response, status = 200, extra: Record<string, unknown> = {}) {
    const tenant = tenantOf(res);
    const data = await withTenant(deps.db, tenant.id, async (tx) => {
      const resources = await scopeResources(tx, viewerOf(req)).where({ active: true }).orderBy(['position', 'name']).select('id', 'name', 'time_zone');
      const connections = await connectionsOf(tx, resources.map((x: { id: string }) => x.id));
      const withCalendars = [];
      for (const c of connections) withCalendars.push({ ...c, calendars: await calendarsOf(tx, c.id) });
      const subscriptions = await tx('ics_subscriptions').whereIn('resource_id', resources.map((x: { id: string }) => x.id)).orderBy('created_at');
      return { resources, connections: withCalendars, feeds: await feedsOf(tx), conflicts: await conflicts(tx), subscriptions };
    });
    const at = (d: Date | null, zone: string) => (d ? formatInZoneWithName(d.getTime(), zone) : 'never');
    res.status(status).render('admin/calendars', {
      title: 'Calendar sync',
      googleUnavailable: providerUnavailable(deps, 'google'),
      microsoftUnavailable: providerUnavailable(deps, 'outlook'),
      providerName: PROVIDER_NAME,
      canManageBusiness: req.user!.role !== 'staff',
      resources: data.resources.map((x: { id: string; name: string; time_zone: string }) => {
        const c = data.connections.find((k) => k.resourceId === x.id);
        return {
          ...x,
          hasFeed: data.feeds.some((f) => f.resource_id === x.id),
          subscriptions: data.subscriptions.filter((k: { resource_id: string }) => k.resource_id === x.id)
            .map((k: { last_fetched_at: Date | null }) => ({ ...k, lastFetched: at(k.last_fetched_at, x.time_zone) })),
          connection: c && {
            ...c,
            lastSynced: at(c.lastSyncedAt, x.time_zone),
            channelExpiry: c.calendars.filter((k) => k.channel_expires_at).map((k) => at(k.channel_expires_at, x.time_zone))[0] ?? 'no push channel (polling)',
          },
        };
      }),
      businessFeed: data.feeds.some((f) => f.resource_id === null),
      conflicts: data.conflicts.map((k) => ({ ...k, when: formatInZoneWithName(k.starts_at.getTime(), tenant.timeZone) })),
      ...extra,
    });
  }

  r.get('/calendars', (req, res) => page(req, res));

  r.post('/calendars/:resourceId/:provider/connect', async (req, res) => {
    const resourceId = uuidParam(req.params.resourceId);
    const provider = providerParam(req.params.provider);
    const unavailable = providerUnavailable(deps, provider);
    if (unavailable) return page(req, res, 422, { error: unavailable });
    const tenant = tenantOf(res);
    const nonce = newNonce();
    const now = deps.now().getTime();
    const ok = await withTenant(deps.db, tenant.id, async (tx) => {
      if (!(await visibleResource(tx, req, resourceId))) return false;
      await tx('oauth_states').where('expires_at', '<', new Date(now)).del();
      await tx('oauth_states').insert({ tenant_id: tx.tenantId, nonce, expires_at: new Date(now + STATE_TTL_MS) });
      return true;
    });
    if (!ok) throw notFound();
    const state = signState(deps.config, { t: tenant.id, h: tenant.slug, r: resourceId, p: provider, n: nonce, s: sessionBinding(deps.config, req.sessionID), e: now + STATE_TTL_MS });
    res.redirect(303, await authUrl(deps, provider, state));
  });

  r.get('/calendars/oauth/:provider/finish', async (req, res) => {
    const provider = providerParam(req.params.provider);
    const tenant = tenantOf(res);
    const claims = verifyState(deps.config, req.query.state, deps.now().getTime());
    if (!claims || claims.t !== tenant.id || claims.p !== provider || !safeEqual(claims.s, sessionBinding(deps.config, req.sessionID))) throw badState();
    const used = await withTenant(deps.db, tenant.id, async (tx) =>
      (await tx('oauth_states').where({ nonce: claims.n }).where('expires_at', '>', deps.now()).del()) > 0);
    if (!used) throw badState();
    const name = PROVIDER_NAME[provider];
    if (typeof req.query.code !== 'string' || !req.query.code) {
      req.session.flash = `${name} was not connected: access was not granted.`;
      return res.redirect(303, '/admin/calendars');
    }
    let granted: { grant: string; account: string };
    try {
      granted = await exchange(deps, provider, req.query.code);
    } catch (err) {
      log.warn('calendar connect failed', { tenantId: tenant.id, provider, error: describeError(err) });
      return page(req, res, 502, { error: `${name} could not be connected (${describeError(err)}). Try again.` });
    }
    const saved = await withTenant(deps.db, tenant.id, async (tx) => {
      if (!(await visibleResource(tx, req, claims.r))) return false;
      const c = await saveConnection(tx, { resourceId: claims.r, provider, account: granted.account, grantSealed: sealGrant(deps.config, granted.grant), createdBy: req.user!.id });
      // The first pull reads the calendar list, the events and opens the push channels.
      await enqueuePull(tx, c.id);
      await audit(tx, { userId: req.user!.id }, { action: 'calendar.connect', subjectType: 'calendar_connection', subjectId: c.id, after: { provider, account: granted.account, resource_id: claims.r } });
      return true;
    });
    if (!saved) throw notFound();
    req.session.flash = `${name} connected. Its events block time from the first sync.`;
    res.redirect(303, '/admin/calendars');
  });

  async function ownConnection(tx: TenantTx, req: Request, id: string) {
    const c = await connectionById(tx, id);
    return c && (await visibleResource(tx, req, c.resourceId)) ? c : undefined;
  }

  r.post('/calendars/connections/:id', async (req, res) => {
    const id = uuidParam(req.params.id);
    const f = ChoiceForm.safeParse(req.body ?? {});
    if (!f.success) return page(req, res, 422, { error: 'Choose calendars from the list.' });
    const done = await withTenant(deps.db, tenantOf(res).id, async (tx) => {
      const c = await ownConnection(tx, req, id);
      if (!c) return 'missing';
      const known = new Set((await calendarsOf(tx, id)).map((k) => k.calendar_id));
      if (f.data.blocks.some((b) => !known.has(b)) || (f.data.receives && !known.has(f.data.receives))) return 'invalid';
      await chooseCalendars(tx, id, f.data.blocks, f.data.receives);
      await tx('calendar_connections').where({ id }).update({ invite_customer: f.data.inviteCustomer });
      await enqueuePull(tx, id);
      await audit(tx, { userId: req.user!.id }, { action: 'calendar.choose', subjectType: 'calendar_connection', subjectId: id, after: f.data });
      return 'ok';
    });
    if (done === 'missing') throw notFound();
    if (done === 'invalid') return page(req, res, 422, { error: 'Choose calendars from the list.' });
    req.session.flash = 'Calendar choices saved.';
    res.redirect(303, '/admin/calendars');
  });

  r.post('/calendars/connections/:id/sync', async (req, res) => {
    const id = uuidParam(req.params.id);
    const ok = await withTenant(deps.db, tenantOf(res).id, async (tx) => {
      if (!(await ownConnection(tx, req, id))) return false;
      await enqueuePull(tx, id);
      return true;
    });
    if (!ok) throw notFound();
    req.session.flash = 'A sync is on its way.';
    res.redirect(303, '/admin/calendars');
  });

  r.post('/calendars/connections/:id/disconnect', async (req, res) => {
    const id = uuidParam(req.params.id);
    const removed = await withTenant(deps.db, tenantOf(res).id, async (tx) => {
      const c = await ownConnection(tx, req, id);
      if (!c) return undefined;
      await tx('calendar_connections').where({ id }).del(); // its calendars, links and busy blocks go with it
      await audit(tx, { userId: req.user!.id }, { action: 'calendar.disconnect', subjectType: 'calendar_connection', subjectId: id, before: { provider: c.provider, account: c.account } });
      return c;
    });
    if (!removed) throw notFound();
    // Revoke at the provider too; the grant is already gone from the database whatever it answers.
    await clientFor(deps.config, tenantOf(res).id, removed).revoke().catch((err: unknown) => log.warn('calendar revoke failed', { error: describeError(err) }));
    req.session.flash = 'Disconnected. Its events no longer block time.';
    res.redirect(303, '/admin/calendars');
  });

  r.post('/calendars/:resourceId/ics', async (req, res) => {
    const resourceId = uuidParam(req.params.resourceId);
    const url = String(req.body?.url ?? '').trim();
    const problem = url.length > 2000 ? 'Use an address of at most 2000 characters.' : icsUrlProblem(outbound(deps.config), url);
    if (problem) return page(req, res, 422, { icsErrors: { [resourceId]: problem }, icsValues: { [resourceId]: url } });
    const ok = await withTenant(deps.db, tenantOf(res).id, async (tx) => {
      if (!(await visibleResource(tx, req, resourceId))) return false;
      const id = await addIcsSubscription(tx, { resourceId, url, createdBy: req.user!.id });
      await enqueueIcsPoll(tx, id);
      await audit(tx, { userId: req.user!.id }, { action: 'calendar.ics_add', subjectType: 'ics_subscription', subjectId: id, after: { resource_id: resourceId, url } });
      return true;
    });
    if (!ok) throw notFound();
    req.session.flash = 'Subscribed. Its events block time from the first fetch.';
    res.redirect(303, '/admin/calendars');
  });

  r.post('/calendars/ics/:id/delete', async (req, res) => {
    const id = uuidParam(req.params.id);
    const ok = await withTenant(deps.db, tenantOf(res).id, async (tx) => {
      const sub = await tx('ics_subscriptions').where({ id }).whereIn('resource_id', scopeResources(tx, viewerOf(req)).select('id')).first('id', 'url');
      if (!sub) return false;
      await tx('ics_subscriptions').where({ id }).del(); // its busy blocks go with it
      await audit(tx, { userId: req.user!.id }, { action: 'calendar.ics_remove', subjectType: 'ics_subscription', subjectId: id, before: { url: sub.url } });
      return true;
    });
    if (!ok) throw notFound();
    req.session.flash = 'Unsubscribed. Its events no longer block time.';
    res.redirect(303, '/admin/calendars');
  });

  const feedScope = async (tx: TenantTx, req: Request, raw: unknown): Promise<string | null | false> => {
    if (raw === 'business') return req.user!.role === 'staff' ? false : null;
    if (!isUuid(raw)) return false;
    return (await visibleResource(tx, req, raw)) ? raw : false;
  };

  r.post('/calendars/feeds', async (req, res) => {
    const tenant = tenantOf(res);
    const token = await withTenant(deps.db, tenant.id, async (tx) => {
      const scope = await feedScope(tx, req, req.body?.scope);
      if (scope === false) return undefined;
      const t = await newFeed(tx, deps.config, scope);
      await audit(tx, { userId: req.user!.id }, { action: 'calendar.feed_new', subjectType: 'ics_feed', subjectId: scope ?? tenant.id, after: {} });
      return t;
    });
    if (!token) throw notFound();
    return page(req, res, 200, { newFeedUrl: feedUrl(deps.config, tenant, token) });
  });

  r.post('/calendars/feeds/revoke', async (req, res) => {
    const tenant = tenantOf(res);
    const ok = await withTenant(deps.db, tenant.id, async (tx) => {
      const scope = await feedScope(tx, req, req.body?.scope);
      if (scope === false) return false;
      await revokeFeed(tx, scope);
      await audit(tx, { userId: req.user!.id }, { action: 'calendar.feed_revoke', subjectType: 'ics_feed', subjectId: scope ?? tenant.id, after: {} });
      return true;
    });
    if (!ok) throw notFound();
    req.session.flash = 'The feed URL no longer works.';
    res.redirect(303, '/admin/calendars');
  });
  return r;
}
