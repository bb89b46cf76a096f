import { execFile } from 'node:child_process';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import request from 'supertest';
import { createApp } from '../../src/http/app.ts';
import type { AppDeps } from '../../src/deps.ts';
import { withTenant } from '../../src/db/tenant.ts';
import { hashPassword } from '../../src/auth/passwords.ts';
import { insertUser } from '../../src/auth/queries.ts';
import { createApiKey } from '../../src/api/keys.ts';
import { createBooking } from '../../src/bookings/service.ts';
import { updateStripeAccount } from '../../src/tenancy/queries.ts';
import { createTestDb, TestClock, testDeps, type TestDb } from '../support/db.ts';
import { makeTenant, signedIn } from '../support/http.ts';
import { makeResource, makeService } from '../support/catalog.ts';
import { FakeStripe } from '../fakes/stripe.ts';

const run = promisify(execFile);
const ROOT = path.resolve(import.meta.dirname, '../..');
const SECRET = 'whsec_admin_test_secret';
const HOST = 'shop.slotwise.test';
const HOUR = 3_600_000;

let t: TestDb;
let fake: FakeStripe;
let deps: AppDeps;
let app: ReturnType<typeof createApp>;
let tenantId: string;
let resourceId: string;
let serviceId: string;
const clock = new TestClock(Date.now());
let nextSlot = Math.ceil((Date.now() + 3 * 24 * HOUR) / HOUR) * HOUR;
const slot = () => (nextSlot += 2 * HOUR);
const env = () => ({ STRIPE_SECRET_KEY: 'sk_test_fake', STRIPE_WEBHOOK_SECRET: SECRET, STRIPE_API_BASE: fake.url, RATE_LIMIT_MULTIPLIER: '100' });

beforeAll(async () => {
  t = await createTestDb();
  fake = await new FakeStripe().start();
  fake.nowSeconds = () => Math.floor(clock.now().getTime() / 1000);
  deps = testDeps(t, clock, env());
  app = createApp(deps);
  tenantId = (await makeTenant(deps, 'shop', { timeZone: 'UTC' })).tenant.id;
  await withTenant(deps.db, tenantId, async (tx) => insertUser(tx, { email: 'staff@shop.example', name: 'Staff', role: 'staff', passwordHash: await hashPassword('correct-horse-battery') }));
  resourceId = (await makeResource(deps, tenantId, 'Chair', 'UTC', [['00:00', '24:00']])).id;
  serviceId = (await makeService(deps, tenantId, [resourceId], { name: 'Cut', durationMin: 60, intervalMin: 60, priceMinor: 6000, paymentMode: 'full' })).id;
});
afterAll(async () => {
  await fake.stop();
  await t.drop();
});

const tenantRow = async () => (await t.owner('tenants').where({ id: tenantId }).first()) as { stripe_account_id: string | null; stripe_charges_enabled: boolean };

