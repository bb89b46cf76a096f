import {
  ConfidentialClientApplication, InteractionRequiredAuthError, ServerError,
  type ICachePlugin, type INetworkModule, type NetworkRequestOptions, type NetworkResponse, type TokenCacheContext,
} from '@azure/msal-node';
import type { Config } from '../config.ts';
import { rootOrigin } from '../config.ts';
import { isUuid } from '../db/tenant.ts';
import { outbound, OutboundError, type Outbound } from '../http/outbound.ts';
import { isValidISODate, isValidTimeZone, wallTimeToInstant } from '../scheduling/index.ts';
import { newChannelSecret } from './channels.ts';
import { GrantError, ProviderError, type CalendarInfo, type Channel, type EventChange, type Listing, type OutgoingEvent, type ProviderClient } from './provider.ts';
import type { CalendarRow } from './queries.ts';

/**
 * Microsoft 365 / Outlook.com: msal-node's authorization-code flow for the
 * grant, Microsoft Graph over HTTPS for the calendars (REFERENCE "Microsoft
 * Graph (msal-node)"). The refresh token lives only in msal's token cache,
 * so the grant we store (encrypted) is that cache plus the account's
 * homeAccountId; a cache plugin loads it into each client and hands back
 * what msal changed. MS_LOGIN_BASE replaces the login host of every msal
 * request (msal refuses a plain-http authority, so the rewrite sits in a
 * custom network client); MS_GRAPH_BASE replaces Graph's root.
 */
export const MS_CALLBACK_PATH = '/oauth/microsoft/callback';
export const MS_PUSH_PATH = '/calendar-push/microsoft';
export const MS_SCOPES = ['Calendars.ReadWrite', 'User.Read'];
const LOGIN_HOST = 'https://login.microsoftonline.com';
const AUTHORITY = `${LOGIN_HOST}/common`;
const TIMEOUT_MS = 15_000;
/** Graph subscriptions on events last under 3 days (4230 minutes): renewed a day before. */
const SUBSCRIPTION_TTL_MS = 70 * 3600_000;
const LOOKBACK_MS = 24 * 3600_000;
const HORIZON_MS = 2 * 366 * 24 * 3600_000;

type MsConfig = NonNullable<Config['microsoft']>;

function msConfig(config: Config): MsConfig {
  if (!config.microsoft) throw new Error('Microsoft 365 is not configured');
  return config.microsoft;
}

export const msRedirectUri = (config: Config) => `${rootOrigin(config)}${MS_CALLBACK_PATH}`;

const toLogin = (ms: MsConfig, url: string) => (ms.loginBase ? url.replace(LOGIN_HOST, ms.loginBase) : url);

/**
 * All of Microsoft's traffic goes through the one guarded client
 * (src/http/outbound.ts): public https destinations only unless the
 * operator allows otherwise, no redirects followed, time and size limits.
 */
const MAX_BYTES = 4 * 1024 * 1024;
const client = (config: Config): Outbound => outbound(config);

const flatHeaders = (h: Record<string, string | string[] | undefined>) =>
  Object.fromEntries(Object.entries(h).filter(([, v]) => v !== undefined).map(([k, v]) => [k.toLowerCase(), Array.isArray(v) ? v.join(', ') : v!]));

/** msal's HTTP, sent where MS_LOGIN_BASE says. */
function networkClient(config: Config, ms: MsConfig): INetworkModule {
  async function send<T>(method: 'GET' | 'POST', url: string, options?: NetworkRequestOptions): Promise<NetworkResponse<T>> {
    let res;
    try {
      res = await client(config).fetch(toLogin(ms, url), { method, headers: options?.headers ?? {}, ...(method === 'POST' ? { body: options?.body ?? '' } : {}), timeoutMs: TIMEOUT_MS, maxBytes: MAX_BYTES });
    } catch (err) {
      throw err instanceof OutboundError ? new ProviderError(`Microsoft sign-in: ${err.reason}`) : err;
    }
    let body: unknown = {};
    try {
      body = res.body.length ? JSON.parse(res.body.toString('utf8')) : {};
    } catch {
      body = { error: 'invalid_response' };
    }
    return { status: res.status, headers: flatHeaders(res.headers), body: body as T };
  }
  return { sendGetRequestAsync: (url, options) => send('GET', url, options), sendPostRequestAsync: (url, options) => send('POST', url, options) };
}

