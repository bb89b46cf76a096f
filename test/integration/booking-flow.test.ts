import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApp } from '../../src/http/app.ts';
import { addHoliday } from '../../src/catalog/service.ts';
import { runJobs } from '../support/jobs.ts';
import type { AppDeps } from '../../src/deps.ts';
import { connectDatabase, type Database } from '../../src/db/database.ts';
import { createTestDb, TestClock, testDeps, type TestDb } from '../support/db.ts';
import { Client, makeTenant } from '../support/http.ts';
import { makeResource, makeService } from '../support/catalog.ts';

let t: TestDb;
let deps: AppDeps;
let app: ReturnType<typeof createApp>;
/** A second web process on the same database: its own app and its own pool. */
let second: { db: Database; app: ReturnType<typeof createApp> };
/** Client i of a crowd talks to one app or the other, so nothing may rely on one process's memory. */
const appFor = (i: number) => (i % 2 ? second.app : app);
let tenantId: string;
let nyc: { id: string };
let la: { id: string };
let serviceId: string;
let nycOnly: string;
const HOST = 'salon.slotwise.test';
// Monday 2026-03-02, 12:00 UTC; the US springs forward on Sunday 2026-03-08.
const clock = new TestClock(Date.parse('2026-03-02T12:00:00Z'));

beforeAll(async () => {
  t = await createTestDb();
  deps = testDeps(t, clock, { RATE_LIMIT_MULTIPLIER: '100' });
  app = createApp(deps);
  const db = connectDatabase({ databaseUrl: t.url });
  second = { db, app: createApp({ ...deps, db }) };
  tenantId = (await makeTenant(deps, 'salon', { timeZone: 'America/New_York' })).tenant.id;
  nyc = await makeResource(deps, tenantId, 'Nia (New York)', 'America/New_York', [['09:00', '12:00'], ['13:00', '17:00']], 1);
  la = await makeResource(deps, tenantId, 'Lee (Los Angeles)', 'America/Los_Angeles', [['09:00', '17:00']], 2);
  serviceId = (await makeService(deps, tenantId, [nyc.id, la.id], { name: 'Consultation', minNoticeMin: 120, horizonDays: 30 })).id;
  nycOnly = (await makeService(deps, tenantId, [nyc.id], { name: 'Colour', durationMin: 60, bufferAfterMin: 15 })).id;
  await addHoliday(deps, tenantId, { name: 'Closed for training', start: '2026-03-12', end: '2026-03-12' });
});
afterAll(async () => {
  await second.db.close();
  await t.drop();
});

const bookingCount = async () => (await t.owner.raw(`select count(*)::int as n from bookings where status in ('held','confirmed')`)).rows[0].n as number;

async function book(c: Client, service: string, form: Record<string, string | undefined>) {
  if (!c.token) await c.open(`/book/${service}?resource=any`);
  const fields = { resource: 'any', tz: 'America/New_York', name: 'Casey Customer', email: 'casey@example.com', phone: '', notes: '', ...form };
  return c.post(`/book/${service}`, Object.fromEntries(Object.entries(fields).filter((e): e is [string, string] => e[1] !== undefined)));
}

