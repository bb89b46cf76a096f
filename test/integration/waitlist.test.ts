import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApp } from '../../src/http/app.ts';
import { createApiKey } from '../../src/api/keys.ts';
import type { AppDeps } from '../../src/deps.ts';
import { createTestDb, TestClock, testDeps, type TestDb } from '../support/db.ts';
import { Client, makeTenant, signedIn } from '../support/http.ts';
import { makeResource, makeService } from '../support/catalog.ts';
import { api } from '../support/api.ts';
import { runJobs } from '../support/jobs.ts';

/**
 * The waitlist refills freed time: the first customer waiting is offered
 * it and it is held for them, so nobody else takes it meanwhile; when the
 * hold lapses the next customer is offered it; a claim confirms; a claim
 * after the hold is refused clearly.
 */
let t: TestDb;
let deps: AppDeps;
let app: ReturnType<typeof createApp>;
let tenantId: string;
let roomId: string;
let serviceId: string;
let key: string;
const HOST = 'wait.slotwise.test';
const MINUTE = 60_000;
// Near real time: the hold's expiry job is compared with PostgreSQL's own clock.
const clock = new TestClock(Date.now());
const DAY = new Date(Date.now() + 3 * 86_400_000).toISOString().slice(0, 10);
const NINE = `${DAY}T09:00:00.000Z`;
const TEN = `${DAY}T10:00:00.000Z`;

beforeAll(async () => {
  t = await createTestDb();
  deps = testDeps(t, clock, { RATE_LIMIT_MULTIPLIER: '100' });
  app = createApp(deps);
  tenantId = (await makeTenant(deps, 'wait', { timeZone: 'UTC' })).tenant.id;
  // Two hours a day: two times of an hour, both booked.
  roomId = (await makeResource(deps, tenantId, 'Chair', 'UTC', [['09:00', '11:00']])).id;
  serviceId = (await makeService(deps, tenantId, [roomId], { name: 'Cut', durationMin: 60, intervalMin: 60, priceMinor: 3000 })).id;
  key = (await createApiKey(deps, tenantId, 'wait')).key;
});
afterAll(() => t.drop());

const book = (start: string, who: string) =>
  api(app, key).post('/bookings', { service_id: serviceId, resource_id: roomId, start, customer: { name: who, email: `${who.toLowerCase()}@example.com`, time_zone: 'UTC' } });

/** Join through the public form; the token of the customer's waitlist link. */
async function join(who: string, extra: Record<string, string> = {}): Promise<string> {
  const c = new Client(app, HOST);
  const page = await c.open(`/book/${serviceId}/waitlist?resource=${roomId}&tz=UTC`);
  expect(page.status).toBe(200);
  const res = await c.post(`/book/${serviceId}/waitlist`, { resource: roomId, tz: 'UTC', from: DAY, to: DAY, name: who, email: `${who.toLowerCase()}@example.com`, phone: '', after: '', before: '', ...extra });
  expect(res.status, res.text).toBe(303);
  return /\/waitlist\/([^?]+)/.exec(res.headers.location!)![1]!;
}

const entryOf = async (who: string) => t.owner('waitlist_entries').where({ customer_email: `${who.toLowerCase()}@example.com` }).orderBy('created_at', 'desc').first();
const heldFor = async (who: string) => t.owner('bookings').where({ customer_email: `${who.toLowerCase()}@example.com`, source: 'waitlist' }).orderBy('created_at', 'desc').first();
const holdJobDue = (bookingId: string) =>
  t.owner('graphile_worker._private_jobs').whereLike('key', `%hold:${bookingId}`).update({ run_at: t.owner.raw("now() - interval '1 second'") });

