/**
 * The customer booking flow in a real browser (Chromium through
 * playwright-core), on the seeded demo tenant served on 127.0.0.1:
 *  - with JavaScript, in a Los Angeles browser: the picker switches to the
 *    browser's zone, htmx swaps the day in place, and the booking is stored
 *    with the customer's zone;
 *  - at 360 px: no horizontal scroll, 44 px tap targets, labelled fields;
 *  - without JavaScript: the same booking with plain links and forms, in the
 *    business's zone.
 * Screenshots of every step go to test-results/e2e/.
 */
import { mkdir, rm } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import type { Browser, BrowserContext, BrowserContextOptions, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDb, type TestDb } from '../support/db.ts';
import { launchBrowser, serveDemo } from './browser.ts';

const SHOTS = fileURLToPath(new URL('../../test-results/e2e/', import.meta.url));
const LA = 'America/Los_Angeles';
const NY = 'America/New_York';
const PHONE: BrowserContextOptions = { viewport: { width: 390, height: 844 }, isMobile: true, hasTouch: true, deviceScaleFactor: 2, locale: 'en-US' };
const SMALL_PHONE: BrowserContextOptions = { ...PHONE, viewport: { width: 360, height: 740 } };

let t: TestDb;
let stopServer: (() => Promise<void>) | undefined;
let browser: Browser | undefined;
let origin: string;
const contexts: BrowserContext[] = [];

beforeAll(async () => {
  await rm(SHOTS, { recursive: true, force: true });
  await mkdir(SHOTS, { recursive: true });
  t = await createTestDb();
  const served = await serveDemo(t);
  stopServer = served.close;
  origin = served.origin;
  browser = await launchBrowser();
}, 90_000);

afterAll(async () => {
  for (const c of contexts) await c.close().catch(() => undefined);
  await browser?.close();
  await stopServer?.();
  await t?.drop();
}, 60_000);

/** A fresh browser profile; page errors and console errors are collected for the test to check. */
async function openPage(options: BrowserContextOptions): Promise<{ page: Page; errors: string[] }> {
  if (!browser) throw new Error('the browser did not start');
  const context = await browser.newContext(options);
  contexts.push(context);
  context.setDefaultTimeout(15_000);
  const page = await context.newPage();
  const errors: string[] = [];
  page.on('pageerror', (err) => errors.push(`pageerror: ${err.message}`));
  page.on('console', (msg) => {
    // Every page links /static/favicon.svg, so no icon request fails either.
    if (msg.type() === 'error') errors.push(`console: ${msg.text()} at ${msg.location().url}`);
  });
  page.on('response', (res) => {
    if (res.status() >= 400) errors.push(`HTTP ${res.status()} ${res.request().method()} ${res.url()}`);
  });
  return { page, errors };
}

async function shot(page: Page, name: string): Promise<void> {
  await page.screenshot({ path: `${SHOTS}${name}.png`, fullPage: true });
}

/** The `date` query parameter of a day link. */
async function dateOf(page: Page, selector: string): Promise<string> {
  const href = await page.locator(selector).first().getAttribute('href');
  const date = href ? new URL(href, origin).searchParams.get('date') : null;
  if (!date) throw new Error(`no date in the link ${selector}: ${href}`);
  return date;
}

/** '6:00 AM PDT', as the pages write a time (plain space before AM/PM). */
function timeIn(ms: number, zone: string): string {
  return new Intl.DateTimeFormat('en-US', { timeZone: zone, hour: 'numeric', minute: '2-digit', timeZoneName: 'short' }).format(ms).replace(/\u202f/g, ' ');
}

function longDateIn(ms: number, zone: string): string {
  return new Intl.DateTimeFormat('en-US', { timeZone: zone, weekday: 'long', month: 'long', day: 'numeric', year: 'numeric' }).format(ms);
}

