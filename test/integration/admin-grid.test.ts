import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApp } from '../../src/http/app.ts';
import { createBooking } from '../../src/bookings/service.ts';
import type { AppDeps } from '../../src/deps.ts';
import { createTestDb, TestClock, testDeps, type TestDb } from '../support/db.ts';
import { makeTenant, signedIn, type Client } from '../support/http.ts';
import { makeResource, makeService, weekdays } from '../support/catalog.ts';
import { createResource } from '../../src/catalog/service.ts';

/**
 * The day and week grids shade the hours a resource is closed, from its
 * weekly hours, date overrides and holidays in its own zone, and lay out
 * "all resources" in the business's zone. New York springs forward on
 * Sunday 2026-03-08 (and 2027-03-14); London not until 2026-03-29, so that
 * week London is 4 hours ahead of New York from Sunday, 5 before.
 */
let t: TestDb;
let deps: AppDeps;
let app: ReturnType<typeof createApp>;
let owner: Client;
let tenantId: string;
let nora: string; // New York, 09:00–12:00 and 13:00–17:00 every day
let leo: string; // London, 09:00–17:00 every day
const HOST = 'grid.slotwise.test';
// Monday 2026-03-02, 7:00 AM in New York.
const clock = new TestClock(Date.parse('2026-03-02T12:00:00Z'));

beforeAll(async () => {
  t = await createTestDb();
  deps = testDeps(t, clock, { RATE_LIMIT_MULTIPLIER: '100' });
  app = createApp(deps);
  tenantId = (await makeTenant(deps, 'grid', { email: 'owner@grid.example', timeZone: 'America/New_York' })).tenant.id;
  nora = (await makeResource(deps, tenantId, 'Nora', 'America/New_York', [['09:00', '12:00'], ['13:00', '17:00']], 1)).id;
  leo = (await createResource(deps, tenantId, { name: 'Leo', kind: 'staff', timeZone: 'Europe/London', position: 2, weekly: weekdays([['09:00', '17:00']]) })).id;
  const service = (await makeService(deps, tenantId, [nora, leo], { name: 'Fitting' })).id;
  const book = (resourceId: string, start: string, name: string) =>
    createBooking(deps, tenantId, { source: 'public', userId: null }, {
      serviceId: service, resourceId, start: Date.parse(start), customer: { name, email: 'c@example.com', phone: null, timeZone: 'UTC' }, notes: null,
    });
  await book(nora, '2026-03-03T15:00:00Z', 'Nadia'); // Tuesday 10:00 AM New York
  await book(leo, '2026-03-03T15:00:00Z', 'Lars'); // Tuesday 3:00 PM London = 10:00 AM New York, beside Nadia
  await book(leo, '2026-03-03T10:00:00Z', 'Lena'); // Tuesday 10:00 AM London = 5:00 AM New York
  owner = await signedIn(app, HOST, 'owner@grid.example');
  expect((await owner.post(`/admin/resources/${nora}/overrides`, { date: '2026-03-04', windows: '10:00-14:00' })).status).toBe(303);
  expect((await owner.post(`/admin/resources/${nora}/overrides`, { date: '2027-03-14', windows: '00:00-24:00' })).status).toBe(303);
  expect((await owner.post('/admin/holidays', { name: 'Stocktake', start: '2026-03-06' })).status).toBe(303);
});
afterAll(() => t.drop());

/** One resource's column of the day grid. */
function column(html: string, name: string): string {
  const start = html.indexOf(`<div class="time-grid" aria-label="${name}">`);
  expect(start, name).toBeGreaterThan(-1);
  const next = html.indexOf('<div class="time-grid" aria-label=', start + 1);
  return html.slice(start, next === -1 ? undefined : next);
}
const marks = (html: string, kind: 'closed' | 'skipped') => [...html.matchAll(new RegExp(`data-${kind}="([^"]+)"`, 'g'))].map((m) => m[1]);
/** The shaded runs of each day of the week grid. */
function weekBands(html: string): Record<string, string[]> {
  const out: Record<string, string[]> = {};
  for (const m of html.matchAll(/data-day="(\d{4}-\d{2}-\d{2})" data-closed="([^"]+)"/g)) (out[m[1]!] ??= []).push(m[2]!);
  return out;
}

