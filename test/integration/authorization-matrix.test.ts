import type { Express } from 'express';
import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApp } from '../../src/http/app.ts';
import type { AppDeps } from '../../src/deps.ts';
import { FORM_BODIES, JSON_BODIES } from '../support/bodies.ts';
import { createTestDb, TestClock, testDeps, type TestDb } from '../support/db.ts';
import { Client } from '../support/http.ts';
import { listRoutes, walkRank } from '../support/routes.ts';
import { seedWorld, signedInAs, WORLD_NOW, worldEnv, worldPath, type World } from '../support/world.ts';

/**
 * Who may use which route: every registered route × every kind of caller →
 * the status it must get. The routes come from the app itself; a route with
 * no entry in ACCESS fails the test, so a new route cannot ship without
 * someone deciding who may use it.
 *
 * Callers: an anonymous visitor; a customer holding the booking's manage
 * link; staff, an admin and the owner of the tenant; the owner of another
 * tenant, whose session cookie is replayed on this tenant's host (a browser
 * would not send it; a stolen or tossed cookie would); the API key of
 * another tenant; and the tenant's own API key.
 */
type Access =
  | 'public' // anyone; answers on its own terms (a wrong password is 401 for everyone)
  | 'hook' // a provider's signed callback (Stripe, Google, Microsoft): no session, no CSRF token; the signature is the key
  | 'manage' // the manage link: its token is the key
  | 'member' // any signed-in member of this tenant: staff see their own resources' bookings
  | 'manager' // owners and admins
  | 'owner' // the owner alone
  | 'api' // a key of the tenant; another tenant's key acts on its own tenant
  | 'api:id'; // a key of the tenant; a row of this tenant is a 404 to another tenant's key