/** The token cache of one connection, in memory for one client's life. */
class CachePlugin implements ICachePlugin {
  data: string;
  changed = false;
  constructor(data: string) {
    this.data = data;
  }
  async beforeCacheAccess(ctx: TokenCacheContext): Promise<void> {
    if (this.data) ctx.tokenCache.deserialize(this.data);
  }
  async afterCacheAccess(ctx: TokenCacheContext): Promise<void> {
    if (!ctx.cacheHasChanged) return;
    this.data = ctx.tokenCache.serialize();
    this.changed = true;
  }
}

function msalApp(config: Config, cache: CachePlugin): ConfidentialClientApplication {
  const ms = msConfig(config);
  return new ConfidentialClientApplication({
    auth: { clientId: ms.clientId, clientSecret: ms.clientSecret, authority: AUTHORITY },
    cache: { cachePlugin: cache },
    system: { networkClient: networkClient(config, ms) },
  });
}

export async function msAuthUrl(config: Config, state: string): Promise<string> {
  const url = await msalApp(config, new CachePlugin('')).getAuthCodeUrl({ scopes: MS_SCOPES, redirectUri: msRedirectUri(config), state, prompt: 'select_account' });
  return toLogin(msConfig(config), url);
}

interface StoredGrant {
  homeAccountId: string;
  cache: string;
}

/** The code exchanged: the grant to keep (account id + token cache) and the account's address. */
export async function exchangeMsCode(config: Config, code: string): Promise<{ grant: string; account: string }> {
  const cache = new CachePlugin('');
  try {
    const result = await msalApp(config, cache).acquireTokenByCode({ code, scopes: MS_SCOPES, redirectUri: msRedirectUri(config) });
    if (!result.account) throw new GrantError('Microsoft returned no account; connect again.');
    return { grant: JSON.stringify({ homeAccountId: result.account.homeAccountId, cache: cache.data } satisfies StoredGrant), account: result.account.username };
  } catch (err) {
    throw asGrantOrProvider(err);
  }
}

function asGrantOrProvider(err: unknown): Error {
  if (err instanceof GrantError || err instanceof ProviderError) return err;
  if (err instanceof InteractionRequiredAuthError) return new GrantError(`Microsoft: ${err.errorCode || 'interaction_required'}`);
  if (err instanceof ServerError && /invalid_grant|interaction_required/.test(`${err.errorCode} ${err.message}`)) return new GrantError(`Microsoft: ${err.errorCode}`);
  return new ProviderError(`Microsoft sign-in failed: ${String((err as { errorCode?: string }).errorCode ?? (err as Error).message)}`.slice(0, 300));
}

interface GraphEvent {
  id: string;
  subject?: string;
  showAs?: string;
  isCancelled?: boolean;
  isAllDay?: boolean;
  transactionId?: string | null;
  start?: { dateTime: string; timeZone: string };
  end?: { dateTime: string; timeZone: string };
  responseStatus?: { response?: string };
  '@removed'?: { reason?: string };
}