describe('closed hours on the day grid', () => {
  it("shades each resource outside its own hours, all on the business's clock: lunch, a date override, a holiday", async () => {
    const tuesday = await owner.get('/admin/day?date=2026-03-03');
    expect(tuesday.status).toBe(200);
    expect(tuesday.text).toContain('Shaded: closed');
    expect(tuesday.text).toContain('Times in America/New_York (the business’s time zone)');
    // One clock for every column (issue 19): Leo's 09:00–17:00 London is 04:00–12:00 in New York, so
    // the grid starts at 4 AM and 9 AM is the same row in both columns.
    expect(marks(column(tuesday.text, 'Nora'), 'closed')).toEqual(['04:00-09:00', '12:00-13:00', '17:00-19:00']);
    expect(column(tuesday.text, 'Nora')).toContain('class="time-grid__band time-grid__band--closed gr-32 gs-4" data-closed="12:00-13:00"><span>Closed</span>');
    expect(column(tuesday.text, 'Nora')).not.toContain('Works in');
    expect(marks(column(tuesday.text, 'Leo'), 'closed')).toEqual(['12:00-19:00']);
    expect(column(tuesday.text, 'Leo')).toContain('Works in Europe/London: hours shifted to America/New_York');
    // Lena's 10:00 AM London booking is at 5 AM here; Lars's 3 PM London beside Nadia's 10 AM.
    expect(column(tuesday.text, 'Leo')).toContain('<strong>5:00 AM–5:30 AM</strong> Lena');
    expect(column(tuesday.text, 'Leo')).toContain('<strong>10:00 AM–10:30 AM</strong> Lars');
    expect(column(tuesday.text, 'Nora')).toContain('<strong>10:00 AM–10:30 AM</strong> Nadia');

    const wednesday = await owner.get('/admin/day?date=2026-03-04'); // Nora: 10:00–14:00 that day only
    expect(marks(column(wednesday.text, 'Nora'), 'closed')).toEqual(['04:00-10:00', '14:00-19:00']);
    expect(marks(column(wednesday.text, 'Leo'), 'closed')).toEqual(['12:00-19:00']);

    const friday = await owner.get('/admin/day?date=2026-03-06'); // the holiday closes everyone
    expect(marks(column(friday.text, 'Nora'), 'closed')).toEqual(['07:00-19:00']);
    expect(marks(column(friday.text, 'Leo'), 'closed')).toEqual(['07:00-19:00']);
  });

  it('widens to the open hours, and marks the hour clocks skip rather than calling it closed', async () => {
    const day = await owner.get('/admin/day?date=2027-03-14'); // Nora open around the clock that day
    const noraColumn = column(day.text, 'Nora');
    expect(noraColumn).toContain('12 AM</div>');
    expect(marks(noraColumn, 'closed')).toEqual([]);
    expect(marks(noraColumn, 'skipped')).toEqual(['02:00-03:00']);
    // London has not sprung forward yet: Leo's 09:00–17:00 is 05:00–13:00 in New York that day.
    expect(marks(column(day.text, 'Leo'), 'closed')).toEqual(['00:00-02:00', '03:00-05:00', '13:00-24:00']);
  });
});

