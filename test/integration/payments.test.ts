import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import request from 'supertest';
import { createApp } from '../../src/http/app.ts';
import type { AppDeps } from '../../src/deps.ts';
import { withTenant } from '../../src/db/tenant.ts';
import { cancelBooking, createBooking, rescheduleBooking } from '../../src/bookings/service.ts';
import { updateStripeAccount } from '../../src/tenancy/queries.ts';
import { expireHoldTask } from '../../src/payments/tasks.ts';
import { createTestDb, TestClock, testDeps, type TestDb } from '../support/db.ts';
import { Client, makeTenant } from '../support/http.ts';
import { makeResource, makeService } from '../support/catalog.ts';
import { runJobs } from '../support/jobs.ts';
import { FakeStripe } from '../fakes/stripe.ts';
import { createApiKey } from '../../src/api/keys.ts';

const SECRET = 'whsec_test_secret_for_the_fake';
const ACCOUNT = 'acct_1SalonTest';
const HOST = 'paid.slotwise.test';
const HOUR = 3_600_000;

let t: TestDb;
let fake: FakeStripe;
let deps: AppDeps;
let app: ReturnType<typeof createApp>;
let tenantId: string;
let resourceId: string;
let depositService: string;
let fullService: string;
// Near real time: the hold-expiry jobs' run_at is compared with PostgreSQL's own clock.
const clock = new TestClock(Date.now());
/** A free hour on the grid, 3 days ahead and later, one per test so they do not collide. */
let nextSlot = Math.ceil((Date.now() + 3 * 24 * HOUR) / HOUR) * HOUR;
const slot = () => (nextSlot += 2 * HOUR);

beforeAll(async () => {
  t = await createTestDb();
  fake = await new FakeStripe().start();
  fake.nowSeconds = () => Math.floor(clock.now().getTime() / 1000);
  deps = testDeps(t, clock, { STRIPE_SECRET_KEY: 'sk_test_fake', STRIPE_WEBHOOK_SECRET: SECRET, STRIPE_API_BASE: fake.url, RATE_LIMIT_MULTIPLIER: '100' });
  app = createApp(deps);
  tenantId = (await makeTenant(deps, 'paid', { timeZone: 'UTC' })).tenant.id;
  await withTenant(deps.db, tenantId, (tx) => updateStripeAccount(tx, { accountId: ACCOUNT, chargesEnabled: true, detailsSubmitted: true }));
  resourceId = (await makeResource(deps, tenantId, 'Room', 'UTC', [['00:00', '24:00']])).id;
  depositService = (await makeService(deps, tenantId, [resourceId], { name: 'Massage', durationMin: 60, intervalMin: 60, priceMinor: 4500, paymentMode: 'deposit', depositMinor: 2000 })).id;
  fullService = (await makeService(deps, tenantId, [resourceId], { name: 'Facial', durationMin: 60, intervalMin: 60, priceMinor: 8000, paymentMode: 'full' })).id;
});
afterAll(async () => {
  await fake.stop();
  await t.drop();
});
beforeEach(() => {
  clock.set(new Date());
});

const customer = { name: 'Pat Payer', email: 'pat@example.com', phone: null, timeZone: 'Europe/Berlin' };
const bookingRow = async (id: string) => (await t.owner('bookings').where({ id }).first()) as { status: string; hold_expires_at: Date | null; cancel_reason: string | null };
const paymentRow = async (id: string) => (await t.owner('payments').where({ booking_id: id }).first()) as {
  status: string; amount_paid: number; amount_refunded: number; checkout_session_id: string; payment_intent_id: string | null;
};
const refundRows = async (id: string) => (await t.owner('refunds').where({ booking_id: id }).orderBy('n')) as { n: number; amount: number; status: string; stripe_refund_id: string | null; reason: string }[];
const outbox = async (kind: string) => (await t.owner('outbox_messages').where({ kind }).orderBy('created_at')) as { to_address: string; text_body: string; html_body: string }[];

/** POST a signed event to the webhook as Stripe would (root domain). */
async function deliver(type: string, object: unknown, opts: { id?: string; secret?: string; signature?: string } = {}) {
  const e = FakeStripe.signedEvent(opts.secret ?? SECRET, type, object, ACCOUNT, opts.id);
  const res = await request(app).post('/stripe/webhook').set('Host', 'slotwise.test').set('Content-Type', 'application/json')
    .set('Stripe-Signature', opts.signature ?? e.signature).send(e.body);
  return { res, id: e.id };
}

