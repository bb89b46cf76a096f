import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApp } from '../../src/http/app.ts';
import { withTenant } from '../../src/db/tenant.ts';
import { hashPassword } from '../../src/auth/passwords.ts';
import { insertUser } from '../../src/auth/queries.ts';
import type { AppDeps } from '../../src/deps.ts';
import { createTestDb, TestClock, testDeps, type TestDb } from '../support/db.ts';
import { makeTenant, signedIn, type Client } from '../support/http.ts';
import { makeResource } from '../support/catalog.ts';

let t: TestDb;
let deps: AppDeps;
let app: ReturnType<typeof createApp>;
let owner: Client;
let tenantId: string;
const HOST = 'shop.slotwise.test';
// Monday 2026-06-01, 08:00 in New York.
const clock = new TestClock(Date.parse('2026-06-01T12:00:00Z'));
const idFrom = (location: string) => /([0-9a-f-]{36})$/.exec(location)![1]!;

beforeAll(async () => {
  t = await createTestDb();
  deps = testDeps(t, clock, { RATE_LIMIT_MULTIPLIER: '100' });
  app = createApp(deps);
  const { tenant } = await makeTenant(deps, 'shop', { email: 'owner@shop.example', timeZone: 'America/New_York' });
  tenantId = tenant.id;
  await withTenant(deps.db, tenant.id, async (tx) => insertUser(tx, { email: 'sam@shop.example', name: 'Sam', role: 'staff', passwordHash: await hashPassword('correct-horse-battery') }));
  owner = await signedIn(app, HOST, 'owner@shop.example');
});
afterAll(() => t.drop());

describe('setting up a business from the dashboard', () => {
  let resourceId: string;
  let serviceId: string;

  it('adds a resource and its weekly hours with a lunch break, refusing bad ranges with 422', async () => {
    const bad = await owner.post('/admin/resources', { name: '', kind: 'staff', timeZone: 'Nowhere/Land' });
    expect(bad.status).toBe(422);
    const made = await owner.post('/admin/resources', { name: 'Jo', kind: 'staff', timeZone: 'America/New_York' });
    expect(made.status).toBe(303);
    resourceId = idFrom(made.headers.location!);
    await owner.open(`/admin/resources/${resourceId}`);
    const badHours = await owner.post(`/admin/resources/${resourceId}/hours`, { day0: '09:00-12:00, 11:00-13:00', day1: 'nine to five' });
    expect(badHours.status).toBe(422);
    expect(badHours.text).toContain('overlaps');
    expect(badHours.text).toContain('is not a time range like 09:00-12:00');
    expect(await t.owner('weekly_hours').where({ resource_id: resourceId })).toHaveLength(0);
    const week = Object.fromEntries([0, 1, 2, 3, 4].map((i) => [`day${i}`, '09:00-12:00, 13:00-17:00']));
    expect((await owner.post(`/admin/resources/${resourceId}/hours`, week)).status).toBe(303);
    expect(await t.owner('weekly_hours').where({ resource_id: resourceId })).toHaveLength(10);
    expect((await owner.post(`/admin/resources/${resourceId}/overrides`, { date: '2026-06-05', closed: 'on' })).status).toBe(303);
    const page = await owner.get(`/admin/resources/${resourceId}`);
    expect(page.text).toContain('value="09:00-12:00, 13:00-17:00"');
    expect(page.text).toContain('2026-06-05</strong> · Closed');
  });

  it('creates a service, validates it, and previews the next 7 days of free times', async () => {
    await owner.open('/admin/services/new');
    const bad = await owner.post('/admin/services', { name: 'Trim', durationMin: '0', intervalMin: '15', bufferBeforeMin: '0', bufferAfterMin: '0', minNoticeMin: '0', horizonDays: '30', maxPerDay: 'many', price: '20', deposit: '50', currency: 'usd' });
    expect(bad.status).toBe(422);
    expect(bad.text).toContain('at least 1 minute');
    expect(bad.text).toContain('a whole number from 1 to 1000');
    expect(bad.text).toContain('value="Trim"');
    expect(await t.owner('services')).toHaveLength(0);
    const ok = await owner.post('/admin/services', {
      name: 'Trim', durationMin: '60', intervalMin: '60', bufferBeforeMin: '0', bufferAfterMin: '0', minNoticeMin: '0', horizonDays: '30', maxPerDay: '', price: '45.50', deposit: '10', currency: 'usd', resourceIds: resourceId, active: 'on',
    });
    expect(ok.status).toBe(303);
    serviceId = idFrom(ok.headers.location!);
    expect(await t.owner('services').where({ id: serviceId }).first()).toMatchObject({ price_minor: 4550, deposit_minor: 1000, currency: 'USD', duration_min: 60 });
    const page = await owner.get(`/admin/services/${serviceId}`);
    expect(page.text).toContain('Next 7 days');
    // Monday June 1 from 09:00 (it is 08:00 now): 9, 10, 11, 13, 14, 15, 16 → 7 free.
    expect(page.text).toMatch(/Monday, June 1<\/strong> · 7 free/);
    expect(page.text).toMatch(/Friday, June 5<\/strong> · 0 free/);
    expect(page.text).toMatch(/Saturday, June 6<\/strong> · 0 free/);
  });

  it('detects a stale edit instead of overwriting someone else’s change', async () => {
    const mine = await owner.open(`/admin/services/${serviceId}`);
    const version = /name="version" value="([^"]+)"/.exec(mine.text)![1]!;
    const form = { name: 'Trim', durationMin: '60', intervalMin: '60', bufferBeforeMin: '0', bufferAfterMin: '0', minNoticeMin: '0', horizonDays: '30', maxPerDay: '', price: '45.50', deposit: '10', currency: 'USD', resourceIds: resourceId, active: 'on' };
    const other = await signedIn(app, HOST, 'owner@shop.example');
    await other.open(`/admin/services/${serviceId}`);
    expect((await other.post(`/admin/services/${serviceId}`, { ...form, version, name: 'Trim deluxe' })).status).toBe(303);
    const late = await owner.post(`/admin/services/${serviceId}`, { ...form, version, name: 'Quick trim' });
    expect(late.status).toBe(409);
    expect(late.text).toContain('Someone else saved changes');
    expect((await t.owner('services').where({ id: serviceId }).first()).name).toBe('Trim deluxe');
    expect(await t.owner('audit_log').where({ action: 'service.update' })).toHaveLength(1);
  });

  it('adds and removes holidays, audited', async () => {
    expect((await owner.post('/admin/holidays', { name: 'Summer break', start: '2026-08-10', end: '2026-08-01' })).status).toBe(422);
    expect((await owner.post('/admin/holidays', { name: 'Summer break', start: '2026-08-10', end: '2026-08-14' })).status).toBe(303);
    const [h] = await t.owner('holidays');
    expect((await owner.post(`/admin/holidays/${h.id}/delete`, {})).status).toBe(303);
    expect(await t.owner('audit_log').whereIn('action', ['holiday.create', 'holiday.delete'])).toHaveLength(2);
  });

  it('is for owners and admins only', async () => {
    const staff = await signedIn(app, HOST, 'sam@shop.example');
    for (const path of ['/admin/resources', '/admin/services', '/admin/holidays', `/admin/services/${serviceId}`]) expect((await staff.get(path)).status, path).toBe(403);
    expect((await staff.post('/admin/resources', { name: 'Sneaky', kind: 'room', timeZone: 'UTC' })).status).toBe(403);
    expect(await t.owner('resources').where({ name: 'Sneaky' })).toHaveLength(0);
  });
});