export function outlookClient(config: Config, tenantId: string, connectionId: string, sealedGrantPlain: string, zone = 'UTC'): ProviderClient {
  const ms = msConfig(config);
  const stored = JSON.parse(sealedGrantPlain) as StoredGrant;
  const cache = new CachePlugin(stored.cache);
  const app = msalApp(config, cache);

  async function token(forceRefresh: boolean): Promise<string> {
    try {
      const account = await app.getTokenCache().getAccountByHomeId(stored.homeAccountId);
      if (!account) throw new GrantError('Microsoft: the account is no longer in the token cache.');
      return (await app.acquireTokenSilent({ account, scopes: MS_SCOPES, forceRefresh })).accessToken;
    } catch (err) {
      throw asGrantOrProvider(err);
    }
  }

  /** One Graph call; a 401 gets one forced refresh, a second 401 means the grant is refused. */
  async function graph<T>(method: 'GET' | 'POST' | 'PATCH' | 'DELETE', pathOrUrl: string, body?: unknown, headers: Record<string, string> = {}): Promise<{ status: number; data: T }> {
    const url = pathOrUrl.startsWith('/') ? `${ms.graphBase}${pathOrUrl}` : pathOrUrl;
    // Links Graph hands back (delta, next page) must stay on Graph: nothing else gets our token.
    if (!url.startsWith(`${ms.graphBase}/`)) throw new ProviderError('Graph returned a link outside Graph');
    for (const force of [false, true]) {
      const bearer = await token(force);
      let res;
      try {
        res = await client(config).fetch(url, {
          method,
          headers: { Authorization: `Bearer ${bearer}`, Accept: 'application/json', Prefer: 'outlook.timezone="UTC", odata.maxpagesize=50', ...(body ? { 'Content-Type': 'application/json' } : {}), ...headers },
          ...(body ? { body: JSON.stringify(body) } : {}),
          timeoutMs: TIMEOUT_MS,
          maxBytes: MAX_BYTES,
        });
      } catch (err) {
        throw err instanceof OutboundError ? new ProviderError(`Graph: ${err.reason}`) : err;
      }
      if (res.status === 401 && !force) continue;
      if (res.status === 401) throw new GrantError('Microsoft: HTTP 401 after a token refresh');
      if (res.truncated) throw new ProviderError('Graph: answer too large');
      const text = res.body.toString('utf8');
      const data = (text ? JSON.parse(text) : {}) as T & { error?: { code?: string } };
      if (res.status < 200 || res.status >= 300) throw new ProviderError(`Graph: HTTP ${res.status}${data.error?.code ? `: ${data.error.code}` : ''}`, res.status);
      return { status: res.status, data };
    }
    throw new Error('unreachable');
  }

  const calendarPath = (id: string) => `/me/calendars/${encodeURIComponent(id)}`;

  async function delta(start: string): Promise<{ items: GraphEvent[]; deltaLink: string | null }> {
    const items: GraphEvent[] = [];
    let next: string | null = start;
    let deltaLink: string | null = null;
    while (next) {
      const page: { data: { value?: GraphEvent[]; '@odata.nextLink'?: string; '@odata.deltaLink'?: string } } = await graph('GET', next);
      items.push(...(page.data.value ?? []));
      next = page.data['@odata.nextLink'] ?? null;
      deltaLink = page.data['@odata.deltaLink'] ?? deltaLink;
    }
    return { items, deltaLink };
  }

  return {
    async calendars(): Promise<CalendarInfo[]> {
      const { data } = await graph<{ value?: { id: string; name?: string; isDefaultCalendar?: boolean; canEdit?: boolean }[] }>('GET', '/me/calendars?$top=100');
      return (data.value ?? []).filter((c) => c.canEdit !== false).map((c) => ({ id: c.id, name: c.name ?? c.id, timeZone: zone, primary: !!c.isDefaultCalendar }));
    },

    async list(calendar: CalendarRow, now: Date): Promise<Listing> {
      const fresh = `${calendarPath(calendar.calendar_id)}/calendarView/delta?startDateTime=${new Date(now.getTime() - LOOKBACK_MS).toISOString()}&endDateTime=${new Date(now.getTime() + HORIZON_MS).toISOString()}`;
      let full = !calendar.sync_token;
      let got;
      try {
        got = await delta(calendar.sync_token ?? fresh);
      } catch (err) {
        // An expired delta token (410, or Graph's syncStateNotFound): read everything again.
        if (!(err instanceof ProviderError) || full || !(err.status === 410 || /syncStateNotFound|resyncRequired/i.test(err.message))) throw err;
        full = true;
        got = await delta(fresh);
      }
      return { full, syncToken: got.deltaLink, changes: got.items.map((e) => judgeGraph(e, calendar.time_zone, now)) };
    },

    async watch(calendar: CalendarRow, now: Date): Promise<Channel> {
      const expires = new Date(now.getTime() + SUBSCRIPTION_TTL_MS);
      if (calendar.channel_id && calendar.channel_token) {
        try {
          await graph('PATCH', `/subscriptions/${encodeURIComponent(calendar.channel_id)}`, { expirationDateTime: expires.toISOString() });
          return { channel_id: calendar.channel_id, channel_token: calendar.channel_token, channel_resource_id: null, channel_expires_at: expires };
        } catch (err) {
          if (!(err instanceof ProviderError) || err.status !== 404) throw err;
        }
      }
      const clientState = newChannelSecret(config, tenantId, connectionId);
      const { data } = await graph<{ id: string; expirationDateTime?: string }>('POST', '/subscriptions', {
        changeType: 'created,updated,deleted',
        notificationUrl: `${rootOrigin(config)}${MS_PUSH_PATH}`,
        resource: `${calendarPath(calendar.calendar_id)}/events`,
        expirationDateTime: expires.toISOString(),
        clientState,
      });
      return { channel_id: data.id, channel_token: clientState, channel_resource_id: null, channel_expires_at: data.expirationDateTime ? new Date(data.expirationDateTime) : expires };
    },

    async writeEvent(calendarId: string, eventId: string | null, e: OutgoingEvent): Promise<string> {
      const body = {
        subject: e.summary,
        body: { contentType: 'text', content: e.description },
        start: { dateTime: e.start.toISOString().replace('Z', ''), timeZone: 'UTC' },
        end: { dateTime: e.end.toISOString().replace('Z', ''), timeZone: 'UTC' },
        showAs: 'busy',
        isReminderOn: false,
        attendees: e.attendee ? [{ emailAddress: { address: e.attendee.email, name: e.attendee.name }, type: 'required' }] : [],
      };
      if (eventId) {
        try {
          await graph('PATCH', `/me/events/${encodeURIComponent(eventId)}`, body);
          return eventId;
        } catch (err) {
          if (!(err instanceof ProviderError) || err.status !== 404) throw err;
        }
      }
      // transactionId: Graph creates one event per id, so a retried POST cannot add a second.
      const { data } = await graph<{ id: string }>('POST', `${calendarPath(calendarId)}/events`, { ...body, transactionId: e.bookingId });
      return data.id;
    },

    async deleteEvent(_calendarId: string, eventId: string): Promise<void> {
      try {
        await graph('DELETE', `/me/events/${encodeURIComponent(eventId)}`);
      } catch (err) {
        if (!(err instanceof ProviderError) || (err.status !== 404 && err.status !== 410)) throw err;
      }
    },

    // Graph offers no revocation of one app's delegated grant (revokeSignInSessions ends every session of the user):
    // disconnecting deletes the token cache with the row.
    async revoke(): Promise<void> {},

    changedGrant: () => (cache.changed ? JSON.stringify({ homeAccountId: stored.homeAccountId, cache: cache.data } satisfies StoredGrant) : null),
  };
}