describe('the customer booking flow', () => {
  it('lists the services on the home page and asks who when several people offer one', async () => {
    const c = new Client(app, HOST);
    const home = await c.get('/');
    expect(home.text).toContain('Consultation');
    expect(home.text).toContain(`/book/${serviceId}`);
    expect(home.text).toContain('$45.00');
    const choose = await c.get(`/book/${serviceId}`);
    expect(choose.text).toContain('Any available');
    expect(choose.text).toContain('Nia (New York)');
    expect(choose.text).toContain('Lee (Los Angeles)');
  });

  it('shows a New York 2:00 PM slot as 11:00 AM to a Los Angeles customer, on the week DST begins', async () => {
    const c = new Client(app, HOST);
    const ny = await c.get(`/book/${nycOnly}?tz=America/New_York&date=2026-03-09`);
    expect(ny.text).toContain('Times shown in <strong>New York (EDT, UTC\u22124)</strong>');
    expect(ny.text).toContain('data-start="2026-03-09T14:00:00-04:00">2:00 PM<');
    const lax = await c.get(`/book/${nycOnly}?tz=America/Los_Angeles&date=2026-03-09`);
    expect(lax.text).toContain('Times shown in <strong>Los Angeles (PDT, UTC\u22127)</strong>');
    expect(lax.text).toContain('data-start="2026-03-09T11:00:00-07:00">11:00 AM<');
    // The same instant, before the change: 2:00 PM EST is 11:00 AM PST.
    const before = await c.get(`/book/${nycOnly}?tz=America/Los_Angeles&date=2026-03-06`);
    expect(before.text).toContain('data-start="2026-03-06T11:00:00-08:00">11:00 AM<');
  });

  it('returns only the picker fragment to htmx and marks days with free times', async () => {
    const c = new Client(app, HOST);
    const res = await c.get(`/book/${nycOnly}?tz=America/New_York&date=2026-03-12`).set('HX-Request', 'true');
    expect(res.text.trimStart()).toMatch(/^<div id="picker"/);
    expect(res.text).not.toContain('<html');
    expect(res.headers.vary).toContain('HX-Request');
    expect(res.text).toContain('No free times on this day'); // the holiday
    expect(res.text).toMatch(/class="day day--full day--selected"[^>]*>\s*<span class="day__weekday">Thu<\/span>\s*<span class="day__num">12</);
    expect(res.text).toMatch(/class="day day--free"[^>]*>\s*<span class="day__weekday">Fri<\/span>\s*<span class="day__num">13</);
  });

  it('books end to end: details, confirmation with both zones, a manage link and a confirmation email', async () => {
    const sessionsBefore = Number((await t.owner.raw('select count(*)::int as n from http_sessions')).rows[0].n);
    const c = new Client(app, HOST);
    const details = await c.open(`/book/${nycOnly}/details?resource=${nyc.id}&tz=America/Los_Angeles&start=2026-03-10T11:00:00-07:00`);
    expect(details.status).toBe(200);
    expect(details.text).toContain('Tuesday, March 10, 2026, 11:00 AM PDT');
    const res = await c.post(`/book/${nycOnly}`, {
      resource: nyc.id, tz: 'America/Los_Angeles', start: '2026-03-10T11:00:00-07:00', name: 'Lou Angeles', email: 'Lou@Example.com', phone: '+1 310 555 0100', notes: 'First visit',
    });
    expect(res.status).toBe(303);
    const manage = await c.get(res.headers.location!);
    expect(manage.status).toBe(200);
    expect(manage.text).toContain("You're booked.");
    expect(manage.text).toContain('11:00 AM PDT');
    expect(manage.text).toContain('2:00 PM EDT (America/New_York)');

    const row = await t.owner('bookings').where({ customer_email: 'lou@example.com' }).first();
    expect(row).toMatchObject({ status: 'confirmed', source: 'public', customer_time_zone: 'America/Los_Angeles', customer_phone: '+1 310 555 0100', notes: 'First visit' });
    expect(row.starts_at.toISOString()).toBe('2026-03-10T18:00:00.000Z');
    expect(row.blocked).toBe('["2026-03-10 18:00:00+00","2026-03-10 19:15:00+00")');
    expect(row.manage_token_hash).not.toContain(res.headers.location!.split('/')[2]!.split('?')[0]);
    // The CSRF token is stateless: a customer who only books never gets a session row.
    expect(Number((await t.owner.raw('select count(*)::int as n from http_sessions')).rows[0].n)).toBe(sessionsBefore);

    await runJobs(t, deps);
    const mail = await t.owner('outbox_messages').where({ kind: 'booking_confirmation', to_address: 'lou@example.com' }).first();
    expect(mail.subject).toBe('Confirmed: Colour, March 10, 2026 at 11:00 AM PDT');
    expect(mail.text_body).toContain('Tuesday, March 10, 2026, 11:00 AM PDT');
    expect(mail.text_body).toContain('Times in America/Los_Angeles');
    expect(mail.text_body).toContain(`http://salon.slotwise.test${res.headers.location!.split('?')[0]}`);
  });

  it('refuses a forged manage link', async () => {
    const res = await new Client(app, HOST).get('/manage/not-a-real-token');
    expect(res.status).toBe(404);
    expect(res.text).toContain('This booking link is not valid');
  });
});

