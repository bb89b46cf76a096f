import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApp } from '../../src/http/app.ts';
import { withTenant } from '../../src/db/tenant.ts';
import { hashPassword } from '../../src/auth/passwords.ts';
import { insertUser } from '../../src/auth/queries.ts';
import { createBooking } from '../../src/bookings/service.ts';
import type { AppDeps } from '../../src/deps.ts';
import { createTestDb, TestClock, testDeps, type TestDb } from '../support/db.ts';
import { makeTenant, signedIn, type Client } from '../support/http.ts';
import { makeResource, makeService } from '../support/catalog.ts';

let t: TestDb;
let deps: AppDeps;
let app: ReturnType<typeof createApp>;
let tenantId: string;
let mine: string; // a booking on the staff member's own resource
let theirs: string; // a booking on another resource
let dstService: string;
let nyc: string;
const HOST = 'desk.slotwise.test';
// Monday 2026-03-02, 12:00 UTC.
const clock = new TestClock(Date.parse('2026-03-02T12:00:00Z'));

beforeAll(async () => {
  t = await createTestDb();
  deps = testDeps(t, clock, { RATE_LIMIT_MULTIPLIER: '100' });
  app = createApp(deps);
  tenantId = (await makeTenant(deps, 'desk', { email: 'owner@desk.example', timeZone: 'America/New_York' })).tenant.id;
  const hash = await hashPassword('correct-horse-battery');
  const staff = await withTenant(deps.db, tenantId, async (tx) => {
    await insertUser(tx, { email: 'admin@desk.example', name: 'Ada Admin', role: 'admin', passwordHash: hash });
    return insertUser(tx, { email: 'sam@desk.example', name: 'Sam Staff', role: 'staff', passwordHash: hash });
  });
  const samsChair = await makeResource(deps, tenantId, "Sam's chair", 'America/New_York', [['00:00', '24:00']], 1);
  const otherChair = await makeResource(deps, tenantId, 'Other chair', 'America/New_York', [['00:00', '24:00']], 2);
  nyc = samsChair.id;
  await t.owner('resources').where({ id: samsChair.id }).update({ user_id: staff.id });
  const service = (await makeService(deps, tenantId, [samsChair.id, otherChair.id], { name: 'Cut' })).id;
  dstService = service;
  const book = async (resourceId: string, start: string, name: string) =>
    (await createBooking(deps, tenantId, { source: 'public', userId: null }, {
      serviceId: service, resourceId, start: Date.parse(start), customer: { name, email: `${name.length}@example.com`, phone: '+1 555 0100', timeZone: 'America/Los_Angeles' }, notes: null,
    })).booking.id;
  mine = await book(samsChair.id, '2026-03-03T15:00:00Z', 'Mia Mine');
  theirs = await book(otherChair.id, '2026-03-03T15:00:00Z', 'Theo Theirs');
  // Formula-leading values a customer could type, for the CSV test.
  await book(otherChair.id, '2026-03-04T15:00:00Z', '=HYPERLINK("http://evil.example","x")');
  await book(otherChair.id, '2026-03-04T16:00:00Z', '@SUM(A1:A2)');
});
afterAll(() => t.drop());

const auditRows = (action: string) => t.owner('audit_log').where({ action });

describe('staff see and act on their own resource only', () => {
  let staff: Client;
  beforeAll(async () => {
    staff = await signedIn(app, HOST, 'sam@desk.example');
  });

  it('lists, exports and shows only their own bookings', async () => {
    const list = await staff.get('/admin/bookings?from=2026-03-01&to=2026-03-10');
    expect(list.text).toContain('Mia Mine');
    expect(list.text).not.toContain('Theo Theirs');
    const csv = await staff.get('/admin/bookings.csv?from=2026-03-01&to=2026-03-10');
    expect(csv.text).toContain('Mia Mine');
    expect(csv.text).not.toContain('Theo Theirs');
    const day = await staff.get('/admin/day?date=2026-03-03');
    expect(day.text).toContain("Sam&#39;s chair");
    expect(day.text).not.toContain('Other chair');
  });

  it("gets 404 for another resource's booking by id, and cannot act on it", async () => {
    expect((await staff.get(`/admin/bookings/${theirs}`)).status).toBe(404);
    expect((await staff.post(`/admin/bookings/${theirs}/cancel`, { reason: 'nope' })).status).toBe(404);
    expect((await staff.post(`/admin/bookings/${theirs}/notes`, { body: 'peek' })).status).toBe(404);
    expect((await t.owner('bookings').where({ id: theirs }).first()).status).toBe('confirmed');
    expect(await t.owner('booking_notes').where({ booking_id: theirs })).toHaveLength(0);
    expect((await staff.get(`/admin/bookings/${mine}`)).status).toBe(200);
  });
});