/** Home → "Consultation" → "Any available": the picker (after app.js's one zone redirect, when it runs). */
async function openConsultationPicker(page: Page, screenshots?: { home: string; chooser: string }): Promise<void> {
  await page.goto(`${origin}/`);
  await expect.poll(() => page.locator('main h1').innerText()).toBe('Demo Studio');
  if (screenshots) await shot(page, screenshots.home);
  await page.getByRole('link', { name: /Consultation/ }).click();
  await page.waitForURL((u) => u.pathname.startsWith('/book/') && !u.search);
  expect(await page.locator('main h1').innerText()).toBe('Who would you like?');
  expect(await page.locator('.choice').allInnerTexts()).toEqual([
    expect.stringContaining('Any available'),
    expect.stringContaining('Alex Rivera'),
    expect.stringContaining('Sam Lee'),
  ]);
  if (screenshots) await shot(page, screenshots.chooser);
  await page.getByRole('link', { name: /Any available/ }).click();
  await page.waitForURL((u) => u.searchParams.get('resource') === 'any');
}

interface BookingRow {
  id: string;
  status: string;
  starts_at: Date;
  customer_name: string;
  customer_phone: string | null;
  customer_time_zone: string;
  notes: string | null;
  resource_zone: string;
}

async function bookingFor(email: string): Promise<BookingRow[]> {
  return t.owner('bookings as b')
    .join('resources as r', 'r.id', 'b.resource_id')
    .where('b.customer_email', email)
    .select('b.id', 'b.status', 'b.starts_at', 'b.customer_name', 'b.customer_phone', 'b.customer_time_zone', 'b.notes', 'r.time_zone as resource_zone');
}

// ---- in-page audit (runs in Chromium; typed structurally, the project has no DOM lib) ----

interface AuditElement {
  tagName: string;
  id: string;
  type?: string;
  textContent: string | null;
  parentElement: AuditElement | null;
  labels?: ArrayLike<{ textContent: string | null }> | null;
  getAttribute(name: string): string | null;
  getBoundingClientRect(): { width: number; height: number; right: number };
  checkVisibility(options?: { checkVisibilityCSS?: boolean }): boolean;
  closest(selector: string): AuditElement | null;
}
interface AuditWindow {
  innerWidth: number;
  getComputedStyle(el: AuditElement): { position: string; overflowX: string };
  document: {
    documentElement: { scrollWidth: number };
    querySelectorAll(selector: string): ArrayLike<AuditElement>;
  };
}
interface LayoutAudit {
  scrollWidth: number;
  innerWidth: number;
  checked: number;
  smallTargets: string[];
  unlabelled: string[];
  /** Elements reaching past the device width: what causes horizontal scroll. */
  overflowing: string[];
}

/**
 * No horizontal scroll; every visible control in <main> at least 44 px tall;
 * every field labelled. A link inside running text (a paragraph with more
 * text than the link: WCAG 2.5.8's "inline" exception) is exempt; a paragraph
 * holding nothing but a link (the "← All services" back link) is a standalone
 * control and is not.
 */
