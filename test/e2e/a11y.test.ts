/**
 * Accessibility in a real browser (Chromium through playwright-core) with
 * axe-core (@axe-core/playwright, pinned): every public page on a phone and
 * every dashboard page on a laptop, on the seeded demo tenant, with no
 * critical and no serious violation. The server's clock is set to a
 * weekday mid-morning in New York, so the day and week grids carry their
 * "now" line. Then the booking flow by keyboard alone: from the day strip a
 * time is fewer than 10 tab stops away (the strip is one tab stop, with
 * the arrow keys between days), and the booking submits.
 */
import { AxeBuilder } from '@axe-core/playwright';
import type { Browser, BrowserContext, BrowserContextOptions, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createBooking } from '../../src/bookings/service.ts';
import { DEMO } from '../../src/tenancy/seed.ts';
import { tenantBySlug } from '../../src/tenancy/queries.ts';
import { createTestDb, type TestDb } from '../support/db.ts';
import { launchBrowser, serveDemo } from './browser.ts';

const NY = 'America/New_York';
const PHONE: BrowserContextOptions = { viewport: { width: 390, height: 844 }, isMobile: true, hasTouch: true, deviceScaleFactor: 2, locale: 'en-US', timezoneId: NY };
const LAPTOP: BrowserContextOptions = { viewport: { width: 1280, height: 900 }, locale: 'en-US', timezoneId: NY };

// The next weekday (UTC) from today, 15:30 UTC: 10:30 AM in New York in winter, 11:30 AM in summer.
const day = new Date();
while ([0, 6].includes(day.getUTCDay())) day.setUTCDate(day.getUTCDate() + 1);
const TODAY = day.toISOString().slice(0, 10);
const NOW = Date.parse(`${TODAY}T15:30:00Z`);

let t: TestDb;
let stopServer: (() => Promise<void>) | undefined;
let browser: Browser | undefined;
let origin: string;
let rootOrigin: string;
let bookingId: string;
let manageToken: string;
let serviceId: string;
let alexId: string;
const contexts: BrowserContext[] = [];

beforeAll(async () => {
  t = await createTestDb();
  const served = await serveDemo(t, { now: () => new Date(NOW) });
  stopServer = served.close;
  origin = served.origin;
  rootOrigin = origin.replace('demo.', '');
  const deps = served.deps;
  const tenant = (await tenantBySlug(deps.db, DEMO.slug))!;
  serviceId = (await t.owner('services').where({ tenant_id: tenant.id, name: 'Consultation' }).first()).id;
  alexId = (await t.owner('resources').where({ tenant_id: tenant.id, name: 'Alex Rivera' }).first()).id;
  // Today at 1 or 2 PM in New York (in Alex's hours, after the lunch break): on the grids beside the "now" line.
  const made = await createBooking(deps, tenant.id, { source: 'public', userId: null }, {
    serviceId, resourceId: alexId, start: Date.parse(`${TODAY}T18:00:00Z`),
    customer: { name: 'Ada Lovelace', email: 'ada@example.com', phone: '+1 555 0100', timeZone: 'Europe/London' }, notes: 'Window seat, please.',
  });
  bookingId = made.booking.id;
  // And one on a weekday three or more days out, outside the customer's 12 h cutoff, for the pages that change it.
  const later = new Date(Date.parse(`${TODAY}T18:00:00Z`) + 3 * 86_400_000);
  while ([0, 6].includes(later.getUTCDay()) || /-12-25$|-01-01$/.test(later.toISOString().slice(0, 10))) later.setUTCDate(later.getUTCDate() + 1);
  manageToken = (await createBooking(deps, tenant.id, { source: 'public', userId: null }, {
    serviceId, resourceId: alexId, start: later.getTime(),
    customer: { name: 'Grace Hopper', email: 'grace@example.com', phone: null, timeZone: NY }, notes: null,
  })).manageToken;
  await t.owner('tenants').where({ id: tenant.id }).update({ contact_phone: '+1 212 555 0100', contact_email: 'hello@demo.example', contact_address: '12 Hudson St\nNew York, NY 10013' });
  browser = await launchBrowser();
}, 90_000);

afterAll(async () => {
  for (const c of contexts) await c.close().catch(() => undefined);
  await browser?.close();
  await stopServer?.();
  await t?.drop();
}, 60_000);