describe('checking a service form as it is typed (htmx)', () => {
  it('answers only the problems (422) or "looks good", never the inputs, and saves nothing', async () => {
    const count = async () => (await t.owner.raw('select count(*)::int as n from services')).rows[0].n as number;
    const before = await count();
    const bad = await owner.agent
      .post('/admin/services/check')
      .set('Host', HOST)
      .set('HX-Request', 'true')
      .set('X-CSRF-Token', owner.token)
      .type('form')
      .send({ name: 'Colour', durationMin: '90', intervalMin: '30', bufferBeforeMin: '0', bufferAfterMin: '0', minNoticeMin: '0', horizonDays: '30', maxPerDay: '', price: '80', deposit: '100', currency: 'USD' });
    expect(bad.status).toBe(422);
    expect(bad.text).not.toContain('<html');
    expect(bad.text).not.toContain('<input');
    expect(bad.text).toContain('<strong>Deposit:</strong> The deposit cannot be more than the price.');
    const good = await owner.agent
      .post('/admin/services/check')
      .set('Host', HOST)
      .set('X-CSRF-Token', owner.token)
      .type('form')
      .send({ name: 'Colour', durationMin: '90', intervalMin: '30', bufferBeforeMin: '0', bufferAfterMin: '0', minNoticeMin: '0', horizonDays: '30', maxPerDay: '', price: '80', deposit: '20', currency: 'USD' });
    expect(good.status).toBe(200);
    expect(good.text).toContain('Looks good. Save to apply.');
    expect(await count()).toBe(before);
  });
});

