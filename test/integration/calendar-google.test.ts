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
import { eventIdFor, IMPORT_HORIZON_MS } from '../../src/calendars/google.ts';
import { FULL_REREAD_MS } from '../../src/calendars/sync.ts';
import { enqueuePull } from '../../src/calendars/queries.ts';
import { createTestDb, TestClock, testDeps, type TestDb } from '../support/db.ts';
import { makeTenant, signedIn, type Client } from '../support/http.ts';
import { makeResource, makeService } from '../support/catalog.ts';
import { runJobs } from '../support/jobs.ts';
import { FakeGoogle } from '../fakes/google.ts';

const NY = 'America/New_York';
const PRIMARY = 'pat@example.com';

let t: TestDb;
let deps: AppDeps;
let app: Express;
let google: FakeGoogle;
let owner: Client;
let tenantId: string;
let resourceId: string;
let serviceId: string;
let connectionId: string;
const clock = new TestClock();

/** A day a few days ahead in New York, and instants on it. */
const day = (n: number) => Temporal.Now.plainDateISO(NY).add({ days: n }).toString();
const at = (n: number, hhmm: string) => wallTimeToInstant(day(n), hhmm, NY);
const iso = (ms: number) => new Date(ms).toISOString();
/** Google's own rendering: local time with the offset. */
const local = (ms: number) => Temporal.Instant.fromEpochMilliseconds(ms).toZonedDateTimeISO(NY).toString({ timeZoneName: 'never' });

async function freeStarts(n: number): Promise<number[]> {
  const { slots } = await findAvailability(deps, tenantId, { serviceId, resourceId, range: { start: at(n, '00:00'), end: at(n + 1, '00:00') } });
  return slots.map((s) => s.start);
}

const work = () => runJobs(t, deps);
const watchOf = (calendarId: string) => google.watches.filter((w) => w.calendarId === calendarId).at(-1)!;

/** Google telling us a calendar changed, with the headers of the channel it was given. */
function notify(calendarId = PRIMARY, over: Record<string, string> = {}) {
  const w = watchOf(calendarId);
  return request(app).post('/calendar-push/google').set('Host', 'slotwise.test').set({
    'X-Goog-Channel-Id': w.id, 'X-Goog-Channel-Token': w.token, 'X-Goog-Resource-Id': w.resourceId, 'X-Goog-Resource-State': 'exists', ...over,
  });
}

const pendingPulls = async () => Number((await t.owner('graphile_worker._private_jobs as j').join('graphile_worker._private_tasks as k', 'k.id', 'j.task_id')
  .where('k.identifier', 'calendars__pull').count<{ count: string }[]>('* as count'))[0]!.count);

async function connect(client: Client): Promise<void> {
  const start = await client.post(`/admin/calendars/${resourceId}/google/connect`);
  expect(start.status).toBe(303);
  const consent = new URL(start.headers.location!);
  expect(consent.origin + consent.pathname).toBe(`${google.url}/auth`);
  expect(consent.searchParams.get('access_type')).toBe('offline');
  expect(consent.searchParams.get('redirect_uri')).toBe('http://slotwise.test/oauth/google/callback');
  const state = consent.searchParams.get('state')!;
  // Google sends the browser to the fixed redirect URI on the root domain…
  const back = await request(app).get(`/oauth/google/callback?code=${google.grantCode()}&state=${encodeURIComponent(state)}`).set('Host', 'slotwise.test');
  expect(back.status).toBe(303);
  const finish = new URL(back.headers.location!);
  expect(finish.host).toBe('cal.slotwise.test');
  // …which hands it back to the tenant's subdomain, where the session is.
  const done = await client.get(finish.pathname + finish.search);
  expect(done.status).toBe(303);
  expect(done.headers.location).toBe('/admin/calendars');
  // The same state a second time: single-use.
  expect((await client.get(finish.pathname + finish.search)).status).toBe(400);
}