async function open(options: BrowserContextOptions): Promise<Page> {
  const context = await browser!.newContext(options);
  contexts.push(context);
  context.setDefaultTimeout(15_000);
  return context.newPage();
}

/** The critical and serious violations on the page as it is now, one line per element. */
async function seriousViolations(page: Page): Promise<string[]> {
  const result = await new AxeBuilder({ page } as never).analyze();
  return result.violations
    .filter((v) => v.impact === 'critical' || v.impact === 'serious')
    .flatMap((v) => v.nodes.map((n) => `${v.id} (${v.impact}) ${n.target.join(' ')}: ${n.failureSummary?.replace(/\s+/g, ' ') ?? ''}`));
}

async function expectClean(page: Page, what: string): Promise<void> {
  expect(await seriousViolations(page), `${what} (${page.url()})`).toEqual([]);
}

async function signInOwner(page: Page): Promise<void> {
  await page.goto(`${origin}/login`);
  await page.getByLabel('Email').fill(DEMO.email);
  await page.getByLabel('Password').fill(DEMO.password);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.waitForURL(`${origin}/admin`);
}

describe('axe-core finds nothing critical or serious', () => {
  it('on every public page, on a phone', async () => {
    const page = await open(PHONE);
    const visit = async (path: string, what: string) => {
      await page.goto(path.startsWith('http') ? path : `${origin}${path}`);
      await expectClean(page, what);
    };
    await visit('/', 'services');
    await visit(`/book/${serviceId}`, 'who');
    await visit(`/book/${serviceId}?resource=any&tz=${NY}`, 'times');
    await page.locator('.time').first().click();
    await page.waitForURL((u) => u.pathname.endsWith('/details'));
    await expectClean(page, 'details');
    await page.getByRole('button', { name: 'Confirm booking' }).click();
    await page.waitForLoadState();
    expect(await page.locator('.field--invalid').count()).toBeGreaterThan(0);
    await expectClean(page, 'details with errors');
    await visit(`/manage/${manageToken}?booked=1`, 'confirmation');
    await visit(`/manage/${manageToken}/reschedule`, 'new time');
    await page.locator('a.time').first().click();
    await page.waitForURL((u) => u.pathname.endsWith('/reschedule/confirm'));
    await expectClean(page, 'move?');
    await visit('/login', 'sign in');
    await visit('/password/forgot', 'forgotten password');
    await visit('/no-such-page', 'not found');
    await visit(rootOrigin, 'Slotwise home');
    await visit(`${rootOrigin}/signup`, 'sign-up');
    // With JavaScript the browser asks first (hx-confirm): saying no changes nothing.
    await page.goto(`${origin}/manage/${manageToken}`);
    const asked: string[] = [];
    page.once('dialog', (d) => {
      asked.push(d.message());
      void d.dismiss();
    });
    await page.getByRole('button', { name: /Cancel this booking/ }).click();
    await expect.poll(() => asked).toEqual(['Cancel this booking? This cannot be undone.']);
    expect((await t.owner('bookings').where({ customer_email: 'grace@example.com' }).first()).status).toBe('confirmed');
    // The question page, as a browser without JavaScript reaches it (a plain submit, which htmx does not see).
    await Promise.all([page.waitForURL((u) => u.pathname.endsWith('/cancel')), page.evaluate('document.querySelector("#cancel form").submit()')]);
    expect(await page.locator('h1').innerText()).toBe('Cancel your booking?');
    await expectClean(page, 'cancel?');
    expect((await t.owner('bookings').where({ customer_email: 'grace@example.com' }).first()).status).toBe('confirmed');
    // Saying yes in the browser's question cancels in one request, the page swapped in place.
    await page.goto(`${origin}/manage/${manageToken}`);
    page.once('dialog', (d) => void d.accept());
    await page.getByLabel('Reason (optional)').fill('Plans changed');
    await page.getByRole('button', { name: /Cancel this booking/ }).click();
    await expect.poll(() => page.locator('main .alert--ok').textContent().catch(() => '')).toContain('Your booking is cancelled.');
    expect(await t.owner('bookings').where({ customer_email: 'grace@example.com' }).first()).toMatchObject({ status: 'cancelled', cancel_reason: 'Customer: Plans changed' });
    await expectClean(page, 'cancelled');
  }, 120_000);

  it('on every dashboard page, on a laptop, with the "now" line on the grids', async () => {
    const page = await open(LAPTOP);
    await signInOwner(page);
    const service = serviceId;
    const pages = [
      '/admin', `/admin/day?date=${TODAY}`, `/admin/day?date=${TODAY}&resource=${alexId}`, `/admin/week?date=${TODAY}`, '/admin/bookings', `/admin/bookings/${bookingId}`,
      `/admin/bookings/${bookingId}/reschedule`, '/admin/bookings/new', '/admin/blocks', '/admin/calendars', '/admin/services', '/admin/services/new', `/admin/services/${service}`,
      '/admin/resources', `/admin/resources/${alexId}`, '/admin/holidays', '/admin/staff', '/admin/settings', '/admin/settings/payments', '/admin/outbox', '/admin/developers',
      '/admin/audit', '/admin/account/password',
    ];
    for (const path of pages) {
      const res = await page.goto(`${origin}${path}`);
      expect(res?.status(), path).toBe(200);
      if (path.startsWith('/admin/day') || path.startsWith('/admin/week')) expect(await page.locator('.time-grid__now').count(), path).toBeGreaterThan(0);
      await expectClean(page, path);
    }
    // Cancelling from the dashboard: the browser asks (hx-confirm), then the booking page shows the outcome.
    await page.goto(`${origin}/admin/bookings/${bookingId}`);
    page.once('dialog', (d) => void d.accept());
    await page.getByLabel('Reason for cancelling (sent to the customer)').fill('Alex is ill');
    await page.getByRole('button', { name: /Cancel booking/ }).click();
    await expect.poll(() => page.locator('main').textContent()).toContain('The booking is cancelled');
    expect(await t.owner('bookings').where({ id: bookingId }).first()).toMatchObject({ status: 'cancelled', cancel_reason: 'Alex is ill' });
  }, 180_000);
});