describe('booking detail and actions', () => {
  it('cancels with a reason, records history and an audit row with before and after', async () => {
    const admin = await signedIn(app, HOST, 'admin@desk.example');
    const page = await admin.get(`/admin/bookings/${theirs}`);
    expect(page.text).toContain('Theo Theirs');
    expect(page.text).toContain('10:00 AM EST');
    expect(page.text).toContain("Customer's time: Tuesday, March 3, 2026, 7:00 AM PST");
    // When it happened, on the business's clock, not UTC (issue 19).
    // (History rows carry the database's own now(), so the date is today's.)
    expect(page.text).toMatch(/created by [^<]+<br><span class="meta">[A-Z][a-z]{2} \d{1,2}, \d{4}, \d{1,2}:\d{2} [AP]M E[SD]T<\/span>/);
    expect(page.text).not.toMatch(/\d{4}-\d{2}-\d{2} \d{2}:\d{2} UTC/);
    const asked = await admin.post(`/admin/bookings/${theirs}/cancel`, { reason: 'Stylist ill' });
    expect(asked.status).toBe(200);
    expect(asked.text).toContain('Cancel this booking?');
    expect(await t.owner('bookings').where({ id: theirs }).first()).toMatchObject({ status: 'confirmed', cancel_reason: null });
    expect(await auditRows('booking.cancel').where({ subject_id: theirs })).toHaveLength(0);
    const res = await admin.post(`/admin/bookings/${theirs}/cancel`, { reason: 'Stylist ill', confirm: 'yes' });
    expect(res.status).toBe(303);
    expect(await t.owner('bookings').where({ id: theirs }).first()).toMatchObject({ status: 'cancelled', cancel_reason: 'Stylist ill' });
    const [row] = await auditRows('booking.cancel').where({ subject_id: theirs });
    expect(row).toMatchObject({ actor_email: 'admin@desk.example', subject_type: 'booking' });
    expect(row.before).toMatchObject({ status: 'confirmed' });
    expect(row.after).toMatchObject({ status: 'cancelled', reason: 'Stylist ill' });
    const after = await admin.get(`/admin/bookings/${theirs}`);
    expect(after.text).toContain('cancelled by Ada Admin — Stylist ill');
    expect(after.text).toContain('booking cancelled to 11@example.com'); // the customer's notice, queued
  });

  it('marks completed or no-show only once the booking has started, audited', async () => {
    const owner = await signedIn(app, HOST, 'owner@desk.example');
    const early = await owner.post(`/admin/bookings/${mine}/outcome`, { outcome: 'no_show' });
    expect(early.status).toBe(409);
    expect(early.text).toContain('once it has started');
    clock.set('2026-03-03T15:20:00Z');
    try {
      expect((await owner.post(`/admin/bookings/${mine}/outcome`, { outcome: 'no_show' })).status).toBe(303);
    } finally {
      clock.set('2026-03-02T12:00:00Z');
    }
    expect((await t.owner('bookings').where({ id: mine }).first()).status).toBe('no_show');
    expect(await auditRows('booking.no_show').where({ subject_id: mine })).toHaveLength(1);
  });

  it('adds internal notes, refusing an empty one with 422', async () => {
    const owner = await signedIn(app, HOST, 'owner@desk.example');
    const empty = await owner.post(`/admin/bookings/${mine}/notes`, { body: '  ' });
    expect(empty.status).toBe(422);
    expect(empty.text).toContain('Write the note first.');
    expect((await owner.post(`/admin/bookings/${mine}/notes`, { body: 'Prefers the window seat' })).status).toBe(303);
    expect((await owner.get(`/admin/bookings/${mine}`)).text).toContain('Prefers the window seat');
    expect(await auditRows('booking.note').where({ subject_id: mine })).toHaveLength(1);
  });
});

