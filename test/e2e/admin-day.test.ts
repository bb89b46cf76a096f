/**
 * A provider's day in the dashboard on a phone (390×844), in a real
 * browser: sign in as the demo owner, open the day view with a booking on
 * it, no horizontal scroll, the booking opens its detail page.
 * Screenshots go to test-results/e2e/admin-*.png.
 */
import { mkdir } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEMO } from '../../src/tenancy/seed.ts';
import { createBooking } from '../../src/bookings/service.ts';
import { tenantBySlug } from '../../src/tenancy/queries.ts';
import { createTestDb, type TestDb } from '../support/db.ts';
import { demoOwnerOnPhone, launchBrowser, serveDemo } from './browser.ts';

const SHOTS = fileURLToPath(new URL('../../test-results/e2e/', import.meta.url));
let t: TestDb;
let stopServer: (() => Promise<void>) | undefined;
let browser: Browser | undefined;
let origin: string;
let date: string;

beforeAll(async () => {
  await mkdir(SHOTS, { recursive: true });
  t = await createTestDb();
  const served = await serveDemo(t);
  stopServer = served.close;
  origin = served.origin;
  const deps = served.deps;
  // A booking on the next weekday at 10:00 New York time with Alex (Monday–Friday hours).
  const tenant = (await tenantBySlug(deps.db, DEMO.slug))!;
  const service = await t.owner('services').where({ tenant_id: tenant.id, name: 'Consultation' }).first();
  const alex = await t.owner('resources').where({ tenant_id: tenant.id, name: 'Alex Rivera' }).first();
  const day = new Date(Date.now() + 2 * 86_400_000);
  while ([0, 6].includes(day.getUTCDay())) day.setUTCDate(day.getUTCDate() + 1);
  date = day.toISOString().slice(0, 10);
  const start = Date.parse(`${date}T15:00:00Z`); // 10:00 or 11:00 in New York, inside Alex's hours either way
  await createBooking(deps, tenant.id, { source: 'public', userId: null }, {
    serviceId: service.id, resourceId: alex.id, start, customer: { name: 'Phoebe Phone', email: 'phoebe@example.com', phone: null, timeZone: 'America/Chicago' }, notes: null,
  });
  browser = await launchBrowser();
}, 90_000);

afterAll(async () => {
  await browser?.close();
  await stopServer?.();
  await t.drop();
});

describe('the dashboard day view on a phone', () => {
  it('shows the day with its booking, fits the screen, and opens the booking', async () => {
    const page = await demoOwnerOnPhone(browser!, origin, { width: 390, height: 844 });
    await page.goto(`${origin}/admin/day?date=${date}`);
    const item = page.locator('.time-grid__item', { hasText: 'Phoebe Phone' });
    await expect(item.count()).resolves.toBe(1);
    expect(await item.textContent()).toMatch(/(10|11):00 AM–(10|11):30 AM/);
    expect(await page.locator('.time-grid').count()).toBe(2); // Alex and Sam
    await page.screenshot({ path: `${SHOTS}/admin-01-day.png`, fullPage: true });
    const overflow = (await page.evaluate('({ scroll: document.documentElement.scrollWidth, width: window.innerWidth })')) as { scroll: number; width: number };
    expect(overflow.width).toBe(390);
    expect(overflow.scroll).toBeLessThanOrEqual(overflow.width);
    await item.click();
    await page.waitForURL(/\/admin\/bookings\/[0-9a-f-]{36}$/);
    expect(await page.locator('h1').textContent()).toBe('Phoebe Phone');
    await page.screenshot({ path: `${SHOTS}/admin-02-booking.png`, fullPage: true });

    // A service form checks itself as it is typed (htmx), without a reload, and still saves as a plain form.
    const service = await t.owner('services').where({ name: 'Consultation' }).first();
    await page.goto(`${origin}/admin/services/${service.id}`);
    await page.evaluate('window.__marker = 1');
    await page.getByLabel('Deposit').fill('999');
    await page.getByLabel('Deposit').dispatchEvent('change');
    await page.getByText('The deposit cannot be more than the price.').waitFor();
    expect(await page.evaluate('window.__marker')).toBe(1);
    await page.screenshot({ path: `${SHOTS}/admin-03-service-check.png`, fullPage: true });
    await page.getByLabel('Deposit').fill('0');
    await page.getByLabel('Name').fill('First consultation');
    await page.getByRole('button', { name: 'Save service' }).click();
    await page.getByText('Service saved.').waitFor();
    await page.screenshot({ path: `${SHOTS}/admin-04-service-saved.png`, fullPage: true });
    expect((await t.owner('services').where({ id: service.id }).first()).name).toBe('First consultation');
    await page.context().close();
  }, 60_000);
});