describe('connecting Stripe', () => {
  it('shows "Stripe not connected" until the owner connects through Account Links, then charges_enabled', async () => {
    const owner = await signedIn(app, HOST, 'owner@shop.example');
    const page = await owner.get('/admin/settings/payments');
    expect(page.status).toBe(200);
    expect(page.text).toContain('Stripe not connected');
    const svc = await owner.get(`/admin/services/${serviceId}`);
    expect(svc.text).toContain('Stripe not connected');

    const go = await owner.post('/admin/settings/payments/connect');
    expect(go.status).toBe(303);
    const created = fake.apiCalls('/v1/accounts').at(-1)!;
    expect(created).toMatchObject({ method: 'POST', idempotencyKey: `connect:${tenantId}` });
    expect(created.form.type).toBe('standard');
    const account = (await tenantRow()).stripe_account_id!;
    expect(go.headers.location).toBe(`${fake.url}/setup/${account}`);
    const link = fake.apiCalls('/v1/account_links').at(-1)!;
    expect(link.form).toMatchObject({
      account, type: 'account_onboarding',
      refresh_url: 'http://shop.slotwise.test/admin/settings/payments/refresh', return_url: 'http://shop.slotwise.test/admin/settings/payments/return',
    });
    // The CSP lets the form's redirect go to Stripe (here, the fake).
    expect(String(go.headers['content-security-policy'])).toContain(fake.url);

    // Back before Stripe enabled charges: still "pay at the venue".
    await owner.get('/admin/settings/payments/return');
    expect((await tenantRow()).stripe_charges_enabled).toBe(false);
    fake.accounts.get(account)!.charges_enabled = true;
    const back = await owner.get('/admin/settings/payments/return');
    expect(back.status).toBe(303);
    expect((await tenantRow()).stripe_charges_enabled).toBe(true);
    expect((await owner.get('/admin/settings/payments')).text).toContain('Connected.');
  });

  it('is for owners and admins only', async () => {
    const staff = await signedIn(app, HOST, 'staff@shop.example');
    expect((await staff.get('/admin/settings/payments')).status).toBe(403);
    const before = fake.requests.length;
    expect((await staff.post('/admin/settings/payments/connect')).status).toBe(403);
    expect(fake.requests.length).toBe(before);
  });

  it('the operator attaches an existing account: npm run admin -- stripe:connect', async () => {
    const other = await makeTenant(deps, 'cli-shop', { timeZone: 'UTC' });
    const made = { id: 'acct_1ExistingCli', charges_enabled: true, details_submitted: true };
    fake.accounts.set(made.id, made);
    const cli = (...args: string[]) => run(process.execPath, ['src/cli.ts', ...args], {
      cwd: ROOT, env: { PATH: process.env.PATH, DATABASE_URL: t.url, SESSION_SECRET: 'test-secret-test-secret-test-secret-0123', LOG_LEVEL: 'silent', ...env() },
    }).then((r) => ({ code: 0, ...r }), (e: { code: number; stdout: string; stderr: string }) => e);
    const ok = await cli('stripe:connect', '--tenant', 'cli-shop', '--account', made.id);
    expect(ok.stdout).toContain('charges enabled yes');
    expect(ok.code).toBe(0);
    const row = await t.owner('tenants').where({ id: other.tenant.id }).first();
    expect(row).toMatchObject({ stripe_account_id: made.id, stripe_charges_enabled: true });
    expect(fake.apiCalls(`/v1/accounts/${made.id}`).at(-1)!.method).toBe('GET');
    const bad = await cli('stripe:connect', '--tenant', 'cli-shop', '--account', 'not-an-account');
    expect(bad.code).toBe(1);
    const unknown = await cli('stripe:connect', '--tenant', 'cli-shop', '--account', 'acct_1NoSuchThing');
    expect(unknown.code).toBe(1);
    expect((await t.owner('tenants').where({ id: other.tenant.id }).first()).stripe_account_id).toBe(made.id);
  });
});

describe('refunds from the dashboard', () => {
  async function paidBooking() {
    await withTenant(deps.db, tenantId, (tx) => updateStripeAccount(tx, { accountId: 'acct_1ShopPaid', chargesEnabled: true, detailsSubmitted: true }));
    const made = await createBooking(deps, tenantId, { source: 'public', userId: null }, {
      serviceId, resourceId, start: slot(), customer: { name: 'Kim', email: 'kim@example.com', phone: null, timeZone: 'UTC' }, notes: null,
    });
    const sessionId = (await t.owner('payments').where({ booking_id: made.booking.id }).first()).checkout_session_id as string;
    const s = fake.pay(sessionId);
    const e = FakeStripe.signedEvent(SECRET, 'checkout.session.completed', s, 'acct_1ShopPaid');
    const res = await request(app).post('/stripe/webhook').set('Host', 'slotwise.test').set('Stripe-Signature', e.signature).set('Content-Type', 'application/json').send(e.body);
    expect(res.status).toBe(200);
    return made.booking.id;
  }

  it('owners refund any amount up to what remains, with a reason; staff cannot', async () => {
    const id = await paidBooking();
    const staff = await signedIn(app, HOST, 'staff@shop.example');
    expect((await staff.post(`/admin/bookings/${id}/refunds`, { amount: '10', reason: 'Nice try' })).status).toBe(403);
    const owner = await signedIn(app, HOST, 'owner@shop.example');
    const page = await owner.get(`/admin/bookings/${id}`);
    expect(page.text).toContain('Full prepayment of $60.00');
    expect(page.text).toContain('session created');
    expect(page.text).toContain(`action="/admin/bookings/${id}/refunds"`);
    expect((await staff.get(`/admin/bookings/${id}`)).text).not.toContain(`action="/admin/bookings/${id}/refunds"`);
    const tooMuch = await owner.post(`/admin/bookings/${id}/refunds`, { amount: '60.01', reason: 'Too much' });
    expect(tooMuch.status).toBe(422);
    expect(tooMuch.text).toContain('At most $60.00 remains to refund.');
    const noReason = await owner.post(`/admin/bookings/${id}/refunds`, { amount: '5', reason: '' });
    expect(noReason.status).toBe(422);
    const ok = await owner.post(`/admin/bookings/${id}/refunds`, { amount: '15.50', reason: 'Late start' });
    expect(ok.status).toBe(303);
    expect(await t.owner('refunds').where({ booking_id: id })).toMatchObject([{ n: 1, amount: 1550, reason: 'Late start', requested_by: 'staff', status: 'queued' }]);
    expect(await t.owner('audit_log').where({ action: 'booking.refund', subject_id: id })).toHaveLength(1);
  });

  it('the booking list and CSV show payment status and amounts', async () => {
    const id = await paidBooking();
    const owner = await signedIn(app, HOST, 'owner@shop.example');
    const from = new Date(clock.now().getTime()).toISOString().slice(0, 10);
    const list = await owner.get(`/admin/bookings?from=${from}&to=${new Date(nextSlot + 24 * HOUR).toISOString().slice(0, 10)}`);
    expect(list.text).toContain('Payment paid: $60.00 paid');
    const csv = await owner.get(`/admin/bookings.csv?from=${from}&to=${new Date(nextSlot + 24 * HOUR).toISOString().slice(0, 10)}`);
    expect(csv.text.split('\n')[0]).toContain('payment_status,amount_paid,amount_refunded,currency');
    expect(csv.text.split('\n').find((l) => l.startsWith(id))).toMatch(/,paid,6000,0,USD/);
    const overview = await owner.get('/admin');
    expect(overview.text).toContain("This week's payments");
    expect(overview.text).toMatch(/Taken online: <strong>\$[\d,]+\.00<\/strong>/);
  });
});

