import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import request from 'supertest';
import { createApp } from '../../src/http/app.ts';
import type { AppDeps } from '../../src/deps.ts';
import { withTenant } from '../../src/db/tenant.ts';
import { cancelBooking, createBooking } from '../../src/bookings/service.ts';
import { updateStripeAccount } from '../../src/tenancy/queries.ts';
import { createTestDb, TestClock, testDeps, type TestDb } from '../support/db.ts';
import { Client, makeTenant } from '../support/http.ts';
import { makeResource, makeService } from '../support/catalog.ts';
import { runJobs } from '../support/jobs.ts';
import { FakeStripe } from '../fakes/stripe.ts';

/**
 * A freed time of a service paid online: offered and held for the first
 * customer waiting as for any service; claiming it goes to Stripe Checkout
 * (the hold becoming the business's payment hold), the payment confirms it
 * and closes the offer as claimed; a claim left unpaid lapses and the time
 * goes to the next customer.
 */
const SECRET = 'whsec_test_secret_for_the_fake';
const ACCOUNT = 'acct_1WaitPaid';
const HOST = 'paidwait.slotwise.test';
const MINUTE = 60_000;

let t: TestDb;
let fake: FakeStripe;
let deps: AppDeps;
let app: ReturnType<typeof createApp>;
let tenantId: string;
let roomId: string;
let serviceId: string;
// Near real time: hold-expiry jobs are compared with PostgreSQL's own clock.
const clock = new TestClock(Date.now());
const DAY = new Date(Date.now() + 3 * 86_400_000).toISOString().slice(0, 10);
const NINE = Date.parse(`${DAY}T09:00:00.000Z`);

beforeAll(async () => {
  t = await createTestDb();
  fake = await new FakeStripe().start();
  fake.nowSeconds = () => Math.floor(clock.now().getTime() / 1000);
  deps = testDeps(t, clock, { STRIPE_SECRET_KEY: 'sk_test_fake', STRIPE_WEBHOOK_SECRET: SECRET, STRIPE_API_BASE: fake.url, RATE_LIMIT_MULTIPLIER: '100' });
  app = createApp(deps);
  tenantId = (await makeTenant(deps, 'paidwait', { timeZone: 'UTC' })).tenant.id;
  await withTenant(deps.db, tenantId, (tx) => updateStripeAccount(tx, { accountId: ACCOUNT, chargesEnabled: true, detailsSubmitted: true }));
  // One hour a day, one time.
  roomId = (await makeResource(deps, tenantId, 'Room', 'UTC', [['09:00', '10:00']])).id;
  serviceId = (await makeService(deps, tenantId, [roomId], { name: 'Facial', durationMin: 60, intervalMin: 60, priceMinor: 8000, paymentMode: 'full' })).id;
});
afterAll(async () => {
  await fake.stop();
  await t.drop();
});

/** The day's one time, booked by staff (paid at the venue: confirmed at once). */
const bookNine = async (who: string) =>
  (await createBooking(deps, tenantId, { source: 'admin', userId: null }, { serviceId, resourceId: roomId, start: NINE, customer: { name: who, email: `${who}@example.com`, phone: null, timeZone: 'UTC' }, notes: null })).booking.id;

async function join(who: string): Promise<{ c: Client; token: string }> {
  const c = new Client(app, HOST);
  expect((await c.open(`/book/${serviceId}/waitlist?resource=${roomId}&tz=UTC`)).status).toBe(200);
  const res = await c.post(`/book/${serviceId}/waitlist`, { resource: roomId, tz: 'UTC', from: DAY, to: DAY, name: who, email: `${who}@example.com`, phone: '', after: '', before: '' });
  expect(res.status, res.text).toBe(303);
  return { c, token: /\/waitlist\/([^?]+)/.exec(res.headers.location!)![1]! };
}

const entryOf = async (who: string) => t.owner('waitlist_entries').where({ customer_email: `${who}@example.com` }).first();
const heldFor = async (who: string) => t.owner('bookings').where({ customer_email: `${who}@example.com`, source: 'waitlist' }).orderBy('created_at', 'desc').first();
const offerOf = async (bookingId: string) => t.owner('waitlist_offers').where({ booking_id: bookingId }).first();
const paymentOf = async (bookingId: string) => t.owner('payments').where({ booking_id: bookingId }).first();