const ACCESS: Record<Access, string[]> = {
  public: [
    'GET /healthz', 'GET /readyz', 'GET /favicon.ico', 'GET /api/v1/openapi.json', 'GET /', 'GET /signup', 'POST /signup', 'GET /brand.css',
    'GET /book/:serviceId', 'GET /book/:serviceId/details', 'POST /book/:serviceId', 'GET /login', 'POST /login', 'POST /logout', 'GET /auth/handoff',
    'GET /password/forgot', 'POST /password/forgot', 'GET /password/reset/:token', 'POST /password/reset/:token', 'GET /invite/:token', 'POST /invite/:token',
    'GET /verify-email/:token', 'POST /verify-email/:token', 'GET /oauth/:provider/callback', 'GET /calendar/feeds/:file',
    'GET /book/:serviceId/waitlist', 'POST /book/:serviceId/waitlist', 'GET /waitlist/:token', 'POST /waitlist/:token/claim', 'POST /waitlist/:token/decline',
    'POST /waitlist/:token/leave',
    'POST /book/:serviceId/series',
  ],
  hook: ['POST /stripe/webhook', 'POST /calendar-push/google', 'POST /calendar-push/microsoft'],
  manage: ['GET /manage/:token', 'POST /manage/:token/cancel', 'GET /manage/:token/reschedule', 'GET /manage/:token/reschedule/confirm', 'POST /manage/:token/reschedule',
    'GET /manage/:token/payment', 'POST /manage/:token/pay', 'POST /manage/:token/cancel-series'],
  member: [
    'GET /admin', 'GET /admin/bookings/new', 'POST /admin/bookings/new', 'GET /admin/bookings', 'GET /admin/bookings.csv', 'GET /admin/bookings/:id',
    'POST /admin/bookings/:id/cancel', 'GET /admin/bookings/:id/reschedule', 'GET /admin/bookings/:id/reschedule/confirm', 'POST /admin/bookings/:id/reschedule',
    'POST /admin/bookings/:id/outcome', 'POST /admin/bookings/:id/notes', 'GET /admin/day', 'GET /admin/week', 'GET /admin/blocks', 'POST /admin/blocks',
    'POST /admin/blocks/:id/delete', 'GET /admin/account/password', 'POST /admin/account/password',
    'GET /admin/calendars', 'POST /admin/calendars/:resourceId/:provider/connect', 'GET /admin/calendars/oauth/:provider/finish',
    'POST /admin/calendars/connections/:id', 'POST /admin/calendars/connections/:id/sync', 'POST /admin/calendars/connections/:id/disconnect',
    'POST /admin/calendars/:resourceId/ics', 'POST /admin/calendars/ics/:id/delete', 'POST /admin/calendars/feeds', 'POST /admin/calendars/feeds/revoke',
    'POST /admin/bookings/:id/cancel-series',
  ],
  manager: [
    'GET /admin/settings', 'POST /admin/settings/booking-page', 'POST /admin/settings/notifications', 'POST /admin/settings/contact', 'POST /admin/settings', 'GET /admin/outbox',
    'GET /admin/outbox/:id/html', 'GET /admin/developers', 'POST /admin/developers/keys', 'POST /admin/developers/keys/:id/revoke', 'POST /admin/developers/webhooks',
    'POST /admin/developers/webhooks/:id/delete', 'GET /admin/staff', 'POST /admin/staff/invitations', 'POST /admin/staff/invitations/:id/revoke',
    'POST /admin/staff/:id/role', 'POST /admin/staff/:id/resources', 'POST /admin/staff/:id/remove', 'GET /admin/resources', 'POST /admin/resources/check',
    'POST /admin/resources', 'GET /admin/resources/:id', 'POST /admin/resources/:id/check', 'POST /admin/resources/:id', 'POST /admin/resources/:id/hours/check',
    'POST /admin/resources/:id/hours', 'POST /admin/resources/:id/overrides/check', 'POST /admin/resources/:id/overrides', 'POST /admin/resources/:id/overrides/:date/delete',
    'GET /admin/services', 'GET /admin/services/new', 'GET /admin/services/:id', 'POST /admin/services/check', 'POST /admin/services/:id/check', 'POST /admin/services',
    'POST /admin/services/:id', 'GET /admin/holidays', 'POST /admin/holidays/check', 'POST /admin/holidays', 'POST /admin/holidays/:id/delete', 'GET /admin/audit',
    'POST /admin/developers/webhooks/:id/enable', 'GET /admin/settings/payments', 'POST /admin/settings/payments/hold', 'POST /admin/settings/payments/connect',
    'GET /admin/settings/payments/refresh', 'GET /admin/settings/payments/return', 'POST /admin/bookings/:id/refunds',
    'POST /admin/bookings/:id/approve', 'POST /admin/bookings/:id/decline', 'GET /admin/waitlist', 'POST /admin/waitlist/settings',
  ],
  owner: ['POST /admin/staff/:id/ownership', 'POST /admin/verify-email'],
  api: ['GET /api/v1/resources', 'POST /api/v1/resources', 'GET /api/v1/services', 'POST /api/v1/services', 'GET /api/v1/holidays', 'POST /api/v1/holidays',
    'GET /api/v1/availability', 'POST /api/v1/bookings', 'GET /api/v1/bookings', 'GET /api/v1/webhook_endpoints', 'POST /api/v1/webhook_endpoints',
    'GET /api/v1/settings/cancellation_policy', 'PUT /api/v1/settings/cancellation_policy', 'GET /api/v1/waitlist', 'POST /api/v1/waitlist', 'POST /api/v1/series'],
  'api:id': [
    'GET /api/v1/resources/:id', 'PATCH /api/v1/resources/:id', 'DELETE /api/v1/resources/:id', 'GET /api/v1/resources/:id/schedule', 'PUT /api/v1/resources/:id/schedule',
    'GET /api/v1/services/:id', 'PATCH /api/v1/services/:id', 'DELETE /api/v1/services/:id', 'DELETE /api/v1/holidays/:id', 'GET /api/v1/bookings/:id',
    'POST /api/v1/bookings/:id/cancel', 'POST /api/v1/bookings/:id/reschedule', 'GET /api/v1/webhook_endpoints/:id', 'DELETE /api/v1/webhook_endpoints/:id',
    'POST /api/v1/bookings/:id/refunds', 'POST /api/v1/bookings/:id/approve', 'POST /api/v1/bookings/:id/decline', 'DELETE /api/v1/waitlist/:id', 'GET /api/v1/series/:id', 'POST /api/v1/series/:id/cancel',
  ],
};