/** A held booking through the one path, as the API makes it; its Checkout Session at the fake. */
async function held(serviceId = depositService, start = slot()) {
  const created = await createBooking(deps, tenantId, { source: 'api', userId: null }, { serviceId, resourceId, start, customer, notes: null });
  const sessionId = (await paymentRow(created.booking.id)).checkout_session_id;
  return { created, id: created.booking.id, sessionId, start };
}

/** Make the booking's hold job due now (as the owner: the queue is graphile-worker's). */
async function holdJobDue(id: string) {
  await t.owner.raw(`update graphile_worker._private_jobs set run_at = now() - interval '1 second' where key like ?`, [`%hold:${id}`]);
}
/** Messages queued at the test clock's "now" (ahead of PostgreSQL's) are due. */
async function mailDue() {
  await t.owner.raw(`update graphile_worker._private_jobs set run_at = now() - interval '1 second'
    where task_id in (select id from graphile_worker._private_tasks where identifier = 'notifications__send')`);
}
async function refundJobsDue() {
  await t.owner.raw(`update graphile_worker._private_jobs set run_at = now() - interval '1 second', attempts = attempts where key like '%refund:%'`);
}

describe('a paid booking, end to end on the public pages', () => {
  it('holds the time, sends the customer to Checkout on the business account, and a signed webhook confirms it once', async () => {
    const start = slot();
    const c = new Client(app, HOST);
    const details = await c.open(`/book/${depositService}/details?resource=${resourceId}&start=${encodeURIComponent(new Date(start).toISOString())}&tz=UTC`);
    expect(details.status).toBe(200);
    expect(details.text).toContain('A deposit of $20.00 is paid online to confirm; the rest ($25.00) at the venue.');
    const before = fake.apiCalls().length;
    const res = await c.post(`/book/${depositService}`, {
      resource: resourceId, tz: 'UTC', start: new Date(start).toISOString(), name: 'Pat Payer', email: 'pat@example.com', phone: '', notes: '',
    });
    expect(res.status).toBe(303);
    expect(res.headers.location).toMatch(new RegExp(`^${fake.url}/c/pay/cs_test_`));

    const calls = fake.apiCalls().slice(before);
    expect(calls).toHaveLength(1);
    const [create] = calls;
    expect(create!.method).toBe('POST');
    expect(create!.path).toBe('/v1/checkout/sessions');
    expect(create!.stripeAccount).toBe(ACCOUNT);
    const b = (await t.owner('bookings').where({ tenant_id: tenantId }).orderBy('created_at', 'desc').first()) as { id: string; status: string; hold_expires_at: Date };
    expect(b.status).toBe('held');
    expect(create!.idempotencyKey).toBe(`checkout:${b.id}`);
    expect(create!.form['line_items[0][price_data][unit_amount]']).toBe('2000');
    expect(create!.form['line_items[0][price_data][currency]']).toBe('usd');
    expect(Number(create!.form.expires_at)).toBe(Math.floor(b.hold_expires_at.getTime() / 1000));
    expect(b.hold_expires_at.getTime()).toBe(clock.now().getTime() + 30 * 60_000);

    // The time is taken at once: nobody else can book it while it is held.
    await expect(createBooking(deps, tenantId, { source: 'public', userId: null }, { serviceId: fullService, resourceId, start, customer, notes: null })).rejects.toThrow(/just taken/);

    // Back from Checkout before the webhook: "confirming", polling, with a refresh link.
    const session = fake.sessions.get((await paymentRow(b.id)).checkout_session_id)!;
    const back = await c.get(new URL(session.success_url).pathname + '?paid=1');
    expect(back.text).toContain('Confirming your payment');
    expect(back.text).toContain('hx-trigger="every 2s"');

    fake.pay(session.id);
    const { res: hook } = await deliver('checkout.session.completed', fake.sessions.get(session.id));
    expect(hook.status).toBe(200);
    expect((await bookingRow(b.id)).status).toBe('confirmed');
    expect((await bookingRow(b.id)).hold_expires_at).toBeNull();
    expect(await paymentRow(b.id)).toMatchObject({ status: 'paid', amount_paid: 2000, payment_intent_id: session.payment_intent });

    const poll = await c.get(new URL(session.success_url).pathname + '/payment');
    expect(poll.text).toContain('Payment received');
    expect(poll.text).not.toContain('hx-trigger');

    await runJobs(t, deps);
    const mail = (await outbox('booking_confirmation')).filter((m) => m.text_body.includes('Massage'));
    expect(mail).toHaveLength(1);
    expect(mail[0]!.text_body).toContain('Paid online: $20.00');
    expect(mail[0]!.text_body).toContain('To pay at the venue: $25.00');
    const page = await c.get(new URL(session.success_url).pathname);
    expect(page.text).toContain('Paid online: $20.00');
    expect(page.text).toContain('To pay at the venue: $25.00');
  });

  it('answers the API with 201, status held and the checkout URL', async () => {
    const key = await makeApiKey();
    const start = slot();
    const res = await request(app).post('/api/v1/bookings').set('Authorization', `Bearer ${key}`).send({
      service_id: fullService, resource_id: resourceId, start: new Date(start).toISOString(), customer: { name: 'Api Person', email: 'api@example.com', time_zone: 'UTC' },
    });
    expect(res.status).toBe(201);
    expect(res.body.status).toBe('held');
    expect(res.body.hold_expires_at).toBe(new Date(clock.now().getTime() + 30 * 60_000).toISOString());
    expect(res.body.payment).toMatchObject({ mode: 'full', status: 'pending', amount_due: 8000, amount_paid: 0, amount_refunded: 0, currency: 'USD' });
    expect(res.body.payment.checkout_url).toMatch(new RegExp(`^${fake.url}/c/pay/`));
  });
});