describe('bad booking input changes nothing', () => {
  it.each([
    { name: 'off the grid', form: { start: '2026-03-10T09:15:00-05:00' }, status: 422, text: 'That is not one of the offered times.' },
    { name: 'in the past', form: { start: '2026-03-02T06:00:00-05:00' }, status: 422, text: 'That time has already passed.' },
    { name: 'inside minimum notice', form: { start: '2026-03-02T13:00:00Z' }, status: 422, text: 'too soon' },
    { name: 'beyond the horizon', form: { start: '2026-04-20T10:00:00-04:00' }, status: 422, text: 'too far ahead' },
    { name: 'on a holiday', form: { start: '2026-03-12T10:00:00-04:00' }, status: 422, text: 'We are closed at that time.' },
    { name: 'at night', form: { start: '2026-03-10T03:00:00-04:00' }, status: 422, text: 'That is not one of the offered times.' },
    { name: 'a malformed time', form: { start: 'tomorrow at 2' }, status: 422, text: 'Choose one of the offered times.' },
    { name: 'a malformed email', form: { start: '2026-03-10T10:00:00-04:00', email: 'casey-at-example' }, status: 422, text: 'Enter an email address' },
    { name: 'a missing name', form: { start: '2026-03-10T10:00:00-04:00', name: ' ' }, status: 422, text: 'Enter your name.' },
  ])('$name → $status', async ({ form, status, text }) => {
    const before = await bookingCount();
    const res = await book(new Client(app, HOST), serviceId, form);
    expect(res.status).toBe(status);
    expect(res.text).toContain(text);
    expect(await bookingCount()).toBe(before);
  });

  it('an unknown service or option, or a time zone that is not one → 422 with the reason; pages of unknown services stay 404', async () => {
    const c = new Client(app, HOST);
    await c.open(`/book/${serviceId}?resource=any`);
    const before = await bookingCount();
    const form = { start: '2026-03-10T10:00:00-04:00', name: 'A', email: 'a@example.com' };
    const service = await c.post('/book/00000000-0000-4000-8000-000000000000', { ...form, resource: 'any', tz: 'UTC' });
    expect(service.status).toBe(422);
    expect(service.text).toContain('That service does not exist.');
    expect(service.text).toContain('Colour'); // the services to choose from instead
    const option = await c.post(`/book/${serviceId}`, { ...form, resource: '00000000-0000-4000-8000-000000000000', tz: 'UTC' });
    expect(option.status).toBe(422);
    expect(option.text).toContain('That option is not offered for this service.');
    const zone = await c.post(`/book/${serviceId}`, { ...form, resource: 'any', tz: 'Not/AZone' });
    expect(zone.status).toBe(422);
    expect(zone.text).toContain('Choose a time zone from the list.');
    expect(await bookingCount()).toBe(before);
    // Pages: an unknown service is not there; a bad zone in a link falls back to the business zone.
    expect((await c.get('/book/not-a-uuid')).status).toBe(404);
    expect((await c.get('/book/00000000-0000-4000-8000-000000000000')).status).toBe(404);
    const page = await c.get(`/book/${serviceId}?resource=any&tz=Not/AZone`);
    expect(page.text).toContain('America/New_York');
  });
});