const CALLERS = ['anonymous', 'customer', 'staff', 'admin', 'owner', 'otherOwner', 'otherKey', 'key'] as const;
type Caller = (typeof CALLERS)[number];

/** What the route did: served it (got past every guard, whatever the handler then said), or this refusal. */
type Outcome = 'served' | 401 | 403 | 404;

function expected(access: Access, caller: Caller, method: string, rootSite: boolean): Outcome {
  if (access === 'hook') return 'served';
  if (access === 'api' || access === 'api:id') {
    if (caller === 'key') return 'served';
    if (caller === 'otherKey') return access === 'api:id' ? 404 : 'served';
    return 401; // a session is not an API credential
  }
  // Browser routes: a write needs the site's CSRF token, which only the site's own pages hand out (the
  // root site's to any browser, this tenant's to its own tabs); API keys are no browser at all.
  const keyOnly = caller === 'otherKey' || caller === 'key';
  if (method !== 'GET' && (keyOnly || (caller === 'otherOwner' && !rootSite))) return 403;
  const member = caller === 'staff' || caller === 'admin' || caller === 'owner';
  switch (access) {
    case 'public':
      return 'served';
    case 'manage':
      return caller === 'customer' ? 'served' : 404;
    case 'member':
      return member ? 'served' : 401;
    case 'manager':
      return caller === 'admin' || caller === 'owner' ? 'served' : caller === 'staff' ? 403 : 401;
    case 'owner':
      return caller === 'owner' ? 'served' : member ? 403 : 401;
  }
}

const outcomeOf = (access: Access, status: number): Outcome | number => {
  if (status >= 500) return status;
  if (access === 'public') return status === 403 ? 403 : 'served';
  if (access === 'hook') return 'served';
  return status === 401 || status === 403 || status === 404 ? status : 'served';
};

let t: TestDb;
let deps: AppDeps;
let world: Awaited<ReturnType<typeof worldEnv>>;
let app: Express;
let other: World;
const ROOT_HOST = 'slotwise.test';
const ROOT_ONLY = new Set(['GET /signup', 'POST /signup']);

beforeAll(async () => {
  world = await worldEnv();
  t = await createTestDb();
  deps = testDeps(t, new TestClock(Date.parse(WORLD_NOW)), { RATE_LIMIT_MULTIPLIER: '10000', ...world.env });
  app = createApp(deps);
  other = await seedWorld(deps, 'mx-other');
});
afterAll(async () => {
  await t.drop();
  await world.stop();
});

const accessOf = new Map(Object.entries(ACCESS).flatMap(([access, keys]) => keys.map((k) => [k, access as Access])));
const routeKeys = () => [...new Set(listRoutes(app).flatMap((r) => r.methods.filter((m) => m !== 'HEAD' && m !== '_ALL').map((m) => `${m} ${r.path}`)))];

interface Browser {
  agent: ReturnType<typeof request.agent> | ReturnType<typeof request>;
  /** The tenant site's page, to take a fresh CSRF token from after a request that changed who is signed in. */
  tab?: Client;
  /** The root site, in a tab of its own (supertest keeps one cookie jar for every Host header). */
  root?: Client;
  bearer?: string;
}

/** A client for the caller. */
async function browserFor(caller: Caller, w: World): Promise<Browser> {
  if (caller === 'otherKey' || caller === 'key') return { agent: request(app), bearer: caller === 'key' ? w.apiKey : other.apiKey };
  const root = new Client(app, ROOT_HOST);
  await root.open('/signup');
  let tab: Client;
  if (caller === 'anonymous') {
    tab = new Client(app, w.host);
    await tab.open('/login');
  } else if (caller === 'customer') {
    tab = new Client(app, w.host);
    await tab.open(`/manage/${w.manageToken}`);
  } else if (caller === 'otherOwner') {
    // Signed in on the other tenant; this tenant's host signs that session out
    // the moment it sees it, so each request gets a fresh sign-in.
    tab = await signedInAs(app, other, 'owner');
  } else {
    tab = await signedInAs(app, w, caller);
  }
  return { agent: tab.agent, tab, root };
}