async function makeApiKey(): Promise<string> {
  return (await createApiKey(deps, tenantId, `test ${Math.random()}`)).key;
}

describe('the webhook', () => {
  it('refuses a forged or unsigned request with 400 and changes nothing', async () => {
    const { id, sessionId } = await held();
    fake.pay(sessionId);
    const forged = await deliver('checkout.session.completed', fake.sessions.get(sessionId), { secret: 'whsec_not_the_secret' });
    expect(forged.res.status).toBe(400);
    const unsigned = await request(app).post('/stripe/webhook').set('Host', 'slotwise.test').set('Content-Type', 'application/json')
      .send(JSON.stringify({ id: 'evt_x', type: 'checkout.session.completed', account: ACCOUNT, data: { object: fake.sessions.get(sessionId) } }));
    expect(unsigned.status).toBe(400);
    expect((await bookingRow(id)).status).toBe('held');
    expect((await paymentRow(id)).amount_paid).toBe(0);
    expect(await t.owner('stripe_events').where({ event_id: forged.id })).toHaveLength(0);
  });

  it('applies the same event once, and events out of order change nothing wrongly', async () => {
    const { id, sessionId } = await held();
    // A delayed method: the session completes unpaid first; that confirms nothing.
    const unpaid = { ...fake.sessions.get(sessionId)!, status: 'complete', payment_status: 'unpaid' };
    expect((await deliver('checkout.session.completed', unpaid)).res.status).toBe(200);
    expect((await bookingRow(id)).status).toBe('held');
    fake.pay(sessionId);
    const paid = fake.sessions.get(sessionId);
    const first = await deliver('checkout.session.async_payment_succeeded', paid);
    expect((await bookingRow(id)).status).toBe('confirmed');
    // The same event again, and then the other paid event for the same session.
    await deliver('checkout.session.async_payment_succeeded', paid, { id: first.id });
    await deliver('checkout.session.completed', paid);
    expect(await paymentRow(id)).toMatchObject({ status: 'paid', amount_paid: 2000 });
    expect(await t.owner('payment_events').where({ booking_id: id, kind: 'paid' })).toHaveLength(1);
    expect(await t.owner('notifications').where({ booking_id: id, kind: 'booking_confirmation' })).toHaveLength(1);
    expect(await t.owner('stripe_events').where({ event_id: first.id })).toHaveLength(1);

    // Refund events out of order: "succeeded" first, then the older "pending" one.
    const refund = await cancelBooking(deps, tenantId, { source: 'admin', userId: null }, id, 'Closed');
    expect(refund.booking.status).toBe('cancelled');
    const [r] = await refundRows(id);
    const object = { id: 're_out_of_order', object: 'refund', amount: r!.amount, status: 'succeeded', metadata: { booking_id: id, refund_n: '1' } };
    await deliver('refund.updated', object);
    await deliver('refund.created', { ...object, status: 'pending' });
    expect((await refundRows(id))[0]).toMatchObject({ status: 'succeeded', stripe_refund_id: 're_out_of_order' });
    expect(await paymentRow(id)).toMatchObject({ status: 'refunded', amount_refunded: 2000 });
    // The refund job, run after, finds it no longer queued and sends nothing to Stripe.
    const before = fake.apiCalls('/v1/refunds').length;
    await runJobs(t, deps);
    expect(fake.apiCalls('/v1/refunds')).toHaveLength(before);
  });
});