describe('CSV export', () => {
  it('neutralises cells that a spreadsheet would run as formulas', async () => {
    const owner = await signedIn(app, HOST, 'owner@desk.example');
    const csv = await owner.get('/admin/bookings.csv?from=2026-03-01&to=2026-03-10');
    expect(csv.status).toBe(200);
    expect(csv.headers['content-type']).toContain('text/csv');
    expect(csv.headers['content-disposition']).toContain('attachment; filename="bookings-2026-03-01-to-2026-03-10.csv"');
    const lines = csv.text.trim().split('\r\n');
    expect(lines[0]).toBe('id,status,start,end,time_zone,service,resource,customer_name,customer_email,customer_phone,customer_time_zone,notes,source,created_at,payment_status,amount_paid,amount_refunded,currency');
    expect(csv.text).toContain(`"'=HYPERLINK(""http://evil.example"",""x"")"`);
    expect(csv.text).toContain(`'@SUM(A1:A2)`);
    expect(csv.text).toContain(`'+1 555 0100`);
    for (const line of lines.slice(1)) expect(line.split(',')[7]).not.toMatch(/^[=+\-@]/);
  });
});

describe('the week view', () => {
  it('renders the New York DST week with every booking on its wall-clock row', async () => {
    // Friday 2:00 PM EST (19:00Z) and Sunday 2:00 PM EDT (18:00Z), the day clocks spring forward.
    for (const start of ['2026-03-06T19:00:00Z', '2026-03-08T18:00:00Z']) {
      await createBooking(deps, tenantId, { source: 'public', userId: null }, {
        serviceId: dstService, resourceId: nyc, start: Date.parse(start), customer: { name: 'Dee Esty', email: 'dst@example.com', phone: null, timeZone: 'UTC' }, notes: null,
      });
    }
    const owner = await signedIn(app, HOST, 'owner@desk.example');
    const week = await owner.get(`/admin/week?date=2026-03-05&resource=${nyc}`);
    expect(week.status).toBe(200);
    expect(week.text).toContain('Week of 2026-03-02');
    expect(week.text).toMatch(/data-day="2026-03-06" data-row="56"><strong>2:00 PM–2:30 PM<\/strong> Dee Esty/);
    expect(week.text).toMatch(/data-day="2026-03-08" data-row="56"><strong>2:00 PM–2:30 PM<\/strong> Dee Esty/);
    expect(week.text).toContain('Sunday, March 8');
  });
});

describe('blocking time and the audit log', () => {
  it('blocks time on a resource so it cannot be booked, audited; staff only on their own resource', async () => {
    const staff = await signedIn(app, HOST, 'sam@desk.example');
    const other = await t.owner('resources').where({ name: 'Other chair' }).first();
    const refused = await staff.post('/admin/blocks', { resourceId: other.id, date: '2026-03-12', start: '12:00', end: '13:00', label: 'Not mine' });
    expect(refused.status).toBe(422);
    expect(await t.owner('busy_blocks').where({ resource_id: other.id })).toHaveLength(0);
    const bad = await staff.post('/admin/blocks', { resourceId: nyc, date: '2026-03-12', start: '13:00', end: '12:00' });
    expect(bad.status).toBe(422);
    expect(bad.text).toContain('End after the start.');

    const ok = await staff.post('/admin/blocks', { resourceId: nyc, date: '2026-03-12', start: '12:00', end: '13:00', label: 'Lunch with the team' });
    expect(ok.status).toBe(303);
    const [block] = await t.owner('busy_blocks').where({ resource_id: nyc });
    expect(block.during).toBe('["2026-03-12 16:00:00+00","2026-03-12 17:00:00+00")'); // 12:00–13:00 EDT
    await expect(
      createBooking(deps, tenantId, { source: 'public', userId: null }, {
        serviceId: dstService, resourceId: nyc, start: Date.parse('2026-03-12T16:30:00Z'), customer: { name: 'X', email: 'x@example.com', phone: null, timeZone: 'UTC' }, notes: null,
      }),
    ).rejects.toMatchObject({ reason: 'busy' });
    expect(await auditRows('block.create')).toHaveLength(1);

    const page = await staff.get('/admin/blocks');
    expect(page.text).toContain('Lunch with the team');
    expect((await staff.post(`/admin/blocks/${block.id}/delete`, {})).status).toBe(303);
    expect(await t.owner('busy_blocks').where({ resource_id: nyc })).toHaveLength(0);
    expect(await auditRows('block.delete')).toHaveLength(1);
  });

  it('waits for a booking being written on the resource before blocking its time (the bookings\' lock)', async () => {
    const staff = await signedIn(app, HOST, 'sam@desk.example');
    // Hold the resource's booking lock, as book does between its check and its commit.
    const holder = await t.db.app.transaction();
    await holder.raw("select set_config('app.tenant_id', ?, true)", [tenantId]);
    await holder.raw('select lock_resource(?::uuid)', [nyc]);
    let done = false;
    const posting = staff.post('/admin/blocks', { resourceId: nyc, date: '2026-03-13', start: '12:00', end: '13:00', label: 'Waits' }).then((r) => {
      done = true;
      return r;
    });
    let waiting = 0;
    for (let i = 0; i < 100 && !waiting; i++) {
      await new Promise((r) => setTimeout(r, 20));
      waiting = Number((await t.owner.raw(`select count(*)::int as n from pg_stat_activity where datname = current_database() and wait_event_type = 'Lock' and wait_event = 'advisory'`)).rows[0].n);
    }
    expect(waiting).toBe(1);
    expect(done).toBe(false);
    expect(await t.owner('busy_blocks').where({ label: 'Waits' })).toHaveLength(0);
    await holder.commit();
    expect((await posting).status).toBe(303);
    expect(await t.owner('busy_blocks').where({ label: 'Waits' })).toHaveLength(1);
  });

  it('lists admin actions with before and after for owners and admins, not staff', async () => {
    const owner = await signedIn(app, HOST, 'owner@desk.example');
    await owner.post('/admin/settings', { name: 'Desk & Co', accentColor: '#112233', timeZone: 'America/New_York', logoUrl: '' });
    const [row] = await auditRows('settings.branding');
    expect(row.before).toMatchObject({ name: 'desk business' });
    expect(row.after).toMatchObject({ name: 'Desk & Co', accentColor: '#112233' });
    const log = await owner.get('/admin/audit');
    expect(log.status).toBe(200);
    expect(log.text).toContain('settings.branding');
    expect(log.text).toContain('booking.cancel');
    const staff = await signedIn(app, HOST, 'sam@desk.example');
    expect((await staff.get('/admin/audit')).status).toBe(403);
  });
});

