import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApp } from '../../src/http/app.ts';
import { withTenant } from '../../src/db/tenant.ts';
import { hashPassword } from '../../src/auth/passwords.ts';
import { insertUser } from '../../src/auth/queries.ts';
import { createApiKey } from '../../src/api/keys.ts';
import { renderBookingMessage } from '../../src/notifications/render.ts';
import { bookingView, REQUEST_EXPIRED_REASON } from '../../src/bookings/service.ts';
import { currentTenant } from '../../src/tenancy/queries.ts';
import type { AppDeps } from '../../src/deps.ts';
import { createTestDb, TestClock, testDeps, type TestDb } from '../support/db.ts';
import { Client, makeTenant, signedIn } from '../support/http.ts';
import { makeResource, makeService } from '../support/catalog.ts';
import { api } from '../support/api.ts';
import { runJobs } from '../support/jobs.ts';

/**
 * Bookings the business approves: a request takes its time (nobody else can
 * book it) until an owner or admin approves or declines it, or it expires.
 * Two answers at once end in exactly one outcome and one set of messages.
 */
let t: TestDb;
let deps: AppDeps;
let app: ReturnType<typeof createApp>;
let tenantId: string;
let resourceId: string;
let serviceId: string;
let key: string;
const HOST = 'ask.slotwise.test';
const HOUR = 3600_000;
// Near real time: the expiry job's run_at is compared with PostgreSQL's own clock.
const clock = new TestClock(Date.now());
/** Whole hours, UTC, `days` from now: the resource is open around the clock. */
const startIn = (days: number, hour: number) => {
  const d = new Date(clock.now().getTime() + days * 86_400_000);
  d.setUTCHours(hour, 0, 0, 0);
  return d.toISOString();
};

beforeAll(async () => {
  t = await createTestDb();
  deps = testDeps(t, clock, { RATE_LIMIT_MULTIPLIER: '100' });
  app = createApp(deps);
  tenantId = (await makeTenant(deps, 'ask', { email: 'owner@ask.example', timeZone: 'UTC' })).tenant.id;
  await withTenant(deps.db, tenantId, async (tx) => {
    await insertUser(tx, { email: 'ada@ask.example', name: 'Ada Admin', role: 'admin', passwordHash: await hashPassword('correct-horse-battery') });
    await insertUser(tx, { email: 'sam@ask.example', name: 'Sam Staff', role: 'staff', passwordHash: await hashPassword('correct-horse-battery') });
  });
  resourceId = (await makeResource(deps, tenantId, 'Studio', 'UTC', [['00:00', '24:00']])).id;
  serviceId = (await makeService(deps, tenantId, [resourceId], { name: 'Portrait session', durationMin: 60, intervalMin: 60, requiresApproval: true, approvalHoldHours: 24 })).id;
  key = (await createApiKey(deps, tenantId, 'ask')).key;
  // The business's address gets the staff notices.
  await t.owner('tenants').where({ id: tenantId }).update({ notification_email: 'desk@ask.example' });
});
afterAll(() => t.drop());

const customer = (n: string) => ({ name: `Customer ${n}`, email: `${n}@example.com`, time_zone: 'UTC' });
const requestVia = (start: string, n = 'pia') => api(app, key).post('/bookings', { service_id: serviceId, resource_id: resourceId, start, customer: customer(n) });
const kindsOf = async (bookingId: string) => (await t.owner('notifications').where({ booking_id: bookingId }).orderBy('kind')).map((n) => n.kind as string);
const historyOf = async (bookingId: string) => (await t.owner('booking_history').where({ booking_id: bookingId }).orderBy('created_at')).map((h) => `${h.event}:${h.actor}`);
/** The job that ends a request's hold (keys carry the tenant's prefix). */
const holdJobs = (bookingId: string) => t.owner('graphile_worker._private_jobs').whereLike('key', `%hold:${bookingId}`);