describe('what a service asks for', () => {
  it('refuses amounts below Stripe\'s minimum with the reason, on the form and in the API', async () => {
    const owner = await signedIn(app, HOST, 'owner@shop.example');
    const before = await t.owner('services').count({ n: '*' });
    const form = await owner.post('/admin/services', {
      name: 'Tiny', description: '', durationMin: '30', intervalMin: '30', bufferBeforeMin: '0', bufferAfterMin: '0', minNoticeMin: '0', horizonDays: '60', maxPerDay: '',
      price: '10.00', deposit: '0.40', currency: 'USD', paymentMode: 'deposit', depositPercent: '', resourceIds: resourceId, active: 'on',
    });
    expect(form.status).toBe(422);
    expect(form.text).toContain('Stripe cannot charge less than $0.50 in USD');
    const { key } = await createApiKey(deps, tenantId, 'svc');
    const api = await request(app).post('/api/v1/services').set('Authorization', `Bearer ${key}`).send({
      name: 'Tiny yen', duration_minutes: 30, price: 40, currency: 'JPY', payment_mode: 'full', resource_ids: [resourceId],
    });
    expect(api.status).toBe(422);
    expect(JSON.stringify(api.body)).toContain('Stripe cannot charge less than ¥50 in JPY');
    expect(await t.owner('services').count({ n: '*' })).toEqual(before);
    const yen = await request(app).post('/api/v1/services').set('Authorization', `Bearer ${key}`).send({
      name: 'Yen deposit', duration_minutes: 30, price: 5000, currency: 'JPY', payment_mode: 'deposit', deposit_percent: 20, resource_ids: [resourceId],
    });
    expect(yen.status).toBe(201);
    expect(yen.body).toMatchObject({ payment_mode: 'deposit', deposit_percent: 20, deposit_amount: null, price: 5000, currency: 'JPY' });
  });

  it('reads and sets the cancellation policy through the API', async () => {
    const { key } = await createApiKey(deps, tenantId, 'policy');
    const put = await request(app).put('/api/v1/settings/cancellation_policy').set('Authorization', `Bearer ${key}`)
      .send({ tiers: [{ hours_before: 24, refund_percent: 100 }, { hours_before: 48, refund_percent: 100 }, { hours_before: 2, refund_percent: 50 }], same_day_refund_percent: null });
    expect(put.status).toBe(200);
    const got = await request(app).get('/api/v1/settings/cancellation_policy').set('Authorization', `Bearer ${key}`);
    expect(got.body).toEqual({ object: 'cancellation_policy', tiers: [{ hours_before: 48, refund_percent: 100 }, { hours_before: 24, refund_percent: 100 }, { hours_before: 2, refund_percent: 50 }], same_day_refund_percent: null });
    const bad = await request(app).put('/api/v1/settings/cancellation_policy').set('Authorization', `Bearer ${key}`).send({ tiers: [{ hours_before: 1, refund_percent: 150 }], same_day_refund_percent: null });
    expect(bad.status).toBe(422);
    expect((await request(app).get('/api/v1/settings/cancellation_policy').set('Authorization', `Bearer ${key}`)).body.tiers).toHaveLength(3);
  });
});