describe('moving a booking from the dashboard', () => {
  it('offers free times of the same resource, moves the booking, audits it, and refuses a taken time', async () => {
    const owner = await signedIn(app, HOST, 'owner@desk.example');
    const make = async (start: string, name: string) =>
      (await createBooking(deps, tenantId, { source: 'public', userId: null }, {
        serviceId: dstService, resourceId: nyc, start: Date.parse(start), customer: { name, email: `${name}@example.com`, phone: null, timeZone: 'UTC' }, notes: null,
      })).booking.id;
    const id = await make('2026-03-20T14:00:00Z', 'mover');
    await make('2026-03-20T16:00:00Z', 'blocker');
    const picker = await owner.get(`/admin/bookings/${id}/reschedule?date=2026-03-20`);
    expect(picker.status).toBe(200);
    expect(picker.text).toContain('data-start="2026-03-20T11:00:00-04:00"');
    expect(picker.text).not.toContain('data-start="2026-03-20T12:00:00-04:00"'); // the blocker's time
    const taken = await owner.post(`/admin/bookings/${id}/reschedule`, { start: '2026-03-20T16:00:00Z' });
    expect(taken.status).toBe(409);
    expect((await t.owner('bookings').where({ id }).first()).starts_at.toISOString()).toBe('2026-03-20T14:00:00.000Z');
    const moved = await owner.post(`/admin/bookings/${id}/reschedule`, { start: '2026-03-20T15:00:00Z' });
    expect(moved.status).toBe(303);
    expect((await t.owner('bookings').where({ id }).first()).starts_at.toISOString()).toBe('2026-03-20T15:00:00.000Z');
    const [row] = await auditRows('booking.reschedule').where({ subject_id: id });
    expect(row.before).toMatchObject({ start: '2026-03-20T14:00:00.000Z' });
    expect(row.after).toMatchObject({ start: '2026-03-20T15:00:00.000Z' });
    const staff = await signedIn(app, HOST, 'sam@desk.example');
    const other = await t.owner('bookings').whereNot({ resource_id: nyc }).first();
    expect((await staff.get(`/admin/bookings/${other.id}/reschedule`)).status).toBe(404);
  });
});

