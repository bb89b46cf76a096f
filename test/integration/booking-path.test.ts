import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApp } from '../../src/http/app.ts';
import { withTenant } from '../../src/db/tenant.ts';
import { hashPassword } from '../../src/auth/passwords.ts';
import { insertUser } from '../../src/auth/queries.ts';
import { createApiKey } from '../../src/api/keys.ts';
import { createEndpoint } from '../../src/webhooks/service.ts';
import type { AppDeps } from '../../src/deps.ts';
import { createTestDb, TestClock, testDeps, type TestDb } from '../support/db.ts';
import { Client, makeTenant, signedIn } from '../support/http.ts';
import { makeResource, makeService } from '../support/catalog.ts';
import { api } from '../support/api.ts';

/**
 * The public form, the dashboard and the API book through the one booking
 * service: each booking comes with the same follow-ups (a history line, the
 * customer's and the staff's messages with their jobs, a webhook delivery),
 * and all of them, the staff's audit line included, were written by the
 * booking's own transaction (the same `xmin`), so none can exist without it.
 */
let t: TestDb;
let deps: AppDeps;
let app: ReturnType<typeof createApp>;
let tenantId: string;
let resourceId: string;
let serviceId: string;
let key: string;
const HOST = 'path.slotwise.test';
// Monday 2026-06-01, 12:00 UTC.
const clock = new TestClock(Date.parse('2026-06-01T12:00:00Z'));

beforeAll(async () => {
  t = await createTestDb();
  deps = testDeps(t, clock, { RATE_LIMIT_MULTIPLIER: '100' });
  app = createApp(deps);
  tenantId = (await makeTenant(deps, 'path', { email: 'owner@path.example', timeZone: 'Europe/Berlin' })).tenant.id;
  const staffUser = await withTenant(deps.db, tenantId, async (tx) => {
    const user = await insertUser(tx, { email: 'ada@path.example', name: 'Ada Admin', role: 'admin', passwordHash: await hashPassword('correct-horse-battery') });
    // Registered only: the test's worker never runs, so nothing is delivered anywhere.
    await createEndpoint(tx, { url: 'https://hooks.path.example/bookings', events: ['booking.created'], description: 'CRM' }, { userId: user.id }, { config: deps.config, now: clock.now() });
    return user;
  });
  const resource = await makeResource(deps, tenantId, 'Room A', 'Europe/Berlin', [['09:00', '17:00']]);
  resourceId = resource.id;
  // The staff member linked to the resource gets the staff notice.
  await t.owner('resources').where({ id: resourceId }).update({ user_id: staffUser.id });
  serviceId = (await makeService(deps, tenantId, [resourceId], { name: 'Session' })).id;
  key = (await createApiKey(deps, tenantId, 'path')).key;
});
afterAll(() => t.drop());

/** What the booking at `start` left behind, and in which transactions. */
async function trailOf(start: string) {
  const [booking] = await t.owner('bookings').where({ resource_id: resourceId }).whereRaw('starts_at = ?::timestamptz', [start]).select('id', 'source', t.owner.raw('xmin::text as xid'));
  expect(booking, `a booking at ${start}`).toBeDefined();
  const rows = async (sql: string) => (await t.owner.raw(sql, [booking.id])).rows as { what: string; xid: string }[];
  const trail = [
    ...(await rows(`select 'history:' || event || ':' || actor as what, xmin::text as xid from booking_history where booking_id = ?`)),
    ...(await rows(`select 'message:' || kind as what, xmin::text as xid from notifications where booking_id = ? order by kind`)),
    ...(await rows(`select 'webhook:' || event_type as what, xmin::text as xid from webhook_deliveries where payload -> 'data' -> 'booking' ->> 'id' = ?::text`)),
    ...(await rows(`select 'audit:' || action as what, xmin::text as xid from audit_log where subject_id = ?`)),
    ...(await rows(`select 'job:' || t.identifier as what, j.xmin::text as xid
                      from graphile_worker._private_jobs j join graphile_worker._private_tasks t on t.id = j.task_id
                      join notifications n on j.payload ->> 'notificationId' = n.id::text where n.booking_id = ? order by t.identifier`)),
  ];
  return { source: booking.source as string, what: trail.map((r) => r.what), sameTransaction: trail.every((r) => r.xid === booking.xid) };
}

const messagesAndJobs = ['message:booking_confirmation', 'message:booking_reminder', 'message:staff_booking_created', 'webhook:booking.created'];

describe('every caller books through the one booking service', () => {
  it('the public form: history by the customer, messages, reminder, webhook, one transaction', async () => {
    const c = new Client(app, HOST);
    await c.open(`/book/${serviceId}?resource=${resourceId}`);
    const start = '2026-06-03T09:00:00+02:00';
    const res = await c.post(`/book/${serviceId}`, { resource: resourceId, tz: 'Europe/Berlin', start, name: 'Pia Public', email: 'pia@example.com', phone: '', notes: '' });
    expect(res.status, res.text).toBe(303);
    const trail = await trailOf(start);
    expect(trail.source).toBe('public');
    expect(trail.what).toEqual(expect.arrayContaining(['history:created:customer', ...messagesAndJobs]));
    expect(trail.what.filter((w) => w.startsWith('audit:'))).toEqual([]);
    // One send job per message.
    expect(trail.what.filter((w) => w.startsWith('job:'))).toHaveLength(trail.what.filter((w) => w.startsWith('message:')).length);
    expect(trail.sameTransaction).toBe(true);
  });

  it('the dashboard: the same, by staff, with its audit line in the booking\'s transaction', async () => {
    const admin = await signedIn(app, HOST, 'ada@path.example');
    await admin.open('/admin/bookings/new');
    const res = await admin.post('/admin/bookings/new', {
      serviceId, resourceId, date: '2026-06-03', time: '10:00', name: 'Dan Desk', email: 'dan@example.com', phone: '', timeZone: 'Europe/Berlin', notes: '',
    });
    expect(res.status, res.text).toBe(303);
    const trail = await trailOf('2026-06-03T10:00:00+02:00');
    expect(trail.source).toBe('admin');
    expect(trail.what).toEqual(expect.arrayContaining(['history:created:staff', 'audit:booking.create', ...messagesAndJobs]));
    expect(trail.sameTransaction).toBe(true);
  });

  it('the API: the same, by the API', async () => {
    const start = '2026-06-03T11:00:00+02:00';
    const res = await api(app, key).post('/bookings', {
      service_id: serviceId, resource_id: resourceId, start, customer: { name: 'Ari Api', email: 'ari@example.com', time_zone: 'Europe/Berlin' },
    });
    expect(res.status, res.text).toBe(201);
    expect(res.body).toMatchObject({ status: 'confirmed', resource_id: resourceId, start });
    const trail = await trailOf(start);
    expect(trail.source).toBe('api');
    expect(trail.what).toEqual(expect.arrayContaining(['history:created:api', ...messagesAndJobs]));
    expect(trail.sameTransaction).toBe(true);
  });
});