beforeAll(async () => {
  google = await new FakeGoogle().start();
  t = await createTestDb();
  deps = testDeps(t, clock, {
    GOOGLE_CLIENT_ID: 'client-id', GOOGLE_CLIENT_SECRET: 'client-secret',
    GOOGLE_AUTH_URL: `${google.url}/auth`, GOOGLE_TOKEN_URL: `${google.url}/token`, GOOGLE_REVOKE_URL: `${google.url}/revoke`, GOOGLE_API_ROOT: `${google.url}/`,
    ENCRYPTION_KEY: 'a1'.repeat(32),
  });
  app = createApp(deps);
  const made = await makeTenant(deps, 'cal', { timeZone: NY });
  tenantId = made.tenant.id;
  resourceId = (await makeResource(deps, tenantId, 'Pat', NY, [['00:00', '24:00']])).id;
  serviceId = (await makeService(deps, tenantId, [resourceId], { name: 'Fitting', durationMin: 60, intervalMin: 60 })).id;
  owner = await signedIn(app, 'cal.slotwise.test', 'owner@cal.example');
});
afterAll(async () => {
  await t.drop();
  await google.stop();
});

describe('Google Calendar: connect and busy time in', () => {
  it('refuses a forged or foreign state before anything is exchanged', async () => {
    const forged = await request(app).get('/oauth/google/callback?code=x&state=eyJ0IjoiMSJ9.bad').set('Host', 'slotwise.test');
    expect(forged.status).toBe(400);
    const start = await owner.post(`/admin/calendars/${resourceId}/google/connect`);
    const state = new URL(start.headers.location!).searchParams.get('state')!;
    // Another browser (another session) cannot finish it.
    const other = await signedIn(app, 'cal.slotwise.test', 'owner@cal.example');
    const res = await other.get(`/admin/calendars/oauth/google/finish?code=${google.grantCode()}&state=${encodeURIComponent(state)}`);
    expect(res.status).toBe(400);
    expect(await t.owner('calendar_connections').count<{ count: string }[]>('* as count')).toEqual([{ count: '0' }]);
  });

  it('connects; an event removes the overlapping slot after one sync and after a push; a free one does not; a deleted one gives it back', async () => {
    await connect(owner);
    const row = await t.owner('calendar_connections').first();
    connectionId = row.id;
    expect(row.account).toBe(PRIMARY);
    expect(row.grant_sealed).not.toMatch(/refresh-/); // encrypted at rest
    google.put(PRIMARY, { id: 'dentist', summary: 'Dentist', start: { dateTime: local(at(3, '10:00')) }, end: { dateTime: local(at(3, '11:00')) } });
    google.put(PRIMARY, { id: 'free', summary: 'Maybe', transparency: 'transparent', start: { dateTime: local(at(3, '13:00')) }, end: { dateTime: local(at(3, '14:00')) } });
    google.put(PRIMARY, { id: 'declined', summary: 'No', attendees: [{ email: PRIMARY, self: true, responseStatus: 'declined' }], start: { dateTime: local(at(3, '15:00')) }, end: { dateTime: local(at(3, '16:00')) } });
    google.put(PRIMARY, { id: 'holiday', summary: 'Off', start: { date: day(4) }, end: { date: day(5) } });
    await work();
    let free = await freeStarts(3);
    expect(free).not.toContain(at(3, '10:00'));
    expect(free).toContain(at(3, '13:00'));
    expect(free).toContain(at(3, '15:00'));
    expect(await freeStarts(4)).toEqual([]); // all day, in New York
    expect(free).toContain(at(3, '23:00'));
    expect(watchOf(PRIMARY).address).toBe('http://slotwise.test/calendar-push/google');

    google.put(PRIMARY, { id: 'lunch', summary: 'Lunch', start: { dateTime: local(at(3, '12:00')) }, end: { dateTime: local(at(3, '12:30')) } });
    expect((await notify()).status).toBe(200);
    await work();
    free = await freeStarts(3);
    expect(free).not.toContain(at(3, '12:00'));

    google.remove(PRIMARY, 'dentist');
    expect((await notify()).status).toBe(200);
    await work();
    free = await freeStarts(3);
    expect(free).toContain(at(3, '10:00'));
    expect(free).not.toContain(at(3, '12:00'));
    const panel = await owner.get('/admin/calendars');
    expect(panel.text).toContain('Events imported');
    expect(panel.text).not.toContain('never');
  });

  it('reads everything again when the sync token has expired (410)', async () => {
    google.expireSyncTokens();
    google.put(PRIMARY, { id: 'gym', summary: 'Gym', start: { dateTime: local(at(3, '17:00')) }, end: { dateTime: local(at(3, '18:00')) } });
    await withTenant(deps.db, tenantId, (tx) => enqueuePull(tx, connectionId));
    await work();
    const free = await freeStarts(3);
    expect(free).not.toContain(at(3, '17:00'));
    expect(free).not.toContain(at(3, '12:00'));
    expect(free).toContain(at(3, '10:00'));
    expect(await t.owner('busy_blocks').where({ connection_id: connectionId, external_id: 'lunch' })).toHaveLength(1);
  });

  it('reads everything again every week, so a recurring event’s later instances come inside the horizon', async () => {
    // Beyond the import horizon today: the incremental reads never mention it again, unchanged.
    const later = new Date(clock.now().getTime() + IMPORT_HORIZON_MS + 3 * 86_400_000);
    google.put(PRIMARY, { id: 'far', summary: 'Far', start: { dateTime: later.toISOString() }, end: { dateTime: new Date(later.getTime() + 3600_000).toISOString() } });
    await withTenant(deps.db, tenantId, (tx) => enqueuePull(tx, connectionId));
    await work();
    expect(await t.owner('busy_blocks').where({ connection_id: connectionId, external_id: 'far' })).toHaveLength(0);
    clock.advance(FULL_REREAD_MS);
    try {
      await withTenant(deps.db, tenantId, (tx) => enqueuePull(tx, connectionId));
      await work();
      expect(await t.owner('busy_blocks').where({ connection_id: connectionId, external_id: 'far' })).toHaveLength(1);
    } finally {
      // Back to today, and read in full there, so what a week later had left behind is back.
      clock.advance(-FULL_REREAD_MS);
      await t.owner('calendar_calendars').where({ connection_id: connectionId }).update({ full_read_at: null });
      await withTenant(deps.db, tenantId, (tx) => enqueuePull(tx, connectionId));
      await work();
    }
  });

  it('refuses forged push notifications and enqueues nothing for them', async () => {
    const before = await pendingPulls();
    const w = watchOf(PRIMARY);
    expect((await notify(PRIMARY, { 'X-Goog-Channel-Token': `${w.token.slice(0, -2)}xx` })).status).toBe(404);
    expect((await notify(PRIMARY, { 'X-Goog-Channel-Id': 'another-channel' })).status).toBe(404);
    expect((await notify(PRIMARY, { 'X-Goog-Resource-Id': 'res-other' })).status).toBe(404);
    expect((await request(app).post('/calendar-push/google').set('Host', 'slotwise.test')).status).toBe(404);
    expect(await pendingPulls()).toBe(before);
  });
});

