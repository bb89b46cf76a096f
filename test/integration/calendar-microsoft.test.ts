import request from 'supertest';
import { Temporal } from 'temporal-polyfill';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Express } from 'express';
import { createApp } from '../../src/http/app.ts';
import type { AppDeps } from '../../src/deps.ts';
import { withTenant } from '../../src/db/tenant.ts';
import { cancelBooking, createBooking, findAvailability, rescheduleBooking } from '../../src/bookings/service.ts';
import { wallTimeToInstant } from '../../src/scheduling/index.ts';
import { pushBooking } from '../../src/calendars/push.ts';
import { enqueuePull } from '../../src/calendars/queries.ts';
import { unsealGrant } from '../../src/calendars/crypto.ts';
import { createTestDb, TestClock, testDeps, type TestDb } from '../support/db.ts';
import { makeTenant, signedIn, type Client } from '../support/http.ts';
import { makeResource, makeService } from '../support/catalog.ts';
import { runJobs } from '../support/jobs.ts';
import { FakeGraph } from '../fakes/graph.ts';

const NY = 'America/New_York';
let t: TestDb;
let deps: AppDeps;
let app: Express;
let ms: FakeGraph;
let owner: Client;
let tenantId: string;
let resourceId: string;
let serviceId: string;
let connectionId: string;

const day = (n: number) => Temporal.Now.plainDateISO(NY).add({ days: n }).toString();
const at = (n: number, hhmm: string) => wallTimeToInstant(day(n), hhmm, NY);
/** Graph's rendering with `Prefer: outlook.timezone="UTC"`: no offset, seven decimals. */
const graphTime = (ms: number) => ({ dateTime: new Date(ms).toISOString().replace('Z', '0000'), timeZone: 'UTC' });
const work = () => runJobs(t, deps);

async function freeStarts(n: number): Promise<number[]> {
  const { slots } = await findAvailability(deps, tenantId, { serviceId, resourceId, range: { start: at(n, '00:00'), end: at(n + 1, '00:00') } });
  return slots.map((s) => s.start);
}

/** Graph telling us events changed, with what the subscription was given. */
function notify(clientState?: string) {
  const [id, s] = [...ms.subscriptions.entries()].at(-1)!;
  return request(app).post('/calendar-push/microsoft').set('Host', 'slotwise.test')
    .send({ value: [{ subscriptionId: id, clientState: clientState ?? s.clientState, changeType: 'updated', resource: s.resource }] });
}

beforeAll(async () => {
  ms = await new FakeGraph().start();
  t = await createTestDb();
  deps = testDeps(t, new TestClock(), {
    MS_CLIENT_ID: 'ms-client-id', MS_CLIENT_SECRET: 'ms-secret', MS_LOGIN_BASE: ms.url, MS_GRAPH_BASE: ms.graphBase, ENCRYPTION_KEY: 'b2'.repeat(32),
    // The fake is on 127.0.0.1 over http: the operator's switches of the guarded client let it through.
    OUTBOUND_ALLOW_HTTP: 'true', OUTBOUND_ALLOW_PRIVATE: 'true',
  });
  app = createApp(deps);
  tenantId = (await makeTenant(deps, 'outlook', { timeZone: NY })).tenant.id;
  resourceId = (await makeResource(deps, tenantId, 'Pat', NY, [['00:00', '24:00']])).id;
  serviceId = (await makeService(deps, tenantId, [resourceId], { name: 'Fitting', durationMin: 60, intervalMin: 60 })).id;
  owner = await signedIn(app, 'outlook.slotwise.test', 'owner@outlook.example');
});
afterAll(async () => {
  await t.drop();
  await ms.stop();
});