/** A Graph event as sync sees it: busy unless free, cancelled, declined, removed, over or beyond any horizon. */
export function judgeGraph(e: GraphEvent, zone: string, now: Date): EventChange {
  const removed = !!e['@removed'] || !!e.isCancelled;
  const start = graphInstant(e.start, e.isAllDay, zone);
  const end = graphInstant(e.end, e.isAllDay, zone);
  const blocks = !removed && e.showAs !== 'free' && e.responseStatus?.response !== 'declined'
    && start !== null && end !== null && end > start && end > now.getTime() - LOOKBACK_MS && start <= now.getTime() + HORIZON_MS;
  return {
    id: e.id,
    ownBooking: e.transactionId && isUuid(e.transactionId) ? e.transactionId : null,
    removed,
    busy: blocks ? { start: new Date(start!), end: new Date(end!) } : null,
    start,
    end,
    label: e.subject ?? '',
  };
}

/** Graph's `{ dateTime, timeZone }` (UTC, as we ask with Prefer); all-day dates are whole days in the calendar's zone. */
function graphInstant(t: GraphEvent['start'], allDay: boolean | undefined, zone: string): number | null {
  if (!t?.dateTime) return null;
  if (allDay) {
    const date = t.dateTime.slice(0, 10);
    return isValidISODate(date) ? wallTimeToInstant(date, '00:00', isValidTimeZone(zone) ? zone : 'UTC') : null;
  }
  const ms = Date.parse(/[zZ]|[+-]\d{2}:\d{2}$/.test(t.dateTime) ? t.dateTime : `${t.dateTime}Z`);
  return Number.isFinite(ms) ? ms : null;
}
