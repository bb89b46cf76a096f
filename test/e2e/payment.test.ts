/**
 * A paid booking in a real browser (Chromium through playwright-core) on a
 * phone viewport: the details page says what is paid online, "Continue to
 * payment" goes to Stripe Checkout (the fake's page on 127.0.0.1: the CSP's
 * form-action must let the redirect through), "Pay" there completes the
 * session and Stripe's signed webhook follows a moment later, and the
 * customer, back on the business's page, sees "Confirming your payment…"
 * until htmx's polling finds the booking confirmed.
 */
import http from 'node:http';
import type { Server } from 'node:http';
import { mkdir } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AppDeps } from '../../src/deps.ts';
import { createApp } from '../../src/http/app.ts';
import { withTenant } from '../../src/db/tenant.ts';
import { updateStripeAccount } from '../../src/tenancy/queries.ts';
import { createTestDb, testDeps, type TestDb } from '../support/db.ts';
import { makeTenant } from '../support/http.ts';
import { makeResource, makeService } from '../support/catalog.ts';
import { freePort } from '../support/net.ts';
import { FakeStripe } from '../fakes/stripe.ts';
import { launchBrowser } from './browser.ts';

const SHOTS = fileURLToPath(new URL('../../test-results/e2e/', import.meta.url));
const SECRET = 'whsec_e2e_secret';
const ACCOUNT = 'acct_1E2eStudio';
const HOUR = 3_600_000;

let t: TestDb;
let fake: FakeStripe;
let browser: Browser | undefined;
let server: Server;
let port: number;
let origin: string;
let deps: AppDeps;
let serviceId: string;
let resourceId: string;

/** Stripe's webhook, signed, to the app's root domain (as Stripe would, after the payment). */
function sendWebhook(body: string, signature: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = http.request({ host: '127.0.0.1', port, path: '/stripe/webhook', method: 'POST', headers: { Host: `localhost:${port}`, 'Content-Type': 'application/json', 'Stripe-Signature': signature } }, (res) => {
      res.resume();
      res.on('end', () => resolve(res.statusCode ?? 0));
    });
    req.on('error', reject);
    req.end(body);
  });
}

let webhookStatus: Promise<number> | undefined;

beforeAll(async () => {
  await mkdir(SHOTS, { recursive: true });
  t = await createTestDb();
  fake = await new FakeStripe().start();
  port = await freePort();
  deps = { ...testDeps(t, undefined, { BASE_DOMAIN: `localhost:${port}`, RATE_LIMIT_MULTIPLIER: '1000', STRIPE_SECRET_KEY: 'sk_test_e2e', STRIPE_WEBHOOK_SECRET: SECRET, STRIPE_API_BASE: fake.url }), now: () => new Date() };
  const tenantId = (await makeTenant(deps, 'studio', { timeZone: 'UTC' })).tenant.id;
  await withTenant(deps.db, tenantId, (tx) => updateStripeAccount(tx, { accountId: ACCOUNT, chargesEnabled: true, detailsSubmitted: true }));
  resourceId = (await makeResource(deps, tenantId, 'Studio A', 'UTC', [['00:00', '24:00']])).id;
  serviceId = (await makeService(deps, tenantId, [resourceId], { name: 'Portrait session', durationMin: 60, intervalMin: 60, priceMinor: 12000, paymentMode: 'deposit', depositPercent: 25 })).id;
  // The webhook arrives a moment after the customer is back: the page first says "confirming".
  fake.onPaid = async (s) => {
    const e = FakeStripe.signedEvent(SECRET, 'checkout.session.completed', s, ACCOUNT);
    webhookStatus = new Promise((resolve) => setTimeout(resolve, 2500)).then(() => sendWebhook(e.body, e.signature));
  };
  server = createApp(deps).listen(port, '127.0.0.1');
  await new Promise<void>((resolve, reject) => server.once('listening', resolve).once('error', reject));
  origin = `http://studio.localhost:${port}`;
  browser = await launchBrowser();
}, 90_000);

afterAll(async () => {
  await browser?.close();
  server?.closeAllConnections();
  await new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve()));
  await fake?.stop();
  await t?.drop();
}, 60_000);

describe('paying for a booking on a phone', () => {
  it('goes to Stripe Checkout and back to the confirmation', async () => {
    const context = await browser!.newContext({ viewport: { width: 390, height: 844 }, isMobile: true, hasTouch: true, deviceScaleFactor: 2, locale: 'en-US' });
    context.setDefaultTimeout(15_000);
    const page = await context.newPage();
    const errors: string[] = [];
    page.on('pageerror', (err) => errors.push(`pageerror: ${err.message}`));
    page.on('console', (msg) => {
      if (msg.type() === 'error' && !msg.location().url.endsWith('/favicon.ico')) errors.push(`console: ${msg.text()}`);
    });
    const start = new Date(Math.ceil((Date.now() + 2 * 24 * HOUR) / HOUR) * HOUR).toISOString();
    await page.goto(`${origin}/book/${serviceId}/details?resource=${resourceId}&start=${encodeURIComponent(start)}&tz=UTC`);
    await expect.poll(() => page.locator('.payment-note').innerText()).toContain('A deposit of $30.00 is paid online to confirm; the rest ($90.00) at the venue.');
    await page.getByLabel('Name').fill('Robin Phone');
    await page.getByLabel('Email').fill('robin@example.com');
    await page.screenshot({ path: `${SHOTS}payment-1-details.png`, fullPage: true });
    await page.getByRole('button', { name: 'Continue to payment' }).click();

    // Stripe Checkout (the fake's page), on the business's account.
    await page.waitForURL((u) => u.origin === fake.url && u.pathname.startsWith('/c/pay/cs_test_'));
    expect(await page.locator('h1').innerText()).toBe('Pay 3000 USD');
    const session = [...fake.sessions.values()].at(-1)!;
    expect(session.account).toBe(ACCOUNT);
    const held = await t.owner('bookings').where({ customer_email: 'robin@example.com' }).first();
    expect(held.status).toBe('held');
    await page.screenshot({ path: `${SHOTS}payment-2-checkout.png`, fullPage: true });
    await page.getByRole('button', { name: 'Pay' }).click();

    // Back on the business's page before the webhook: "confirming", then htmx finds it confirmed.
    await page.waitForURL((u) => u.origin === origin && u.pathname.startsWith('/manage/') && u.searchParams.get('paid') === '1');
    await expect.poll(() => page.locator('#payment').innerText()).toContain('Confirming your payment');
    await page.screenshot({ path: `${SHOTS}payment-3-confirming.png`, fullPage: true });
    await expect.poll(() => page.locator('#payment').innerText(), { timeout: 15_000 }).toContain('Payment received. You\'re booked.');
    expect(await webhookStatus).toBe(200);
    const text = await page.locator('#payment').innerText();
    expect(text).toContain('Paid online: $30.00');
    expect(text).toContain('To pay at the venue: $90.00');
    expect((await t.owner('bookings').where({ id: held.id }).first()).status).toBe('confirmed');
    await page.screenshot({ path: `${SHOTS}payment-4-confirmed.png`, fullPage: true });
    expect(errors).toEqual([]);
    await context.close();
  }, 60_000);
});