async function deliver(type: string, object: unknown) {
  const e = FakeStripe.signedEvent(SECRET, type, object, ACCOUNT);
  return request(app).post('/stripe/webhook').set('Host', 'slotwise.test').set('Content-Type', 'application/json').set('Stripe-Signature', e.signature).send(e.body);
}

describe('the waitlist of a service paid online', () => {
  let bo: { c: Client; token: string };
  it('offers the freed time held; the claim goes to Checkout and the payment books it', async () => {
    const nine = await bookNine('first');
    const ada = await join('ada');
    bo = await join('bo');
    await cancelBooking(deps, tenantId, { source: 'admin', userId: null }, nine, null);
    await runJobs(t, deps);

    const held = await heldFor('ada');
    expect(held).toMatchObject({ status: 'held', source: 'waitlist' });
    expect(await paymentOf(held.id)).toBeUndefined(); // nothing to pay until they claim
    const offerMail = await t.owner('outbox_messages').where({ to_address: 'ada@example.com', kind: 'waitlist_offer' }).first();
    expect(offerMail.text_body).toContain('To book it you pay $80.00 online');

    const page = await ada.c.open(`/waitlist/${ada.token}`);
    expect(page.text).toContain('Book and pay $80.00');
    const claim = await ada.c.post(`/waitlist/${ada.token}/claim`);
    expect(claim.status, claim.text).toBe(303);
    const payment = await paymentOf(held.id);
    expect(payment).toMatchObject({ status: 'pending', amount_due: 8000 });
    const session = fake.sessions.get(payment.checkout_session_id)!;
    expect(claim.headers.location).toBe(session.url);
    // The business's payment hold (30 minutes), long enough for Checkout; the session ends with it.
    const after = await t.owner('bookings').where({ id: held.id }).first();
    expect(after.hold_expires_at.getTime()).toBe(clock.now().getTime() + 30 * MINUTE);
    expect(session.expires_at).toBe(Math.floor(after.hold_expires_at.getTime() / 1000));
    expect((await entryOf('ada')).status).toBe('offered');

    // Claiming again while paying reopens the same Checkout, and does not hold the time any longer.
    clock.set(new Date(clock.now().getTime() + 5 * MINUTE));
    const again = await ada.c.post(`/waitlist/${ada.token}/claim`);
    expect(again.headers.location).toBe(session.url);
    expect((await t.owner('bookings').where({ id: held.id }).first()).hold_expires_at.getTime()).toBe(after.hold_expires_at.getTime());

    fake.pay(session.id);
    expect((await deliver('checkout.session.completed', fake.sessions.get(session.id))).status).toBe(200);
    expect((await t.owner('bookings').where({ id: held.id }).first()).status).toBe('confirmed');
    expect((await offerOf(held.id)).status).toBe('claimed');
    expect((await entryOf('ada')).status).toBe('booked');
    expect((await entryOf('bo')).status).toBe('waiting');
    expect(await t.owner('notifications').where({ booking_id: held.id, kind: 'booking_confirmation' })).toHaveLength(1);
  });

  it('a claim left unpaid lapses with its hold, and the time goes to the next customer', async () => {
    const ada = await heldFor('ada');
    await cancelBooking(deps, tenantId, { source: 'admin', userId: null }, ada.id, null);
    await runJobs(t, deps);
    const held = await heldFor('bo');
    expect(held).toMatchObject({ status: 'held', source: 'waitlist' });

    await bo.c.open(`/waitlist/${bo.token}`);
    expect((await bo.c.post(`/waitlist/${bo.token}/claim`)).status).toBe(303);
    expect((await paymentOf(held.id)).status).toBe('pending');

    const cy = await join('cy');
    expect(cy.token).toBeTruthy();
    await t.owner.raw(`update graphile_worker._private_jobs set run_at = now() - interval '1 second' where key like ?`, [`%hold:${held.id}`]);
    clock.set(new Date(clock.now().getTime() + 31 * MINUTE));
    await runJobs(t, deps);
    const lapsed = await t.owner('bookings').where({ id: held.id }).first();
    expect(lapsed).toMatchObject({ status: 'cancelled', cancel_reason: 'waitlist offer not claimed in time' });
    expect((await paymentOf(held.id)).status).toBe('failed');
    expect((await offerOf(held.id)).status).toBe('expired');
    expect((await entryOf('bo')).status).toBe('passed');
    // The time was offered to the next customer waiting.
    expect(await heldFor('cy')).toMatchObject({ status: 'held', source: 'waitlist' });
  });
});