describe('bookings out, and edits flowing back', () => {
  const customer = { name: 'Lee', email: 'lee@example.com', phone: null, timeZone: 'America/Los_Angeles' };
  const book = (start: number, by: 'public' | 'admin' = 'public') =>
    createBooking(deps, tenantId, { source: by, userId: null }, { serviceId, resourceId, start, customer, notes: 'Bring fabric' });
  const eventOf = (bookingId: string) => google.live(PRIMARY).filter((e) => e.id === eventIdFor(bookingId));

  it('creates one event with the right instants, a retry adds no second, a reschedule moves it, a cancel deletes it, and it is never busy', async () => {
    const { booking } = await book(at(5, '10:00'));
    await work();
    let events = eventOf(booking.id);
    expect(events).toHaveLength(1);
    expect(Date.parse(events[0]!.start!.dateTime!)).toBe(at(5, '10:00'));
    expect(Date.parse(events[0]!.end!.dateTime!)).toBe(at(5, '11:00'));
    expect(events[0]!.start!.timeZone).toBe(NY);
    expect(events[0]!.summary).toBe('Fitting: Lee');
    expect(String(events[0]!.description)).toContain(`http://cal.slotwise.test/admin/bookings/${booking.id}`);
    expect(events[0]!.attendees).toEqual([]); // the business has not allowed inviting the customer

    // A retry that lost the first answer: the derived id finds the same event.
    await t.owner('calendar_booking_events').where({ booking_id: booking.id }).del();
    await pushBooking(deps, tenantId, booking.id);
    expect(google.live(PRIMARY).filter((e) => e.summary === 'Fitting: Lee')).toHaveLength(1);

    await notify();
    await work();
    expect(await t.owner('busy_blocks').where({ resource_id: resourceId, external_id: eventIdFor(booking.id) })).toHaveLength(0);

    await rescheduleBooking(deps, tenantId, { source: 'public', userId: null }, { bookingId: booking.id, start: at(5, '14:00') });
    await work();
    events = eventOf(booking.id);
    expect(Date.parse(events[0]!.start!.dateTime!)).toBe(at(5, '14:00'));
    await notify();
    await work();
    const after = (await t.owner('bookings').where({ id: booking.id }).first());
    expect(after.starts_at.getTime()).toBe(at(5, '14:00')); // our own write came back and changed nothing

    await cancelBooking(deps, tenantId, { source: 'public', userId: null }, booking.id, null);
    await work();
    expect(eventOf(booking.id)).toHaveLength(0);
    expect(await t.owner('calendar_booking_events').where({ booking_id: booking.id })).toHaveLength(0);
  });

  it('a move in Google reschedules the booking, a delete cancels it, a move onto a taken time flags the conflict', async () => {
    const moved = (await book(at(6, '09:00'))).booking;
    const taken = (await book(at(6, '11:00'))).booking;
    const deleted = (await book(at(6, '15:00'))).booking;
    await work();
    google.change(PRIMARY, eventIdFor(moved.id), { start: { dateTime: local(at(6, '13:00')) }, end: { dateTime: local(at(6, '14:00')) } });
    await notify();
    await work();
    const m = await t.owner('bookings').where({ id: moved.id }).first();
    expect(m.starts_at.getTime()).toBe(at(6, '13:00'));
    expect(m.status).toBe('confirmed');
    expect(await t.owner('notifications').where({ booking_id: moved.id, kind: 'booking_rescheduled', to_address: customer.email })).toHaveLength(1);

    google.remove(PRIMARY, eventIdFor(deleted.id));
    await notify();
    await work();
    const d = await t.owner('bookings').where({ id: deleted.id }).first();
    expect(d.status).toBe('cancelled');
    expect(await t.owner('notifications').where({ booking_id: deleted.id, kind: 'booking_cancelled', to_address: customer.email })).toHaveLength(1);

    // Onto the other booking's time: not bookable, so the booking stays and the dashboard says why.
    google.change(PRIMARY, eventIdFor(moved.id), { start: { dateTime: local(at(6, '11:00')) }, end: { dateTime: local(at(6, '12:00')) } });
    await notify();
    await work();
    expect((await t.owner('bookings').where({ id: moved.id }).first()).starts_at.getTime()).toBe(at(6, '13:00'));
    expect((await t.owner('bookings').where({ id: taken.id }).first()).starts_at.getTime()).toBe(at(6, '11:00'));
    const link = await t.owner('calendar_booking_events').where({ booking_id: moved.id }).first();
    expect(link.conflict).toMatch(/not bookable/);
    expect((await owner.get('/admin/calendars')).text).toContain('Needs attention');
    expect((await owner.get('/admin')).text).toMatch(/1 booking was moved in a calendar to a time that is not bookable/);
  });
});