describe('the booking flow by keyboard alone', () => {
  it('reaches a time from the day strip in fewer than 10 tab stops, and submits', async () => {
    const page = await open(PHONE);
    await page.goto(`${origin}/book/${serviceId}?resource=any&tz=${NY}`);
    // Tab from the top of the page to the day strip.
    let stops = 0;
    const focusIn = (selector: string) => page.evaluate(`!!document.activeElement && !!document.activeElement.closest(${JSON.stringify(selector)})`) as Promise<boolean>;
    while (!(await focusIn('.day-strip__days'))) {
      await page.keyboard.press('Tab');
      expect(++stops, 'tab stops to the day strip').toBeLessThan(40);
    }
    // The strip is one stop (the chosen day): the next stops lead on to the times.
    const tabTo = async (selector: string, key: 'Tab' | 'Shift+Tab', what: string) => {
      let n = 0;
      while (!(await focusIn(selector))) {
        await page.keyboard.press(key);
        expect(++n, what).toBeLessThan(10);
      }
    };
    await tabTo('.times', 'Tab', 'tab stops from the day strip to a time');
    // Back in the strip, the arrow keys move between days.
    await tabTo('.day-strip__days', 'Shift+Tab', 'tab stops back to the day strip');
    const first = await page.evaluate('document.activeElement.getAttribute("href")');
    await page.keyboard.press('ArrowRight');
    expect(await page.evaluate('document.activeElement.getAttribute("href")')).not.toBe(first);
    await page.keyboard.press('ArrowLeft');
    expect(await page.evaluate('document.activeElement.getAttribute("href")')).toBe(first);
    await tabTo('.times', 'Tab', 'tab stops from the day strip to a time, again');
    await page.keyboard.press('Enter');
    await page.waitForURL((u) => u.pathname.endsWith('/details'));
    // Name, email, phone, notes, then the button: typed and submitted from the keyboard.
    await page.getByLabel('Your name').focus();
    await page.keyboard.type('Kay Board');
    await page.keyboard.press('Tab');
    await page.keyboard.type('kay@example.com');
    await page.keyboard.press('Enter');
    await page.waitForURL((u) => u.pathname.startsWith('/manage/'));
    expect(await page.locator('.alert--ok').innerText()).toContain("You're booked.");
    expect(await t.owner('bookings').where({ customer_email: 'kay@example.com', status: 'confirmed' })).toHaveLength(1);
  }, 60_000);
});