describe('the week grid', () => {
  it("shades one resource's closed hours on their wall-clock rows through the week clocks spring forward", async () => {
    const week = await owner.get(`/admin/week?date=2026-03-05&resource=${nora}`);
    expect(week.status).toBe(200);
    expect(week.text).toContain('Times in America/New_York</p>');
    const usual = ['07:00-09:00', '12:00-13:00', '17:00-19:00'];
    expect(weekBands(week.text)).toEqual({
      '2026-03-02': usual, '2026-03-03': usual, '2026-03-04': ['07:00-10:00', '14:00-19:00'], '2026-03-05': usual,
      '2026-03-06': ['07:00-19:00'], '2026-03-07': usual, '2026-03-08': usual,
    });
    expect(week.text).toContain('class="time-grid__band time-grid__band--closed gr-0 gs-8 gc-6" data-day="2026-03-08" data-closed="07:00-09:00"');
    expect(week.text).toMatch(/data-day="2026-03-03" data-row="40"><strong>10:00 AM–10:30 AM<\/strong> Nadia · Fitting</);
    expect(week.text).not.toContain('Lars');
  });

  it("lays out all resources in the business's zone, side by side, shaded only where none is open", async () => {
    for (const path of ['/admin/week?date=2026-03-05', '/admin/week?date=2026-03-05&resource=all']) {
      const week = await owner.get(path);
      expect(week.status, path).toBe(200);
      expect(week.text, path).toContain('Times in America/New_York (the business’s time zone), for all resources');
      expect(week.text, path).toContain('<option value="all" selected>All resources</option>');
      // Leo's 09:00–17:00 London is 04:00–12:00 in New York, and 05:00–13:00 from Sunday (New York's DST).
      expect(weekBands(week.text), path).toEqual({
        '2026-03-02': ['12:00-13:00', '17:00-19:00'], '2026-03-03': ['12:00-13:00', '17:00-19:00'], '2026-03-04': ['14:00-19:00'],
        '2026-03-05': ['12:00-13:00', '17:00-19:00'], '2026-03-06': ['04:00-19:00'], '2026-03-07': ['12:00-13:00', '17:00-19:00'],
        '2026-03-08': ['04:00-05:00', '17:00-19:00'],
      });
      expect(week.text, path).toContain('<div class="time-grid__hour gr-0 gs-4">4 AM</div>');
      // Lena at 10:00 AM London is on the 5 AM New York row; Nadia and Lars share 10 AM, each in a lane.
      expect(week.text, path).toMatch(/data-day="2026-03-03" data-row="20"><strong>5:00 AM–5:30 AM<\/strong> Lena · Fitting · Leo</);
      expect(week.text, path).toMatch(/ln-0-2 status--confirmed" href="[^"]+" data-day="2026-03-03" data-row="40"><strong>10:00 AM–10:30 AM<\/strong> (Nadia · Fitting · Nora|Lars · Fitting · Leo)</);
      expect(week.text, path).toMatch(/ln-1-2 status--confirmed" href="[^"]+" data-day="2026-03-03" data-row="40"><strong>10:00 AM–10:30 AM<\/strong> (Nadia · Fitting · Nora|Lars · Fitting · Leo)</);
    }
  });
});

describe('the "now" line', () => {
  it('marks the current quarter hour on today only, as text rather than an ARIA label its element may not carry', async () => {
    const today = await owner.get('/admin/day?date=2026-03-02');
    // 7:00 AM in New York is row 28; the grid starts at the first open or booked hour.
    const lines = [...today.text.matchAll(/<div class="time-grid__now gr-(\d+)"><span class="visually-hidden">Now<\/span><\/div>/g)];
    expect(lines.length).toBeGreaterThan(0);
    expect(today.text).not.toMatch(/time-grid__now[^>]*aria-/);
    for (const day of ['/admin/day?date=2026-03-03', '/admin/day?date=2026-03-01']) expect((await owner.get(day)).text, day).not.toContain('time-grid__now');
    const week = await owner.get('/admin/week?date=2026-03-05');
    expect([...week.text.matchAll(/time-grid__now/g)]).toHaveLength(1);
    expect((await owner.get('/admin/week?date=2026-03-12')).text).not.toContain('time-grid__now');
  });
});

describe('one clock on every grid', () => {
  it("puts a resource in another zone on the business's clock in the week grid too, naming its own zone", async () => {
    const week = await owner.get(`/admin/week?date=2026-03-05&resource=${leo}`);
    expect(week.status).toBe(200);
    expect(week.text).toContain('Times in America/New_York (the business’s time zone): Leo works in Europe/London, hours shifted');
    // Lena's 10:00 AM London is 5 AM here; Leo's 09:00–17:00 London is 04:00–12:00 before New York's DST, 05:00–13:00 after.
    expect(week.text).toMatch(/data-day="2026-03-03" data-row="20"><strong>5:00 AM–5:30 AM<\/strong> Lena · Fitting</);
    expect(weekBands(week.text)['2026-03-03']).toEqual(['12:00-19:00']);
    expect(weekBands(week.text)['2026-03-08']).toEqual(['04:00-05:00', '13:00-19:00']);
  });

  it("lists bookings on the business's clock, with the resource's own time beside it when it differs", async () => {
    const list = (await owner.get('/admin/bookings?from=2026-03-01&to=2026-03-10')).text;
    expect(list).toContain('Tuesday, March 3, 2026, 5:00 AM EST (10:00 AM GMT for Leo)');
    expect(list).toContain('Tuesday, March 3, 2026, 10:00 AM EST</span>'); // Nadia with Nora, in New York: nothing beside
  });
});
