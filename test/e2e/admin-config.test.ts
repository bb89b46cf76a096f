/**
 * Setting a business up from a phone (360×740), in a real browser: the demo
 * owner opens the services, a service, a resource's hours and the holidays.
 * Each page fits the screen without horizontal scroll, labels every input
 * and gives every button a 44 px tap target; the forms say what is wrong
 * while it is being typed. Screenshots go to test-results/e2e/config-*.png.
 */
import { mkdir } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEMO } from '../../src/tenancy/seed.ts';
import { tenantBySlug } from '../../src/tenancy/queries.ts';
import { createTestDb, type TestDb } from '../support/db.ts';
import { demoOwnerOnPhone, launchBrowser, serveDemo } from './browser.ts';

const SHOTS = fileURLToPath(new URL('../../test-results/e2e/', import.meta.url));
let t: TestDb;
let stopServer: (() => Promise<void>) | undefined;
let browser: Browser | undefined;
let origin: string;
let serviceId: string;
let resourceId: string;

beforeAll(async () => {
  await mkdir(SHOTS, { recursive: true });
  t = await createTestDb();
  const served = await serveDemo(t);
  stopServer = served.close;
  origin = served.origin;
  const tenant = (await tenantBySlug(served.deps.db, DEMO.slug))!;
  serviceId = (await t.owner('services').where({ tenant_id: tenant.id, name: 'Consultation' }).first()).id;
  resourceId = (await t.owner('resources').where({ tenant_id: tenant.id, name: 'Alex Rivera' }).first()).id;
  browser = await launchBrowser();
}, 90_000);

afterAll(async () => {
  await browser?.close();
  await stopServer?.();
  await t.drop();
});

/** What a phone user would trip over on the page as it is now. */
interface PageProblems {
  scrollWidth: number;
  clientWidth: number;
  unlabelled: string[];
  smallButtons: string[];
  inputs: number;
  buttons: number;
}

// A string, not a function: the test files are TypeScript that the browser never sees compiled.
const INSPECT = `(() => {
  const visible = (el) => { const r = el.getBoundingClientRect(); const s = getComputedStyle(el); return r.width > 0 && r.height > 0 && s.visibility !== 'hidden'; };
  const describe = (el) => el.tagName.toLowerCase() + (el.id ? '#' + el.id : '') + (el.name ? '[name=' + el.name + ']' : '') + ' "' + (el.textContent || '').trim().slice(0, 30) + '"';
  const fields = [...document.querySelectorAll('input:not([type=hidden]), select, textarea')].filter(visible);
  const labelled = (el) => (el.labels && [...el.labels].some((l) => l.textContent.trim() !== '')) || !!el.getAttribute('aria-label') || !!el.getAttribute('aria-labelledby');
  const buttons = [...document.querySelectorAll('button, .button, input[type=submit]')].filter(visible);
  return {
    scrollWidth: document.scrollingElement.scrollWidth,
    clientWidth: document.scrollingElement.clientWidth,
    unlabelled: fields.filter((el) => !labelled(el)).map(describe),
    smallButtons: buttons.filter((el) => el.getBoundingClientRect().height < 44).map((el) => describe(el) + ' ' + el.getBoundingClientRect().height + 'px'),
    inputs: fields.length,
    buttons: buttons.length,
  };
})()`;

async function checkFitsAPhone(page: Page, name: string, minInputs: number): Promise<void> {
  const p = (await page.evaluate(INSPECT)) as PageProblems;
  expect(p.clientWidth, name).toBe(360);
  expect(p.scrollWidth, `${name}: horizontal scroll`).toBeLessThanOrEqual(p.clientWidth);
  expect(p.inputs, `${name}: the page has the inputs this check is about`).toBeGreaterThanOrEqual(minInputs);
  expect(p.unlabelled, `${name}: inputs without a label`).toEqual([]);
  expect(p.buttons, `${name}: the page has buttons`).toBeGreaterThan(0);
  expect(p.smallButtons, `${name}: buttons under 44 px tall`).toEqual([]);
}

describe('configuring the business on a phone', () => {
  it('fits services, a service, a resource’s hours and holidays on the screen, and checks forms as they are typed', async () => {
    const page = await demoOwnerOnPhone(browser!, origin, { width: 360, height: 740 });

    await page.goto(`${origin}/admin/services`);
    expect(await page.locator('h1').textContent()).toBe('Services');
    await checkFitsAPhone(page, 'services', 0);
    await page.screenshot({ path: `${SHOTS}/config-01-services.png`, fullPage: true });

    await page.goto(`${origin}/admin/services/${serviceId}`);
    expect(await page.locator('h1').textContent()).toBe('Consultation');
    await checkFitsAPhone(page, 'service', 12);
    await page.screenshot({ path: `${SHOTS}/config-02-service.png`, fullPage: true });
    // Typed, not pasted, and without leaving the field: the check answers after a pause in typing.
    await page.getByLabel('Deposit').fill('');
    await page.getByLabel('Deposit').pressSequentially('9999');
    const depositProblem = page.locator('#service-check').getByText('The deposit cannot be more than the price.');
    await depositProblem.waitFor({ timeout: 5_000 });
    expect(await page.getByLabel('Deposit').inputValue()).toBe('9999'); // the answer never replaces the inputs
    await checkFitsAPhone(page, 'service with a message', 12);
    await page.screenshot({ path: `${SHOTS}/config-03-service-check.png`, fullPage: true });
    await page.getByLabel('Deposit').fill('0');
    await page.getByLabel('Deposit').dispatchEvent('change');
    await page.locator('#service-check').getByText('Looks good. Save to apply.').waitFor({ timeout: 5_000 });

    await page.goto(`${origin}/admin/resources/${resourceId}`);
    expect(await page.locator('h1').textContent()).toBe('Alex Rivera');
    expect(await page.getByLabel('Monday').inputValue()).toBe('09:00-12:00, 13:00-17:00');
    await checkFitsAPhone(page, 'resource hours', 7 + 4);
    await page.screenshot({ path: `${SHOTS}/config-04-resource-hours.png`, fullPage: true });
    await page.getByLabel('Monday').fill('');
    await page.getByLabel('Monday').pressSequentially('9 to 5');
    await page.locator('#hours-check').getByText('is not a time range like 09:00-12:00.').waitFor({ timeout: 5_000 });
    await page.screenshot({ path: `${SHOTS}/config-05-resource-hours-check.png`, fullPage: true });

    const holidaysBefore = (await t.owner('holidays')).length;
    await page.goto(`${origin}/admin/holidays`);
    expect(await page.locator('h1').textContent()).toBe('Holidays and closures');
    await checkFitsAPhone(page, 'holidays', 3);
    await page.screenshot({ path: `${SHOTS}/config-06-holidays.png`, fullPage: true });
    await page.getByLabel('Name').pressSequentially('Stocktake');
    await page.getByLabel('First day').fill('2030-01-10');
    await page.getByLabel('Last day (optional)').fill('2030-01-05');
    await page.getByLabel('Last day (optional)').dispatchEvent('change');
    await page.locator('#holiday-check').getByText('The last day cannot be before the first.').waitFor({ timeout: 5_000 });
    // Nothing typed was saved along the way.
    expect(await t.owner('holidays')).toHaveLength(holidaysBefore);
    expect((await t.owner('services').where({ id: serviceId }).first()).deposit_minor).toBe(0);
    await page.context().close();
  }, 60_000);
});