describe('feeds and health', () => {
  it('serves the ICS feed only with its secret, and a new URL stops the old one', async () => {
    const made = await owner.post('/admin/calendars/feeds', { scope: resourceId });
    expect(made.status).toBe(200);
    const url = new URL(/<code class="feed-url">([^<]+)<\/code>/.exec(made.text)![1]!);
    const feed = await request(app).get(url.pathname).set('Host', url.host);
    expect(feed.status).toBe(200);
    expect(feed.headers['content-type']).toMatch(/^text\/calendar/);
    const booking = await t.owner('bookings').where({ status: 'confirmed' }).orderBy('starts_at').first();
    expect(feed.text).toContain(`UID:${booking.id}@slotwise.test`);
    expect(feed.text).toContain(`DTSTART:${iso(booking.starts_at.getTime()).replace(/[-:]/g, '').replace('.000', '')}`);
    expect((await request(app).get(`/calendar/feeds/${'A'.repeat(43)}.ics`).set('Host', url.host)).status).toBe(404);
    // Another tenant's host with the right secret: nothing.
    await makeTenant(deps, 'other');
    expect((await request(app).get(url.pathname).set('Host', 'other.slotwise.test')).status).toBe(404);
    await owner.open('/admin/calendars');
    await owner.post('/admin/calendars/feeds', { scope: resourceId });
    expect((await request(app).get(url.pathname).set('Host', url.host)).status).toBe(404);
  });

  it('a revoked grant marks the connection broken and mails the owner once', async () => {
    google.revokeAll();
    await withTenant(deps.db, tenantId, (tx) => enqueuePull(tx, connectionId));
    await work();
    const row = await t.owner('calendar_connections').where({ id: connectionId }).first();
    expect(row.status).toBe('broken');
    expect(row.last_error).toMatch(/invalid_grant/);
    await withTenant(deps.db, tenantId, (tx) => enqueuePull(tx, connectionId));
    await pushBooking(deps, tenantId, (await t.owner('bookings').where({ status: 'confirmed' }).first()).id);
    await work();
    const mails = await t.owner('outbox_messages').where({ kind: 'calendar_broken' });
    expect(mails.map((m) => m.to_address)).toEqual(['owner@cal.example']);
    expect(mails[0]!.text_body).toContain('http://cal.slotwise.test/admin/calendars');
    const panel = await owner.get('/admin/calendars');
    expect(panel.text).toContain('Reconnect Google Calendar');
    expect((await owner.get('/admin')).text).toContain('Calendar sync is broken for Pat');
    // Known busy time still blocks.
    expect(await freeStarts(3)).not.toContain(at(3, '17:00'));
  });

  it('reconnecting restores it, and disconnecting revokes the grant at Google and forgets the busy time', async () => {
    await owner.open('/admin/calendars');
    await connect(owner);
    expect((await t.owner('calendar_connections').where({ id: connectionId }).first()).status).toBe('active');
    await owner.open('/admin/calendars');
    const res = await owner.post(`/admin/calendars/connections/${connectionId}/disconnect`);
    expect(res.status).toBe(303);
    expect(google.revokedTokens).toHaveLength(1);
    expect(await t.owner('calendar_connections')).toHaveLength(0);
    expect(await t.owner('busy_blocks').whereNotNull('connection_id')).toHaveLength(0);
    expect(await freeStarts(3)).toContain(at(3, '17:00'));
  });
});