describe('Microsoft 365 / Outlook.com', () => {
  it('connects through msal (code on the root domain, handed back to the subdomain), keeping the token cache encrypted', async () => {
    const start = await owner.post(`/admin/calendars/${resourceId}/microsoft/connect`);
    expect(start.status).toBe(303);
    const consent = new URL(start.headers.location!);
    expect(consent.origin).toBe(ms.url); // MS_LOGIN_BASE replaced the login host
    expect(consent.searchParams.get('redirect_uri')).toBe('http://slotwise.test/oauth/microsoft/callback');
    const state = consent.searchParams.get('state')!;
    // A Google callback cannot take a Microsoft state.
    expect((await request(app).get(`/oauth/google/callback?code=x&state=${encodeURIComponent(state)}`).set('Host', 'slotwise.test')).status).toBe(400);
    const back = await request(app).get(`/oauth/microsoft/callback?code=${ms.grantCode()}&state=${encodeURIComponent(state)}`).set('Host', 'slotwise.test');
    const finish = new URL(back.headers.location!);
    expect(finish.host).toBe('outlook.slotwise.test');
    const done = await owner.get(finish.pathname + finish.search);
    expect(done.status).toBe(303);
    const row = await t.owner('calendar_connections').first();
    connectionId = row.id;
    expect(row.provider).toBe('outlook');
    expect(row.account).toBe('pat@outlook.example');
    expect(row.grant_sealed).not.toMatch(/ms-refresh-/);
    expect(unsealGrant(deps.config, row.grant_sealed)).toMatch(/ms-refresh-/); // the refresh token lives in msal's cache
  });

  it('answers the validation handshake, and busy time follows delta sync and notifications; free events do not block', async () => {
    const hello = await request(app).post('/calendar-push/microsoft?validationToken=abc%20123').set('Host', 'slotwise.test');
    expect(hello.status).toBe(200);
    expect(hello.headers['content-type']).toMatch(/^text\/plain/);
    expect(hello.text).toBe('abc 123');

    ms.put({ id: 'ev-dentist', subject: 'Dentist', start: graphTime(at(3, '10:00')), end: graphTime(at(3, '11:00')) });
    ms.put({ id: 'ev-free', subject: 'Maybe', showAs: 'free', start: graphTime(at(3, '13:00')), end: graphTime(at(3, '14:00')) });
    ms.put({ id: 'ev-declined', subject: 'No', responseStatus: { response: 'declined' }, start: graphTime(at(3, '15:00')), end: graphTime(at(3, '16:00')) });
    await work();
    let free = await freeStarts(3);
    expect(free).not.toContain(at(3, '10:00'));
    expect(free).toContain(at(3, '13:00'));
    expect(free).toContain(at(3, '15:00'));
    const [, sub] = [...ms.subscriptions.entries()].at(-1)!;
    expect(sub.notificationUrl).toBe('http://slotwise.test/calendar-push/microsoft');
    expect(Date.parse(sub.expirationDateTime) - Date.now()).toBeLessThan(3 * 24 * 3600_000);

    ms.remove('ev-dentist');
    ms.put({ id: 'ev-lunch', subject: 'Lunch', start: graphTime(at(3, '12:00')), end: graphTime(at(3, '12:30')) });
    expect((await notify()).status).toBe(202);
    await work();
    free = await freeStarts(3);
    expect(free).toContain(at(3, '10:00'));
    expect(free).not.toContain(at(3, '12:00'));

    ms.expireDeltaTokens();
    await withTenant(deps.db, tenantId, (tx) => enqueuePull(tx, connectionId));
    await work();
    expect(await freeStarts(3)).not.toContain(at(3, '12:00'));
  });

  it('refuses a forged clientState', async () => {
    const [, sub] = [...ms.subscriptions.entries()].at(-1)!;
    expect((await notify(`${sub.clientState.slice(0, -3)}abc`)).status).toBe(404);
    expect((await notify('nothing')).status).toBe(404);
  });

  it('writes one event per booking (transactionId), moves and deletes it, never imports it, and follows moves made in Outlook', async () => {
    const customer = { name: 'Lee', email: 'lee@example.com', phone: null, timeZone: 'America/Los_Angeles' };
    const { booking } = await createBooking(deps, tenantId, { source: 'public', userId: null }, { serviceId, resourceId, start: at(5, '10:00'), customer, notes: null });
    await work();
    const ours = () => ms.live().filter((e) => e.transactionId === booking.id);
    expect(ours()).toHaveLength(1);
    expect(Date.parse(`${ours()[0]!.start!.dateTime}Z`)).toBe(at(5, '10:00'));
    await t.owner('calendar_booking_events').where({ booking_id: booking.id }).del();
    await pushBooking(deps, tenantId, booking.id); // a retry that lost the answer
    expect(ours()).toHaveLength(1);

    await rescheduleBooking(deps, tenantId, { source: 'public', userId: null }, { bookingId: booking.id, start: at(5, '14:00') });
    await work();
    expect(Date.parse(`${ours()[0]!.start!.dateTime}Z`)).toBe(at(5, '14:00'));
    await notify();
    await work();
    expect(await t.owner('busy_blocks').where({ resource_id: resourceId, external_id: ours()[0]!.id })).toHaveLength(0);

    // Moved in Outlook to a free time: the booking follows.
    ms.change(ours()[0]!.id, { start: graphTime(at(5, '16:00')), end: graphTime(at(5, '17:00')) });
    await notify();
    await work();
    expect((await t.owner('bookings').where({ id: booking.id }).first()).starts_at.getTime()).toBe(at(5, '16:00'));

    await cancelBooking(deps, tenantId, { source: 'public', userId: null }, booking.id, null);
    await work();
    expect(ours()).toHaveLength(0);
  });

  it('a revoked grant marks the connection broken and mails the owner once', async () => {
    ms.revokeAll();
    await withTenant(deps.db, tenantId, (tx) => enqueuePull(tx, connectionId));
    await work();
    await withTenant(deps.db, tenantId, (tx) => enqueuePull(tx, connectionId));
    await work();
    const row = await t.owner('calendar_connections').where({ id: connectionId }).first();
    expect(row.status).toBe('broken');
    const mails = await t.owner('outbox_messages').where({ kind: 'calendar_broken' });
    expect(mails.map((m) => m.to_address)).toEqual(['owner@outlook.example']);
    expect(mails[0]!.subject).toContain('Outlook');
  });
});