describe('holds that expire', () => {
  it('cancels the booking at hold_expires_at, expires the session and frees the time', async () => {
    const { id, sessionId, start } = await held();
    clock.advance(31 * 60_000);
    await holdJobDue(id);
    await runJobs(t, deps);
    expect(await bookingRow(id)).toMatchObject({ status: 'cancelled', cancel_reason: 'payment not completed' });
    expect(fake.sessions.get(sessionId)!.status).toBe('expired');
    const expire = fake.apiCalls(`/v1/checkout/sessions/${sessionId}/expire`);
    expect(expire).toHaveLength(1);
    expect(expire[0]!.stripeAccount).toBe(ACCOUNT);
    expect((await paymentRow(id)).status).toBe('failed');
    // Free again: someone else books it.
    const other = await createBooking(deps, tenantId, { source: 'admin', userId: null }, { serviceId: depositService, resourceId, start, customer, notes: null });
    expect(other.booking.status).toBe('confirmed');
  });

  it('a job that runs early does nothing yet and comes back at the end of the hold', async () => {
    const { id, sessionId } = await held();
    await holdJobDue(id);
    await runJobs(t, deps);
    expect((await bookingRow(id)).status).toBe('held');
    expect(fake.sessions.get(sessionId)!.status).toBe('open');
    const jobs = await t.owner.raw(`select run_at from graphile_worker._private_jobs where key like ?`, [`%hold:${id}`]);
    expect(jobs.rows).toHaveLength(1);
    expect(new Date(jobs.rows[0].run_at).getTime()).toBe((await bookingRow(id)).hold_expires_at!.getTime());
  });

  it('a payment after the hold expired confirms the booking when its time is still free', async () => {
    const { id, sessionId } = await held();
    const session = fake.sessions.get(sessionId)!;
    clock.advance(31 * 60_000);
    await holdJobDue(id);
    await runJobs(t, deps);
    expect((await bookingRow(id)).status).toBe('cancelled');
    // Paid at Stripe before it was expired there; its webhook arrives late.
    const late = { ...session, status: 'complete', payment_status: 'paid', payment_intent: 'pi_late_free' };
    await deliver('checkout.session.completed', late);
    expect(await bookingRow(id)).toMatchObject({ status: 'confirmed', cancel_reason: null });
    expect(await paymentRow(id)).toMatchObject({ status: 'paid', amount_paid: 2000 });
    expect(await refundRows(id)).toHaveLength(0);
  });

  it('a payment after the hold expired is refunded in full at once when the time was taken, and the customer told', async () => {
    const { id, sessionId, start } = await held();
    const session = fake.sessions.get(sessionId)!;
    clock.advance(31 * 60_000);
    await holdJobDue(id);
    await runJobs(t, deps);
    await createBooking(deps, tenantId, { source: 'admin', userId: null }, { serviceId: depositService, resourceId, start, customer: { ...customer, email: 'other@example.com' }, notes: null });
    // The payment really happened at Stripe (its intent is what gets refunded).
    fake.sessions.set(sessionId, { ...session, status: 'complete', payment_status: 'paid', payment_intent: 'pi_late_taken' });
    await deliver('checkout.session.completed', fake.sessions.get(sessionId));
    expect((await bookingRow(id)).status).toBe('cancelled');
    expect(await refundRows(id)).toMatchObject([{ n: 1, amount: 2000, status: 'queued' }]);
    await runJobs(t, deps);
    const made = fake.apiCalls('/v1/refunds').at(-1)!;
    expect(made).toMatchObject({ stripeAccount: ACCOUNT, idempotencyKey: `refund:${id}:1` });
    expect(made.form).toMatchObject({ payment_intent: 'pi_late_taken', amount: '2000' });
    expect(await refundRows(id)).toMatchObject([{ status: 'succeeded' }]);
    expect(await paymentRow(id)).toMatchObject({ status: 'refunded', amount_refunded: 2000 });
    await mailDue();
    await runJobs(t, deps);
    const told = (await outbox('late_payment_refunded')).filter((m) => m.to_address === 'pat@example.com');
    expect(told.at(-1)!.text_body).toContain('refunded $20.00 in full');
  });

  it('the expiry job and a webhook racing end in exactly one outcome', async () => {
    for (let round = 0; round < 4; round++) {
      clock.set(new Date());
      const { id, sessionId } = await held();
      clock.advance(31 * 60_000);
      // The customer pays at the last moment; the job and the webhook then run at once.
      fake.pay(sessionId);
      const job = expireHoldTask(deps)({ tenantId, bookingId: id }, {} as never);
      const hook = deliver('checkout.session.completed', fake.sessions.get(sessionId));
      await Promise.all([job, hook]);
      const b = await bookingRow(id);
      const p = await paymentRow(id);
      const refunds = await refundRows(id);
      // One outcome: confirmed and paid, never refunded nor cancelled.
      expect(b.status).toBe('confirmed');
      expect(p).toMatchObject({ status: 'paid', amount_paid: 2000 });
      expect(refunds).toHaveLength(0);
      expect(await t.owner('payment_events').where({ booking_id: id }).whereIn('kind', ['paid', 'late_paid'])).toHaveLength(1);
    }
  });
});