describe('staff', () => {
  it('manage only their own resource’s calendars and feeds', async () => {
    const { hashPassword } = await import('../../src/auth/passwords.ts');
    const { insertUser } = await import('../../src/auth/queries.ts');
    const user = await withTenant(deps.db, tenantId, async (tx) => insertUser(tx, { email: 'sam@cal.example', name: 'Sam', role: 'staff', passwordHash: await hashPassword('correct-horse-battery') }));
    const own = await makeResource(deps, tenantId, 'Sam', NY);
    await t.owner('resources').where({ id: own.id }).update({ user_id: user.id });
    const sam = await signedIn(app, 'cal.slotwise.test', 'sam@cal.example');
    await sam.open('/admin/calendars');
    const page = await sam.get('/admin/calendars');
    expect(page.text).toContain(`/admin/calendars/${own.id}/google/connect`);
    expect(page.text).not.toContain(`/admin/calendars/${resourceId}/google/connect`);
    expect((await sam.post(`/admin/calendars/${resourceId}/google/connect`)).status).toBe(404);
    expect((await sam.post('/admin/calendars/feeds', { scope: resourceId })).status).toBe(404);
    expect((await sam.post('/admin/calendars/feeds', { scope: 'business' })).status).toBe(404);
    expect((await sam.post(`/admin/calendars/${resourceId}/ics`, { url: 'https://example.com/x.ics' })).status).toBe(404);
    expect((await sam.post(`/admin/calendars/${own.id}/google/connect`)).status).toBe(303);
  });
});

describe('without Google configured', () => {
  it('disables the connect button with the reason', async () => {
    const bare = createApp({ ...deps, config: { ...deps.config, google: undefined } });
    const c = await signedIn(bare, 'cal.slotwise.test', 'owner@cal.example');
    const page = await c.get('/admin/calendars');
    expect(page.text).toContain('Google Calendar is not configured on this server');
    expect(page.text).toMatch(/Connect Google Calendar<\/button>/);
    expect(page.text).toMatch(/disabled>Connect Google Calendar/);
  });
});