describe('the waitlist', () => {
  let ninePm: string;
  let tokenA: string;
  let tokenB: string;

  it('is offered from the times page of a full day, and joining mails the customer their link', async () => {
    expect((await book(NINE, 'Xena')).status).toBe(201);
    const ten = await book(TEN, 'Yuri');
    expect(ten.status).toBe(201);
    ninePm = ten.body.id;
    const times = await new Client(app, HOST).get(`/book/${serviceId}?resource=${roomId}&tz=UTC&from=${DAY}&date=${DAY}`);
    expect(times.text).toContain('Join the waitlist');
    tokenA = await join('Ada');
    tokenB = await join('Bo');
    expect((await entryOf('Ada')).status).toBe('waiting');
    expect(await t.owner('notifications').where({ kind: 'waitlist_joined', to_address: 'ada@example.com' })).toHaveLength(1);
    const page = await new Client(app, HOST).get(`/waitlist/${tokenA}?joined=1`);
    expect(page.text).toContain('You are on the waitlist.');
    expect(page.text).toContain('Leave the waitlist');
  });

  it('a cancellation offers the time to the first who joined and holds it: nobody else can book it meanwhile', async () => {
    expect((await api(app, key).post(`/bookings/${ninePm}/cancel`, {})).status).toBe(200);
    await runJobs(t, deps);
    const held = await heldFor('Ada');
    expect(held).toMatchObject({ status: 'held', source: 'waitlist' });
    expect(held.starts_at.toISOString()).toBe(TEN);
    expect(held.hold_expires_at.getTime()).toBe(clock.now().getTime() + 15 * MINUTE);
    expect((await entryOf('Ada')).status).toBe('offered');
    expect((await entryOf('Bo')).status).toBe('waiting');
    const offerMail = await t.owner('notifications').where({ kind: 'waitlist_offer', to_address: 'ada@example.com' }).first();
    expect(offerMail).toBeDefined();
    // Sent (to the outbox, with no mail provider here), with the claim link and the hold's end.
    const sent = await t.owner('outbox_messages').where({ notification_id: offerMail.id }).first();
    expect(sent.subject).toMatch(/a time freed up for Cut, held for you/);
    expect(sent.text_body).toContain(`/waitlist/${tokenA}`);
    expect(sent.text_body).toMatch(/We are holding it for you until/);
    // A third customer cannot take it.
    expect((await book(TEN, 'Cy')).status).toBe(409);
    const page = await new Client(app, HOST).get(`/waitlist/${tokenA}`);
    expect(page.text).toContain('A time is held for you');
  });

  it('when the hold lapses, the next customer is offered it; the first one’s late claim is refused clearly', async () => {
    const first = await heldFor('Ada');
    clock.advance(16 * MINUTE);
    try {
      await holdJobDue(first.id);
      await runJobs(t, deps);
      await runJobs(t, deps);
      expect(await t.owner('bookings').where({ id: first.id }).first()).toMatchObject({ status: 'cancelled', cancel_reason: 'waitlist offer not claimed in time' });
      expect((await entryOf('Ada')).status).toBe('passed');
      const second = await heldFor('Bo');
      expect(second).toMatchObject({ status: 'held' });
      expect((await entryOf('Bo')).status).toBe('offered');
      // Nothing was ever sent to Ada about a booking.
      expect(await t.owner('notifications').where({ booking_id: first.id }).whereNot({ kind: 'waitlist_offer' })).toHaveLength(0);

      const c = new Client(app, HOST);
      await c.open(`/waitlist/${tokenA}`);
      const late = await c.post(`/waitlist/${tokenA}/claim`);
      expect(late.status).toBe(409);
      expect(late.text).toMatch(/no time held for you|has expired/i);
    } finally {
      clock.advance(-16 * MINUTE);
    }
  });

  it('a claim confirms the booking, with its confirmation; claiming again changes nothing', async () => {
    clock.advance(16 * MINUTE);
    try {
      const c = new Client(app, HOST);
      await c.open(`/waitlist/${tokenB}`);
      const claimed = await c.post(`/waitlist/${tokenB}/claim`);
      expect(claimed.status, claimed.text).toBe(303);
      expect(claimed.headers.location).toMatch(/^\/manage\/.+\?booked=1$/);
      const booking = await heldFor('Bo');
      expect(booking.status).toBe('confirmed');
      expect(await t.owner('notifications').where({ booking_id: booking.id, kind: 'booking_confirmation' })).toHaveLength(1);
      expect((await entryOf('Bo')).status).toBe('booked');
      expect(await t.owner('waitlist_offers').where({ booking_id: booking.id }).first()).toMatchObject({ status: 'claimed' });
      const again = await c.post(`/waitlist/${tokenB}/claim`);
      expect(again.status).toBe(409);
      expect(await t.owner('bookings').where({ service_id: serviceId, status: 'confirmed' })).toHaveLength(2);
    } finally {
      clock.advance(-16 * MINUTE);
    }
  });

  it('declining passes the time on at once; leaving ends the place', async () => {
    const dee = await join('Dee');
    const eve = await join('Eve');
    const bo = await heldFor('Bo');
    expect((await api(app, key).post(`/bookings/${bo.id}/cancel`, {})).status).toBe(200);
    await runJobs(t, deps);
    expect(await heldFor('Dee')).toMatchObject({ status: 'held' });
    const c = new Client(app, HOST);
    await c.open(`/waitlist/${dee}`);
    expect((await c.post(`/waitlist/${dee}/decline`)).status).toBe(303);
    await runJobs(t, deps);
    expect((await entryOf('Dee')).status).toBe('passed');
    expect(await heldFor('Eve')).toMatchObject({ status: 'held' });
    const e = new Client(app, HOST);
    await e.open(`/waitlist/${eve}`);
    expect((await e.post(`/waitlist/${eve}/leave`)).status).toBe(303);
    await runJobs(t, deps);
    expect((await entryOf('Eve')).status).toBe('left');
    expect(await heldFor('Eve')).toMatchObject({ status: 'cancelled' });
  });

  it('keeps to the time of day asked for', async () => {
    await join('Fay', { after: '09:00', before: '09:30' });
    // Only 10:00 frees up: not within Fay's window.
    const busy = await t.owner('bookings').where({ service_id: serviceId, status: 'held' }).first();
    if (busy) await t.owner('bookings').where({ id: busy.id }).update({ status: 'cancelled' });
    const ten = await book(TEN, 'Gus');
    expect(ten.status).toBe(201);
    await api(app, key).post(`/bookings/${ten.body.id}/cancel`, {});
    await runJobs(t, deps);
    expect(await heldFor('Fay')).toBeUndefined();
    expect((await entryOf('Fay')).status).toBe('waiting');
  });

  it('through the API: join, list, leave; a service needing approval has no waitlist; bad dates are named', async () => {
    const joined = await api(app, key).post('/waitlist', {
      service_id: serviceId, resource_id: null, from_date: DAY, to_date: DAY, window: { start: '09:00', end: '12:00' },
      customer: { name: 'Hal', email: 'hal@example.com', time_zone: 'UTC' },
    });
    expect(joined.status, joined.text).toBe(201);
    expect(joined.body).toMatchObject({ object: 'waitlist_entry', status: 'waiting', window: { start: '09:00', end: '12:00' } });
    const listed = await api(app, key).get(`/waitlist?service_id=${serviceId}&status=waiting`);
    expect(listed.body.data.map((e: { id: string }) => e.id)).toContain(joined.body.id);
    expect((await api(app, key).delete(`/waitlist/${joined.body.id}`)).status).toBe(204);
    expect((await t.owner('waitlist_entries').where({ id: joined.body.id }).first()).status).toBe('left');

    const backwards = await api(app, key).post('/waitlist', { service_id: serviceId, from_date: DAY, to_date: '2020-01-01', customer: { name: 'Ivy', email: 'ivy@example.com', time_zone: 'UTC' } });
    expect(backwards.status).toBe(422);
    expect(backwards.body.errors).toHaveProperty('to_date');

    const approved = (await makeService(deps, tenantId, [roomId], { name: 'Colour', requiresApproval: true })).id;
    const refused = await api(app, key).post('/waitlist', { service_id: approved, from_date: DAY, to_date: DAY, customer: { name: 'Jo', email: 'jo@example.com', time_zone: 'UTC' } });
    expect(refused.status).toBe(422);
    expect(refused.body.type).toMatch(/no_waitlist/);
    expect(await t.owner('waitlist_entries').where({ customer_email: 'jo@example.com' })).toHaveLength(0);
  });

  it('shows the business who waits and what claimed offers brought back', async () => {
    const owner = await signedIn(app, HOST, 'owner@wait.example');
    const page = await owner.open('/admin/waitlist');
    expect(page.status).toBe(200);
    expect(page.text).toContain('Fay');
    expect(page.text).toMatch(/Recovered by claimed offers: <strong>\$30\.00<\/strong>/);
    const saved = await owner.post('/admin/waitlist/settings', { waitlistHoldMinutes: '2' });
    expect(saved.status).toBe(422);
    expect((await owner.post('/admin/waitlist/settings', { waitlistHoldMinutes: '30' })).status).toBe(303);
    expect((await t.owner('tenants').where({ id: tenantId }).first()).waitlist_hold_minutes).toBe(30);
  });
});