describe('refunds', () => {
  it('a customer cancelling gets the policy\'s refund, shown before they confirm', async () => {
    await withTenant(deps.db, tenantId, (tx) => tx('tenants').update({ cancellation_policy: JSON.stringify({ tiers: [{ hoursBefore: 48, refundPercent: 100 }, { hoursBefore: 24, refundPercent: 50 }], sameDayRefundPercent: null }) }));
    const start = slot();
    const { id, sessionId, created } = await held(depositService, start);
    fake.pay(sessionId);
    await deliver('checkout.session.completed', fake.sessions.get(sessionId));
    // 30 hours before the start: the 24-hour tier, 50 %.
    clock.set(new Date(start - 30 * HOUR));
    const c = new Client(app, HOST);
    const page = await c.open(`/manage/${created.manageToken}`);
    expect(page.text).toContain('If you cancel now, you get $10.00 back.');
    const res = await c.post(`/manage/${created.manageToken}/cancel`, { reason: '', confirm: 'yes' });
    expect(res.status).toBe(200);
    expect(await refundRows(id)).toMatchObject([{ n: 1, amount: 1000, status: 'queued' }]);
    await runJobs(t, deps);
    expect(await paymentRow(id)).toMatchObject({ status: 'partially_refunded', amount_refunded: 1000 });
    await mailDue();
    await runJobs(t, deps);
    const mail = (await outbox('payment_refunded')).filter((m) => m.text_body.includes('We have refunded $10.00 to your card'));
    expect(mail).toHaveLength(1);
  });

  it('a reschedule keeps the payment, and the tiers then count from the new start', async () => {
    const first = slot();
    const { id, sessionId } = await held(depositService, first);
    fake.pay(sessionId);
    await deliver('checkout.session.completed', fake.sessions.get(sessionId));
    const later = first + 100 * HOUR;
    const moved = await rescheduleBooking(deps, tenantId, { source: 'public', userId: null }, { bookingId: id, start: later });
    expect(moved.payment).toMatchObject({ status: 'paid', amountPaid: 2000 });
    // 30 h before the old start, but 130 h before the new one: the 48-hour tier, in full.
    clock.set(new Date(first - 30 * HOUR));
    await cancelBooking(deps, tenantId, { source: 'public', userId: null }, id, null);
    expect(await refundRows(id)).toMatchObject([{ amount: 2000 }]);
  });

  it('a cancellation by the business refunds in full whatever the policy', async () => {
    const start = slot();
    const { id, sessionId } = await held(depositService, start);
    fake.pay(sessionId);
    await deliver('checkout.session.completed', fake.sessions.get(sessionId));
    clock.set(new Date(start - HOUR));
    await cancelBooking(deps, tenantId, { source: 'admin', userId: null }, id, 'Therapist ill');
    expect(await refundRows(id)).toMatchObject([{ amount: 2000, reason: 'Cancelled by the business' }]);
  });

  it('retries a refund on transient failures, with one idempotency key, and refunds once', async () => {
    const { id, sessionId } = await held();
    fake.pay(sessionId);
    await deliver('checkout.session.completed', fake.sessions.get(sessionId));
    await runJobs(t, deps); // others' jobs out of the way
    await cancelBooking(deps, tenantId, { source: 'api', userId: null }, id, null);
    // stripe-node tries 3 times per call (2 retries): fail all three, so the job itself fails and is retried.
    for (let i = 0; i < 3; i++) fake.failNext('/v1/refunds', 500);
    await runJobs(t, deps);
    expect(await refundRows(id)).toMatchObject([{ status: 'queued' }]);
    await refundJobsDue();
    await runJobs(t, deps);
    expect(await refundRows(id)).toMatchObject([{ status: 'succeeded' }]);
    const calls = fake.apiCalls('/v1/refunds').filter((r) => r.idempotencyKey === `refund:${id}:1`);
    expect(calls).toHaveLength(4);
    expect([...fake.refunds.values()].filter((r) => r.metadata.booking_id === id)).toHaveLength(1);
  });

  it('the API refunds any amount up to what remains, and no more', async () => {
    const key = await makeApiKey();
    const { id, sessionId } = await held(fullService);
    fake.pay(sessionId);
    await deliver('checkout.session.completed', fake.sessions.get(sessionId));
    const part = await request(app).post(`/api/v1/bookings/${id}/refunds`).set('Authorization', `Bearer ${key}`).send({ amount: 3000, reason: 'Goodwill' });
    expect(part.status).toBe(201);
    expect(part.body).toMatchObject({ object: 'refund', number: 1, amount: 3000, status: 'queued' });
    const tooMuch = await request(app).post(`/api/v1/bookings/${id}/refunds`).set('Authorization', `Bearer ${key}`).send({ amount: 5001, reason: 'Too much' });
    expect(tooMuch.status).toBe(422);
    expect(await refundRows(id)).toHaveLength(1);
    await runJobs(t, deps);
    const got = await request(app).get(`/api/v1/bookings/${id}`).set('Authorization', `Bearer ${key}`);
    expect(got.body.payment).toMatchObject({ status: 'partially_refunded', amount_paid: 8000, amount_refunded: 3000, checkout_url: null });
  });
});