async function ask(b: Browser, key: string, w: World, caller: Caller): Promise<number> {
  const [method, pattern] = key.split(' ') as [string, string];
  let url = worldPath(pattern, w);
  // Only the customer holds this booking's link; everyone else tries one that names nothing.
  if (pattern.startsWith('/manage/') && caller !== 'customer') url = url.replace(w.manageToken, 'forged-token-that-names-nothing');
  const onRoot = ROOT_ONLY.has(key);
  const host = onRoot ? ROOT_HOST : w.host;
  const tab = onRoot ? b.root : b.tab;
  let req = (tab?.agent ?? b.agent)[method.toLowerCase() as 'get'](url).set('Host', host).set('Accept', 'application/json');
  if (tab?.token) req = req.set('X-CSRF-Token', tab.token);
  if (b.bearer) req = req.set('Authorization', `Bearer ${b.bearer}`);
  // Another tenant's key acts on its own tenant, with its own rows in the body.
  const bodyWorld = caller === 'otherKey' && accessOf.get(key) === 'api' ? other : w;
  const json = JSON_BODIES[key];
  const form = FORM_BODIES[key];
  if (json) req = req.type('json').send(JSON.stringify(json(bodyWorld)));
  else if (form) {
    const p = new URLSearchParams();
    for (const [k, v] of Object.entries(await form(deps, w))) for (const x of [v].flat()) p.append(k, x);
    req = req.type('form').send(p.toString());
  }
  const status = (await req).status;
  // Accepting an invitation signs the caller in as the new member: the page's token changes with it.
  if (key === 'POST /invite/:token' && b.tab) await b.tab.open('/password/forgot');
  return status;
}

describe('the authorization matrix', () => {
  it('has an entry for every registered route, and none for a route that is gone', () => {
    const keys = routeKeys();
    expect(keys.length).toBeGreaterThan(100);
    expect(keys.filter((k) => !accessOf.has(k)), 'routes without an ACCESS entry').toEqual([]);
    expect([...accessOf.keys()].filter((k) => !keys.includes(k)), 'ACCESS entries for no route').toEqual([]);
  });

  for (const caller of CALLERS) {
    it(`gives ${caller} exactly what its entry says, on every route`, async () => {
      const w = await seedWorld(deps, `mx-${caller.toLowerCase()}`);
      const keys = routeKeys().sort((a, b) => walkRank(a) - walkRank(b));
      const wrong: string[] = [];
      let shared = caller === 'otherOwner' ? undefined : await browserFor(caller, w);
      for (const key of keys) {
        const b = shared ?? (await browserFor(caller, w));
        const access = accessOf.get(key)!;
        const want = expected(access, caller, key.split(' ')[0]!, ROOT_ONLY.has(key));
        const status = await ask(b, key, w, caller);
        const got = outcomeOf(access, status);
        if (got !== want) wrong.push(`${key} (${access}): expected ${want}, got ${status}`);
        if (caller === 'otherOwner') shared = undefined;
      }
      expect(wrong).toEqual([]);
    }, 300_000);
  }

  it('keeps another tenant’s key to its own tenant, in what it reads and in the ids it sends', async () => {
    const w = await seedWorld(deps, 'mx-lists');
    const asOther = (path: string, body: object) => request(app).post(`/api/v1${path}`).set('Authorization', `Bearer ${other.apiKey}`).send(body);
    expect((await asOther('/bookings', JSON_BODIES['POST /api/v1/bookings']!(w))).status).toBe(404);
    const service = await asOther('/services', JSON_BODIES['POST /api/v1/services']!(w));
    expect(service.status).toBe(422);
    expect(service.body.errors).toEqual({ 'resource_ids.0': 'no such resource' });
    for (const path of ['/resources', '/services', '/holidays', '/bookings', '/webhook_endpoints']) {
      const res = await request(app).get(`/api/v1${path}`).set('Authorization', `Bearer ${other.apiKey}`);
      expect(res.status, path).toBe(200);
      expect(res.body.data.length, path).toBeGreaterThan(0); // its own rows, so "none of ours" means something
      expect(JSON.stringify(res.body), path).not.toContain(w.tenantId);
      for (const id of Object.values(w.ids)) expect(JSON.stringify(res.body), `${path} shows ${id}`).not.toContain(id);
    }
  });
});