describe('a request', () => {
  it('from the public form is pending, holds its time for the service’s hours, and tells customer and staff it is a request', async () => {
    const c = new Client(app, HOST);
    await c.open(`/book/${serviceId}?resource=${resourceId}`);
    const start = startIn(3, 10);
    const res = await c.post(`/book/${serviceId}`, { resource: resourceId, tz: 'UTC', start, name: 'Pia Public', email: 'pia@example.com', phone: '', notes: '' });
    expect(res.status, res.text).toBe(303);
    const page = await c.get(res.headers.location!);
    expect(page.text).toContain('Request sent.');
    expect(page.text).toContain('awaiting approval');
    const b = await t.owner('bookings').where({ service_id: serviceId }).whereRaw('starts_at = ?::timestamptz', [start]).first();
    expect(b.status).toBe('pending');
    expect(b.hold_expires_at.getTime()).toBe(clock.now().getTime() + 24 * HOUR);
    // No confirmation and no reminder yet: those come with the approval.
    expect(await kindsOf(b.id)).toEqual(['booking_requested', 'staff_booking_requested']);
    expect(await historyOf(b.id)).toEqual(['requested:customer']);

    // Nobody else can book that time meanwhile.
    const other = await requestVia(start, 'quinn');
    expect(other.status).toBe(409);
    const free = await api(app, key).get(`/availability?service_id=${serviceId}&resource_id=${resourceId}&from=${start.slice(0, 10)}&to=${start.slice(0, 10)}&time_zone=UTC`);
    expect(free.status).toBe(200);
    expect(free.body.slots.map((s: { start: string }) => Date.parse(s.start))).not.toContain(Date.parse(start));
  });

  it('says in the customer’s email that it is a request, and until when, with no calendar invitation', async () => {
    const res = await requestVia(startIn(3, 12), 'rae');
    expect(res.status, res.text).toBe(201);
    expect(res.body.status).toBe('pending');
    expect(res.body.hold_expires_at).toBe(new Date(clock.now().getTime() + 24 * HOUR).toISOString());
    const view = (await bookingView(deps, tenantId, res.body.id))!;
    const tenant = await withTenant(deps.db, tenantId, (tx) => currentTenant(tx));
    const mail = renderBookingMessage({ kind: 'booking_requested', tenant, view, manageUrl: 'https://ask.slotwise.test/manage/x', mailFrom: 'Slotwise <no-reply@slotwise.test>', now: clock.now() });
    expect(mail.subject).toMatch(/^Requested: Portrait session/);
    expect(mail.text).toMatch(/This is a request: ask business confirms or declines it by .+\. The time is kept for you until then/);
    expect(mail.attachments).toHaveLength(0);
  });

  it('approved by an admin in the dashboard is confirmed, with the confirmation and reminders; a second approval is refused clearly', async () => {
    const res = await requestVia(startIn(4, 10), 'sue');
    const id = res.body.id as string;
    const admin = await signedIn(app, HOST, 'ada@ask.example');
    const home = await admin.open('/admin');
    expect(home.text).toMatch(/\d+ booking requests? awaits? your approval/);
    const page = await admin.open(`/admin/bookings/${id}`);
    expect(page.text).toContain('Request awaiting approval');
    const approved = await admin.post(`/admin/bookings/${id}/approve`);
    expect(approved.status, approved.text).toBe(303);
    expect((await t.owner('bookings').where({ id }).first()).status).toBe('confirmed');
    expect((await t.owner('bookings').where({ id }).first()).hold_expires_at).toBeNull();
    expect(await kindsOf(id)).toEqual(expect.arrayContaining(['booking_confirmation', 'booking_reminder']));
    expect(await historyOf(id)).toEqual(['requested:api', 'confirmed:staff']);
    expect((await t.owner('audit_log').where({ subject_id: id, action: 'booking.approve' })).length).toBe(1);
    // The expiry job went with the approval.
    expect(await holdJobs(id)).toHaveLength(0);

    const again = await admin.post(`/admin/bookings/${id}/approve`);
    expect(again.status).toBe(409);
    expect(again.text).toContain('already confirmed');
    const viaApi = await api(app, key).post(`/bookings/${id}/approve`, {});
    expect(viaApi.status).toBe(409);
    expect(viaApi.body.type).toMatch(/booking_not_pending/);
  });

  it('cannot be answered by staff, and does not show them the buttons', async () => {
    const res = await requestVia(startIn(4, 14), 'tom');
    const staff = await signedIn(app, HOST, 'sam@ask.example');
    // Staff see bookings of their own resources only; the studio is nobody's, so link it to them.
    const sam = await t.owner('users').where({ email: 'sam@ask.example' }).first();
    await t.owner('resources').where({ id: resourceId }).update({ user_id: sam.id });
    try {
      const page = await staff.open(`/admin/bookings/${res.body.id}`);
      expect(page.status).toBe(200);
      expect(page.text).not.toContain(`/admin/bookings/${res.body.id}/approve`);
      const tried = await staff.post(`/admin/bookings/${res.body.id}/approve`);
      expect(tried.status).toBe(403);
      expect((await t.owner('bookings').where({ id: res.body.id }).first()).status).toBe('pending');
    } finally {
      await t.owner('resources').where({ id: resourceId }).update({ user_id: null });
    }
  });

  it('declined through the API is cancelled with the reason, its time free again, the customer told', async () => {
    const start = startIn(5, 10);
    const res = await requestVia(start, 'uma');
    const declined = await api(app, key).post(`/bookings/${res.body.id}/decline`, { reason: 'The studio is being painted' });
    expect(declined.status, declined.text).toBe(200);
    expect(declined.body.status).toBe('cancelled');
    const row = await t.owner('bookings').where({ id: res.body.id }).first();
    expect(row.cancel_reason).toBe('The studio is being painted');
    const told = await t.owner('notifications').where({ booking_id: res.body.id, kind: 'booking_declined' });
    expect(told).toHaveLength(1);
    expect(told[0].payload.reason).toBe('The studio is being painted');
    expect(await historyOf(res.body.id)).toEqual(['requested:api', 'declined:api']);
    // The time can be booked again.
    expect((await requestVia(start, 'vic')).status).toBe(201);
  });

  it('answered twice at once ends in exactly one outcome and one set of messages', async () => {
    for (const [i, pair] of ([['approve', 'approve'], ['approve', 'decline'], ['decline', 'approve'], ['decline', 'decline']] as const).entries()) {
      const res = await requestVia(startIn(6, 8 + i), `race${i}`);
      const id = res.body.id as string;
      const answers = await Promise.all(pair.map((a) => api(app, key).post(`/bookings/${id}/${a}`, {})));
      const statuses = answers.map((a) => a.status).sort();
      expect(statuses, JSON.stringify(answers.map((a) => a.body))).toEqual([200, 409]);
      const winner = pair[answers.findIndex((a) => a.status === 200)]!;
      const row = await t.owner('bookings').where({ id }).first();
      expect(row.status).toBe(winner === 'approve' ? 'confirmed' : 'cancelled');
      const kinds = await kindsOf(id);
      expect(kinds.filter((k) => k === 'booking_confirmation' || k === 'booking_declined')).toEqual([winner === 'approve' ? 'booking_confirmation' : 'booking_declined']);
      expect((await historyOf(id)).filter((h) => !h.startsWith('requested'))).toHaveLength(1);
    }
  });

  it('nobody answers: it expires after its hours, the customer is told, the time is free; approving it late is refused', async () => {
    const start = startIn(8, 10);
    const res = await requestVia(start, 'wes');
    const id = res.body.id as string;
    clock.advance(24 * HOUR + 60_000);
    try {
      const late = await api(app, key).post(`/bookings/${id}/approve`, {});
      expect(late.status).toBe(409);
      expect(late.body.type).toMatch(/request_expired/);
      // Due by the test's clock, which is ahead of PostgreSQL's.
      expect(await holdJobs(id)).toHaveLength(1);
      await holdJobs(id).update({ run_at: t.owner.raw("now() - interval '1 second'") });
      await runJobs(t, deps);
      const row = await t.owner('bookings').where({ id }).first();
      expect(row.status).toBe('cancelled');
      expect(row.cancel_reason).toBe(REQUEST_EXPIRED_REASON);
      expect(await kindsOf(id)).toContain('booking_declined');
      expect(await historyOf(id)).toEqual(['requested:api', 'declined:system']);
      expect((await requestVia(start, 'xan')).status).toBe(201);
    } finally {
      clock.advance(-(24 * HOUR + 60_000));
    }
  });

  it('cannot be combined with payment online: the form and the API name the field, nothing changes', async () => {
    const owner = await signedIn(app, HOST, 'owner@ask.example');
    await owner.open(`/admin/services/${serviceId}`);
    const form = await owner.post(`/admin/services/${serviceId}`, {
      name: 'Portrait session', description: '', durationMin: '60', intervalMin: '60', bufferBeforeMin: '0', bufferAfterMin: '0', minNoticeMin: '0',
      horizonDays: '60', maxPerDay: '', price: '45.00', deposit: '0.00', currency: 'USD', paymentMode: 'full', depositPercent: '', resourceIds: resourceId,
      active: 'on', requiresApproval: 'on', approvalHoldHours: '24',
    });
    expect(form.status).toBe(422);
    expect(form.text).toContain('cannot take payment online');
    const viaApi = await api(app, key).patch(`/services/${serviceId}`, { payment_mode: 'full' });
    expect(viaApi.status).toBe(422);
    expect(viaApi.body.errors).toHaveProperty('requires_approval');
    const row = await t.owner('services').where({ id: serviceId }).first();
    expect(row.payment_mode).toBe('none');
    expect(row.requires_approval).toBe(true);
    const shown = await api(app, key).get(`/services/${serviceId}`);
    expect(shown.body).toMatchObject({ requires_approval: true, approval_hold_hours: 24 });
  });
});