describe('no double booking, however many click at once, on two app instances', () => {
  it('lets exactly one of 50 simultaneous requests for one slot win; the rest get 409 "That time was just taken"', async () => {
    const start = '2026-03-11T10:00:00-04:00';
    const clients = await Promise.all(Array.from({ length: 50 }, async (_, i) => {
      const c = new Client(appFor(i), HOST);
      await c.open(`/book/${nycOnly}?resource=${nyc.id}`);
      return c;
    }));
    const results = await Promise.all(clients.map((c, i) => book(c, nycOnly, { resource: nyc.id, start, email: `racer${i}@example.com` })));
    const statuses = results.map((r) => r.status);
    expect(statuses.filter((s) => s === 303)).toHaveLength(1);
    expect(statuses.filter((s) => s === 409)).toHaveLength(49);
    for (const r of results.filter((r) => r.status === 409)) {
      expect(r.text).toContain('That time was just taken');
      expect(r.text).toContain('id="picker"'); // fresh times to pick from
      expect(r.text).not.toContain(`data-start="${start}"`);
    }
    const rows = await t.owner('bookings').where({ resource_id: nyc.id }).whereRaw(`starts_at = ?::timestamptz`, [start]).whereIn('status', ['held', 'confirmed']);
    expect(rows).toHaveLength(1);
  });

  it('gives "any available" over 3 resources exactly 3 bookings out of 50 requests', async () => {
    const [a, b, c] = await Promise.all(['One', 'Two', 'Three'].map((n, i) => makeResource(deps, tenantId, `Chair ${n}`, 'America/New_York', [['09:00', '17:00']], 10 + i)));
    const trio = (await makeService(deps, tenantId, [a!.id, b!.id, c!.id], { name: 'Trio cut' })).id;
    const start = '2026-03-11T15:00:00-04:00';
    const clients = await Promise.all(Array.from({ length: 50 }, async (_, i) => {
      const cl = new Client(appFor(i), HOST);
      await cl.open(`/book/${trio}?resource=any`);
      return cl;
    }));
    const results = await Promise.all(clients.map((cl, i) => book(cl, trio, { start, email: `any${i}@example.com` })));
    const statuses = results.map((r) => r.status);
    expect(statuses.filter((s) => s === 303)).toHaveLength(3);
    expect(statuses.filter((s) => s === 409)).toHaveLength(47);
    const rows = await t.owner('bookings').where({ service_id: trio }).whereIn('status', ['held', 'confirmed']);
    expect(rows.map((r) => r.resource_id).sort()).toEqual([a!.id, b!.id, c!.id].sort());
  });

  it('enforces max bookings per day under the lock', async () => {
    const r = await makeResource(deps, tenantId, 'Capped', 'America/New_York', [['09:00', '17:00']], 20);
    const capped = (await makeService(deps, tenantId, [r.id], { name: 'Capped', maxPerDay: 2 })).id;
    const starts = ['09:00', '10:00', '11:00', '12:00', '13:00', '14:00'].map((h) => `2026-03-13T${h}:00-04:00`);
    const clients = await Promise.all(starts.map(async (_, i) => {
      const c = new Client(appFor(i), HOST);
      await c.open(`/book/${capped}?resource=${r.id}`);
      return c;
    }));
    const results = await Promise.all(clients.map((c, i) => book(c, capped, { resource: r.id, start: starts[i]!, email: `cap${i}@example.com` })));
    expect(results.filter((x) => x.status === 303)).toHaveLength(2);
    expect(results.filter((x) => x.status === 409).every((x) => x.text.includes('That day is fully booked'))).toBe(true);
    expect(await t.owner('bookings').where({ service_id: capped })).toHaveLength(2);
  });
});

describe("a customer's online bookings per day", () => {
  it('stops at the business\'s cap for one email address and day, however many are sent at once, on two app instances', async () => {
    // A new business caps at 5 (the test tenants lift it).
    const { rows } = await t.owner.raw(`select column_default from information_schema.columns where table_name = 'tenants' and column_name = 'max_online_bookings_per_customer_day'`);
    expect(rows[0].column_default).toBe('5');
    await t.owner('tenants').where({ id: tenantId }).update({ max_online_bookings_per_customer_day: 2 });
    // Times that do not overlap (an hour and a 15-minute buffer each): only the cap can refuse them.
    const starts = ['09:00', '11:00', '13:00', '15:00'].map((h) => `2026-03-16T${h}:00-04:00`);
    const clients = await Promise.all(starts.map(async (_, i) => {
      const c = new Client(appFor(i), HOST);
      await c.open(`/book/${nycOnly}?resource=${nyc.id}`);
      return c;
    }));
    // One address, written as people type it.
    const results = await Promise.all(clients.map((c, i) => book(c, nycOnly, { resource: nyc.id, start: starts[i]!, email: i % 2 ? 'Sam.Same@Example.com' : 'sam.same@example.com' })));
    expect(results.filter((r) => r.status === 303)).toHaveLength(2);
    const refused = results.filter((r) => r.status === 409);
    expect(refused).toHaveLength(2);
    for (const r of refused) expect(r.text).toContain('as many as can be made online');
    expect(await t.owner('bookings').where({ customer_email: 'sam.same@example.com' })).toHaveLength(2);
    // Another day, or another address, is not limited by these; staff on the phone are not limited at all.
    const other = new Client(app, HOST);
    expect((await book(other, nycOnly, { resource: nyc.id, start: '2026-03-17T09:00:00-04:00', email: 'sam.same@example.com' })).status).toBe(303);
    const free = starts.filter((_, i) => results[i]!.status === 409);
    expect((await book(new Client(app, HOST), nycOnly, { resource: nyc.id, start: free[0]!, email: 'kim@example.com' })).status).toBe(303);
    await t.owner('tenants').where({ id: tenantId }).update({ max_online_bookings_per_customer_day: null });
    expect((await book(new Client(app, HOST), nycOnly, { resource: nyc.id, start: free[1]!, email: 'sam.same@example.com' })).status).toBe(303);
  });
});