describe('without Stripe', () => {
  it('a platform without keys: pay at the venue, booked at once, nothing sent to Stripe', async () => {
    const plain = testDeps(t, clock, { RATE_LIMIT_MULTIPLIER: '100' });
    const before = fake.requests.length;
    const start = slot();
    const made = await createBooking(plain, tenantId, { source: 'public', userId: null }, { serviceId: depositService, resourceId, start, customer, notes: null });
    expect(made.booking.status).toBe('confirmed');
    expect(made.payment).toBeNull();
    const page = await new Client(createApp(plain), HOST).get(`/book/${depositService}/details?resource=${resourceId}&start=${encodeURIComponent(new Date(slot()).toISOString())}&tz=UTC`);
    expect(page.text).toContain('Pay at the venue: $45.00.');
    expect(fake.requests.length).toBe(before);
  });

  it('a business that has not connected Stripe: pay at the venue, nothing sent to Stripe', async () => {
    const other = (await makeTenant(deps, 'unpaid', { timeZone: 'UTC' })).tenant.id;
    const room = (await makeResource(deps, other, 'Room', 'UTC', [['00:00', '24:00']])).id;
    const svc = (await makeService(deps, other, [room], { durationMin: 60, intervalMin: 60, priceMinor: 4500, paymentMode: 'full' })).id;
    const before = fake.requests.length;
    const made = await createBooking(deps, other, { source: 'public', userId: null }, { serviceId: svc, resourceId: room, start: slot(), customer, notes: null });
    expect(made.booking.status).toBe('confirmed');
    expect(fake.requests.length).toBe(before);
  });
});