function auditLayout(deviceWidth: number): LayoutAudit {
  const w = globalThis as unknown as AuditWindow;
  const name = (el: AuditElement, h: number) =>
    `${el.tagName.toLowerCase()}${el.id ? `#${el.id}` : ''} "${(el.textContent ?? '').trim().replace(/\s+/g, ' ').slice(0, 40)}" ${h.toFixed(1)}px`;
  const smallTargets: string[] = [];
  const unlabelled: string[] = [];
  let checked = 0;
  const controls = Array.from(w.document.querySelectorAll('main a, main button, main input, main select, main textarea'));
  for (const el of controls) {
    if (el.tagName === 'INPUT' && el.type === 'hidden') continue;
    if (!el.checkVisibility({ checkVisibilityCSS: true })) continue;
    const rect = el.getBoundingClientRect();
    if (rect.width === 0 || rect.height === 0) continue;
    checked++;
    const para = el.tagName === 'A' ? el.closest('p') : null;
    const inline = para !== null && (para.textContent ?? '').trim().length > (el.textContent ?? '').trim().length;
    if (!inline && rect.height < 44) smallTargets.push(name(el, rect.height));
    if (el.tagName === 'INPUT' || el.tagName === 'SELECT' || el.tagName === 'TEXTAREA') {
      const labelled = Array.from(el.labels ?? []).some((l) => (l.textContent ?? '').trim() !== '') || !!el.getAttribute('aria-label') || !!el.getAttribute('aria-labelledby');
      if (!labelled) unlabelled.push(name(el, rect.height));
    }
  }
  // Content scrolled inside a scroll container (the day strip) does not widen the page; an
  // absolutely positioned element whose containing block is outside that container does.
  const clippedByScroller = (el: AuditElement): boolean => {
    for (let cur = el; cur.parentElement; ) {
      const position = w.getComputedStyle(cur).position;
      if (position === 'fixed') return false;
      let p: AuditElement | null = cur.parentElement;
      if (position === 'absolute') {
        // Scrollers between it and its containing block (the nearest positioned ancestor) do not clip it.
        while (p && w.getComputedStyle(p).position === 'static') p = p.parentElement;
        if (!p) return false;
      }
      if (w.getComputedStyle(p).overflowX !== 'visible') return true;
      cur = p;
    }
    return false;
  };
  const overflowing = Array.from(w.document.querySelectorAll('body *'))
    .map((el) => ({ el, rect: el.getBoundingClientRect() }))
    .filter(({ el, rect }) => rect.right > deviceWidth + 0.5 && !clippedByScroller(el))
    .map(({ el, rect }) => `${name(el, rect.height)} right=${rect.right.toFixed(0)}`)
    .slice(0, 8);
  return { scrollWidth: w.document.documentElement.scrollWidth, innerWidth: w.innerWidth, checked, smallTargets, unlabelled, overflowing };
}

async function expectPhoneFriendly(page: Page, what: string): Promise<void> {
  const audit = await page.evaluate(auditLayout, 360);
  // A phone zooms out to fit content wider than the screen: the page is then wider than 360 px.
  expect(audit.overflowing, `${what}: elements wider than the screen`).toEqual([]);
  expect(audit.innerWidth, `${what}: layout viewport`).toBe(360);
  expect(audit.scrollWidth, `${what}: horizontal scroll`).toBeLessThanOrEqual(audit.innerWidth);
  expect(audit.checked, `${what}: controls found`).toBeGreaterThan(2);
  expect(audit.smallTargets, `${what}: tap targets under 44 px`).toEqual([]);
  expect(audit.unlabelled, `${what}: fields without a label`).toEqual([]);
}