describe('booking on behalf of a customer', () => {
  it('goes inside the notice and beyond the horizon, but never over another booking', async () => {
    const staff = await signedIn(app, HOST, 'sam@desk.example');
    const form = { serviceId: dstService, resourceId: nyc, name: 'Phone Caller', email: 'caller@example.com', phone: '', timeZone: 'America/Chicago', notes: '' };
    // The service's horizon is 60 days: a year ahead is refused online, fine for staff.
    const far = await staff.post('/admin/bookings/new', { ...form, date: '2027-02-01', time: '10:00' });
    expect(far.status).toBe(303);
    const row = await t.owner('bookings').where({ customer_email: 'caller@example.com' }).first();
    expect(row).toMatchObject({ source: 'admin', customer_time_zone: 'America/Chicago' });
    expect(row.starts_at.toISOString()).toBe('2027-02-01T15:00:00.000Z'); // 10:00 EST
    expect(await auditRows('booking.create').where({ subject_id: row.id })).toHaveLength(1);
    // A customer's booking holds the time: staff get the collision like everyone else.
    await createBooking(deps, tenantId, { source: 'public', userId: null }, {
      serviceId: dstService, resourceId: nyc, start: Date.parse('2026-03-25T14:00:00Z'), customer: { name: 'Web', email: 'web@example.com', phone: null, timeZone: 'UTC' }, notes: null,
    });
    const clash = await staff.post('/admin/bookings/new', { ...form, email: 'clash@example.com', date: '2026-03-25', time: '10:00' });
    expect(clash.status).toBe(409);
    expect(clash.text).toContain('That time was just taken');
    expect(await t.owner('bookings').where({ customer_email: 'clash@example.com' })).toHaveLength(0);
    // Only on their own resources.
    const other = await t.owner('resources').where({ name: 'Other chair' }).first();
    expect((await staff.post('/admin/bookings/new', { ...form, resourceId: other.id, email: 'other@example.com', date: '2026-03-26', time: '10:00' })).status).toBe(422);
    expect(await t.owner('bookings').where({ customer_email: 'other@example.com' })).toHaveLength(0);
    // Bad input: 422 with the field named, nothing written.
    const bad = await staff.post('/admin/bookings/new', { ...form, email: 'nope', date: '', time: '25:00' });
    expect(bad.status).toBe(422);
    expect(bad.text).toContain('Enter a time like 14:30.');
  });

  it('the public form still refuses inside the notice and beyond the horizon', async () => {
    await expect(
      createBooking(deps, tenantId, { source: 'public', userId: null }, {
        serviceId: dstService, resourceId: nyc, start: Date.parse('2027-02-02T15:00:00Z'), customer: { name: 'W', email: 'w2@example.com', phone: null, timeZone: 'UTC' }, notes: null,
      }, { staffOverride: true }),
    ).rejects.toMatchObject({ reason: 'beyond_horizon' });
  });
});

describe('the new booking form', () => {
  it("lists the chosen day's free times of the chosen resource, and books the one picked", async () => {
    const owner = await signedIn(app, HOST, 'owner@desk.example');
    const start = await owner.open('/admin/bookings/new');
    expect(start.text).toContain('Show free times');
    expect(start.text).not.toContain('name="otherTime"');
    const resource = await t.owner('resources').where({ name: 'Other chair' }).first();
    const service = await t.owner('services').where({ id: dstService }).first();
    // A customer already holds 10:00 that day: it is not offered.
    await createBooking(deps, tenantId, { source: 'public', userId: null }, {
      serviceId: service.id, resourceId: resource.id, start: Date.parse('2026-04-07T14:00:00Z'), customer: { name: 'Web', email: 'web2@example.com', phone: null, timeZone: 'UTC' }, notes: null,
    });
    const day = await owner.open(`/admin/bookings/new?${new URLSearchParams({ serviceId: service.id, resourceId: resource.id, date: '2026-04-07' })}`);
    expect(day.status).toBe(200);
    expect(day.text).toContain('<legend>Time (in America/New_York)</legend>');
    expect(day.text).toContain('<input type="radio" name="time" value="09:00"> 9:00 AM EDT</label>');
    expect(day.text).not.toContain('value="10:00">');
    const booked = await owner.post('/admin/bookings/new', {
      serviceId: service.id, resourceId: resource.id, date: '2026-04-07', time: '09:00', otherTime: '', name: 'Picked', email: 'picked@example.com', phone: '', timeZone: 'America/New_York', notes: '',
    });
    expect(booked.status).toBe(303);
    expect((await t.owner('bookings').where({ customer_email: 'picked@example.com' }).first()).starts_at.toISOString()).toBe('2026-04-07T13:00:00.000Z');
    // "Another time" takes the typed one.
    const typed = await owner.post('/admin/bookings/new', {
      serviceId: service.id, resourceId: resource.id, date: '2026-04-07', time: 'other', otherTime: '15:30', name: 'Typed', email: 'typed@example.com', phone: '', timeZone: 'America/New_York', notes: '',
    });
    expect(typed.status).toBe(303);
    expect((await t.owner('bookings').where({ customer_email: 'typed@example.com' }).first()).starts_at.toISOString()).toBe('2026-04-07T19:30:00.000Z');
  });
});