describe('checking the resource, hours, date and holiday forms as they are typed (htmx)', () => {
  let staff: Client;
  let rid: string;
  /** What any of these forms could write: every catalog row and the audit log, as the owner sees them. */
  const everything = async () =>
    JSON.stringify(await Promise.all(['resources', 'weekly_hours', 'date_overrides', 'date_override_windows', 'holidays', 'audit_log'].map(
      async (table) => (await t.owner.raw(`select coalesce(json_agg(x order by to_jsonb(x)::text), '[]') as rows from ${table} x`)).rows[0].rows,
    )));
  const check = (c: Client, path: string, form: Record<string, string>) =>
    c.agent.post(path).set('Host', HOST).set('HX-Request', 'true').set('X-CSRF-Token', c.token).type('form').send(form);

  beforeAll(async () => {
    rid = (await makeResource(deps, tenantId, 'Checked chair', 'America/New_York')).id;
    await owner.open(`/admin/resources/${rid}`);
    staff = await signedIn(app, HOST, 'sam@shop.example');
  });

  // For each form: the check route, the save route it mirrors, a payload the save refuses with the messages
  // it must show, and one it would accept.
  const forms = (): { form: string; check: string; save: string; bad: Record<string, string>; messages: string[]; good: Record<string, string> }[] => [
    {
      form: 'new resource', check: '/admin/resources/check', save: '/admin/resources',
      bad: { name: ' ', kind: 'spaceship', timeZone: 'Mars/Olympus_Mons' },
      messages: ['<strong>Name:</strong> Enter a name.', '<strong>Kind:</strong> Choose a kind.', '<strong>Time zone:</strong> Choose a time zone from the list.'],
      good: { name: 'Room 2', kind: 'room', timeZone: 'Europe/Berlin' },
    },
    {
      form: 'resource', check: `/admin/resources/${rid}/check`, save: `/admin/resources/${rid}`,
      bad: { name: 'Checked chair', kind: 'staff', timeZone: 'America/New_York', position: 'first' },
      messages: ['<strong>Order:</strong> Use a whole number.'],
      good: { name: 'Checked chair', kind: 'staff', timeZone: 'America/New_York', position: '3', active: 'on' },
    },
    {
      form: 'weekly hours', check: `/admin/resources/${rid}/hours/check`, save: `/admin/resources/${rid}/hours`,
      bad: { day0: '09:00-12:00, 11:00-13:00', day2: 'nine to five', day4: '17:00-09:00' },
      messages: ['<strong>Monday:</strong> (11:00-13:00) overlaps (09:00-12:00)', '<strong>Wednesday:</strong> &quot;nine to five&quot; is not a time range like 09:00-12:00.', '<strong>Friday:</strong> (17:00-09:00): start must be before end'],
      good: { day0: '09:00-12:00, 13:00-17:00', day5: '10:00-14:00' },
    },
    {
      form: 'date override', check: `/admin/resources/${rid}/overrides/check`, save: `/admin/resources/${rid}/overrides`,
      bad: { date: '2026-02-30', windows: '' },
      messages: ['<strong>Date:</strong> Choose a date.', '<strong>Hours that day:</strong> Enter hours like 10:00-14:00, or tick &quot;Closed&quot;.'],
      good: { date: '2026-06-10', windows: '10:00-14:00' },
    },
    {
      form: 'holiday', check: '/admin/holidays/check', save: '/admin/holidays',
      bad: { name: '', start: '2026-12-24', end: '2026-12-20' },
      messages: ['<strong>Name:</strong> Name it, e.g. &quot;Christmas Day&quot;.', '<strong>Last day:</strong> The last day cannot be before the first.'],
      good: { name: 'Christmas', start: '2026-12-24', end: '2026-12-26' },
    },
  ];

  it('answers 422 with each field’s message, as saving would, and writes nothing', async () => {
    for (const f of forms()) {
      const before = await everything();
      const checked = await check(owner, f.check, f.bad);
      expect(checked.status, f.form).toBe(422);
      expect(checked.text, f.form).not.toContain('<html');
      expect(checked.text, f.form).not.toContain('<input');
      for (const m of f.messages) expect(checked.text, f.form).toContain(m);
      // The save route refuses the same payload with the same messages: one check for both.
      const saved = await owner.post(f.save, f.bad);
      expect(saved.status, f.form).toBe(422);
      for (const m of f.messages) expect(saved.text, f.form).toContain(m.replace(/^<strong>[^<]*<\/strong> /, ''));
      expect(await everything(), f.form).toBe(before);
    }
  });

  it('answers 200 "looks good" to a form saving would accept, and still writes nothing', async () => {
    for (const f of forms()) {
      const before = await everything();
      const checked = await check(owner, f.check, f.good);
      expect(checked.status, f.form).toBe(200);
      expect(checked.text, f.form).toContain('Looks good. Save to apply.');
      expect(await everything(), f.form).toBe(before);
    }
  });

  it('refuses staff exactly as the save routes do', async () => {
    const before = await everything();
    for (const f of forms()) {
      const save = await staff.post(f.save, f.good);
      const checked = await check(staff, f.check, f.good);
      expect(save.status, f.form).toBe(403);
      expect(checked.status, f.form).toBe(save.status);
      expect(checked.text, f.form).not.toContain('Looks good');
    }
    expect(await everything()).toBe(before);
  });
});