describe('booking in a real browser (Chromium)', () => {
  it('books a consultation on a phone in Los Angeles: zone detection, htmx day swap, both zones on the confirmation', async () => {
    const { page, errors } = await openPage({ ...PHONE, timezoneId: LA });

    // 1. Home → Consultation → Any available → the picker, switched to the browser's zone by app.js.
    await openConsultationPicker(page, { home: '01-home', chooser: '02-chooser' });
    await page.waitForURL((u) => u.searchParams.get('tz') === LA);
    await page.waitForLoadState('load');
    await expect.poll(() => page.locator('.tz-label').innerText()).toMatch(/^Times shown in Los Angeles \(P[SD]T, UTC\u2212[78]\)$/);
    expect(await page.locator('#tz-select').inputValue()).toBe(LA);
    expect(await page.locator('main h1').innerText()).toBe('Consultation');
    await shot(page, '03-picker');

    // 2. Another day with free times, swapped in place by htmx.
    const before = await dateOf(page, '#picker .day--selected');
    const target = await dateOf(page, '#picker .day--free:not(.day--selected)');
    expect(target).not.toBe(before);
    const headingBefore = await page.locator('.times-heading').innerText();
    await page.evaluate(() => {
      const g = globalThis as unknown as { __marker?: number; document: { querySelector(s: string): { setAttribute(n: string, v: string): void } | null } };
      g.__marker = 1;
      g.document.querySelector('#picker')?.setAttribute('data-old-picker', '');
    });
    await page.locator(`#picker .day--free[href*="date=${target}"]`).click();
    await page.waitForURL((u) => u.searchParams.get('date') === target);
    await expect.poll(() => dateOf(page, '#picker .day--selected')).toBe(target);
    expect(await page.locator('[data-old-picker]').count(), 'the old #picker was replaced').toBe(0);
    expect(await page.evaluate(() => (globalThis as unknown as { __marker?: number }).__marker), 'no full page load').toBe(1);
    expect(await page.locator('#picker').count()).toBe(1);
    expect(await page.locator('.site-header').count(), 'only the fragment was swapped in').toBe(1);
    expect(await page.locator('#picker .day--selected').getAttribute('aria-current')).toBe('date');
    expect(await page.locator('.times-heading').innerText()).not.toBe(headingBefore);
    expect(await page.locator('.tz-label').innerText()).toContain('Times shown in Los Angeles (');
    const first = page.locator('#picker .times .time').first();
    const start = await first.getAttribute('data-start');
    const label = await first.innerText();
    expect(start).toMatch(new RegExp(`^${target}T\\d\\d:\\d\\d:00-0[78]:00$`));
    const startMs = Date.parse(start!);
    expect(`${label} `).toBe(timeIn(startMs, LA).replace(/P[SD]T$/, ''));
    await shot(page, '04-day-swapped');

    // 3. The first time → details → confirm.
    await first.click();
    await page.waitForURL((u) => u.pathname.endsWith('/details'));
    expect(await page.locator('main h1').innerText()).toBe('Your details');
    expect(await page.locator('.summary__when').innerText()).toBe(`${longDateIn(startMs, LA)}, ${timeIn(startMs, LA)}`);
    await page.getByLabel('Your name').fill('Pat Pacific');
    await page.getByLabel('Email').fill('Pat.Pacific@Example.com');
    await page.getByLabel('Phone (optional)').fill('+1 310 555 0199');
    await page.getByLabel('Notes (optional)').fill('Booked from a phone in LA.');
    await shot(page, '05-details');
    await page.getByRole('button', { name: 'Confirm booking' }).click();
    await page.waitForURL((u) => u.pathname.startsWith('/manage/') && u.searchParams.get('booked') === '1');
    const status = await page.locator('[role="status"]').innerText();
    expect(status).toContain("You're booked.");
    // No mail provider in this server: no confirmation email is promised, the page's link is the way back.
    expect(status).not.toContain('on its way');
    expect(status).toContain('it is your link to change or cancel');
    const summary = await page.locator('.summary').innerText();
    // The first time of a whole day in Los Angeles is 9:00 in New York: only Alex (New York) offers it.
    expect(summary).toContain(`${longDateIn(startMs, LA)}\n${timeIn(startMs, LA)}`);
    expect(summary).toContain(`Your time zone: ${LA}`);
    expect(summary).toContain(`At Demo Studio: ${longDateIn(startMs, NY)}, ${timeIn(startMs, NY)} (${NY})`);
    expect(summary).toContain('30 min with Alex Rivera');
    await shot(page, '06-confirmation');

    // 4. The row, with the customer's zone.
    const rows = await bookingFor('pat.pacific@example.com');
    expect(rows).toHaveLength(1);
    expect(rows[0]).toMatchObject({ status: 'confirmed', customer_name: 'Pat Pacific', customer_phone: '+1 310 555 0199', customer_time_zone: LA, notes: 'Booked from a phone in LA.', resource_zone: NY });
    expect(rows[0]!.starts_at.getTime()).toBe(startMs);

    expect(errors).toEqual([]);
  }, 60_000);

  it('fits a 360 px phone: no horizontal scroll, 44 px tap targets, labelled fields (picker and details)', async () => {
    const { page, errors } = await openPage({ ...SMALL_PHONE, timezoneId: LA });
    await openConsultationPicker(page);
    await page.waitForURL((u) => u.searchParams.get('tz') === LA);
    await page.waitForLoadState('load');
    await page.locator('#picker .times .time').first().waitFor();
    await shot(page, '07-picker-360');
    await expectPhoneFriendly(page, 'picker');

    await page.locator('#picker .times .time').first().click();
    await page.waitForURL((u) => u.pathname.endsWith('/details'));
    await shot(page, '08-details-360');
    await expectPhoneFriendly(page, 'details');

    // With the errors shown too (the longest version of the form).
    await page.getByRole('button', { name: 'Confirm booking' }).click();
    await page.locator('.field__error').first().waitFor();
    expect(await page.locator('#f-name-error').innerText()).toBe('Enter your name.');
    await shot(page, '09-details-errors-360');
    await expectPhoneFriendly(page, 'details with errors');
    // The empty form's 422 response (and the browser's console note of it) is expected; nothing else.
    expect(errors.filter((e) => !/^(HTTP 422 POST |console: .*status of 422 )/.test(e))).toEqual([]);
  }, 60_000);

  it('books without JavaScript: plain links and forms, times in the business zone', async () => {
    const { page, errors } = await openPage({ ...PHONE, timezoneId: LA, javaScriptEnabled: false });
    await openConsultationPicker(page);
    await page.waitForLoadState('load');
    const url = new URL(page.url());
    expect(url.searchParams.has('tz'), 'no zone switch without JavaScript').toBe(false);
    expect(await page.locator('.tz-label').innerText()).toMatch(/^Times shown in New York \(E[SD]T, UTC\u2212[45]\)$/);
    await shot(page, '10-nojs-picker');

    const before = await dateOf(page, '#picker .day--selected');
    const target = await dateOf(page, '#picker .day--free:not(.day--selected) >> nth=-1');
    expect(target).not.toBe(before);
    await page.locator(`#picker .day--free[href*="date=${target}"]`).click();
    await page.waitForURL((u) => u.searchParams.get('date') === target);
    expect(await dateOf(page, '#picker .day--selected')).toBe(target);
    expect(await page.locator('.tz-label').innerText()).toContain('Times shown in New York (');
    await shot(page, '11-nojs-day');

    const first = page.locator('#picker .times .time').first();
    const startMs = Date.parse((await first.getAttribute('data-start'))!);
    expect(Number.isFinite(startMs)).toBe(true);
    await first.click();
    await page.waitForURL((u) => u.pathname.endsWith('/details'));
    expect(await page.locator('.summary__when').innerText()).toBe(`${longDateIn(startMs, NY)}, ${timeIn(startMs, NY)}`);
    await page.getByLabel('Your name').fill('Nora No-Script');
    await page.getByLabel('Email').fill('nora@example.com');
    await page.getByLabel('Phone (optional)').fill('+1 212 555 0142');
    await page.getByLabel('Notes (optional)').fill('No JavaScript here.');
    await shot(page, '12-nojs-details');
    await page.getByRole('button', { name: 'Confirm booking' }).click();
    await page.waitForURL((u) => u.pathname.startsWith('/manage/') && u.searchParams.get('booked') === '1');
    expect(await page.locator('[role="status"]').innerText()).toContain("You're booked.");
    const summary = await page.locator('.summary').innerText();
    expect(summary).toContain(`${longDateIn(startMs, NY)}\n${timeIn(startMs, NY)}`);
    expect(summary).toContain(`Your time zone: ${NY}`);
    await shot(page, '13-nojs-confirmation');

    const rows = await bookingFor('nora@example.com');
    expect(rows).toHaveLength(1);
    expect(rows[0]).toMatchObject({ status: 'confirmed', customer_name: 'Nora No-Script', customer_time_zone: NY });
    expect(rows[0]!.starts_at.getTime()).toBe(startMs);
    // Staff in another zone: the page also gives the time where they are.
    if (rows[0]!.resource_zone !== NY) {
      expect(summary).toContain(`At Demo Studio: ${longDateIn(startMs, rows[0]!.resource_zone)}, ${timeIn(startMs, rows[0]!.resource_zone)} (${rows[0]!.resource_zone})`);
    }
    expect(errors).toEqual([]);
  }, 60_000);
});
