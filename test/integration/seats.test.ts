import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { randomUUID } from 'node:crypto';
import { createApp } from '../../src/http/app.ts';
import { connectDatabase, type Database } from '../../src/db/database.ts';
import { createApiKey } from '../../src/api/keys.ts';
import type { AppDeps } from '../../src/deps.ts';
import { createTestDb, TestClock, testDeps, type TestDb } from '../support/db.ts';
import { Client, makeTenant } from '../support/http.ts';
import { makeResource, makeService } from '../support/catalog.ts';
import { api } from '../support/api.ts';

/**
 * Classes: a service of capacity 5 books five seats at one time and not a
 * sixth, under the resource's lock, across two app instances; nothing else
 * is booked on the resource during the class, which the exclusion
 * constraint holds even for a writer that skips the lock.
 */
let t: TestDb;
let deps: AppDeps;
let app: ReturnType<typeof createApp>;
let second: { db: Database; app: ReturnType<typeof createApp> };
let tenantId: string;
let roomId: string;
let classId: string;
let privateId: string;
let key: string;
const HOST = 'yoga.slotwise.test';
// Monday 2026-06-01, 08:00 UTC.
const clock = new TestClock(Date.parse('2026-06-01T08:00:00Z'));
const START = '2026-06-03T10:00:00.000Z';

beforeAll(async () => {
  t = await createTestDb();
  deps = testDeps(t, clock, { RATE_LIMIT_MULTIPLIER: '100' });
  app = createApp(deps);
  const db = connectDatabase({ databaseUrl: t.url });
  second = { db, app: createApp({ ...deps, db }) };
  tenantId = (await makeTenant(deps, 'yoga', { timeZone: 'UTC' })).tenant.id;
  roomId = (await makeResource(deps, tenantId, 'Studio', 'UTC', [['09:00', '17:00']])).id;
  classId = (await makeService(deps, tenantId, [roomId], { name: 'Morning flow', durationMin: 60, intervalMin: 30, capacity: 5 })).id;
  privateId = (await makeService(deps, tenantId, [roomId], { name: 'Private lesson', durationMin: 30, intervalMin: 30 })).id;
  key = (await createApiKey(deps, tenantId, 'yoga')).key;
});
afterAll(async () => {
  await second.db.close();
  await t.drop();
});

const seat = (n: number, via = app, start = START, service = classId) =>
  api(via, key).post('/bookings', { service_id: service, resource_id: roomId, start, customer: { name: `Yogi ${n}`, email: `yogi${n}@example.com`, time_zone: 'UTC' } });
const slotsOn = async (service: string, date = START.slice(0, 10)) =>
  (await api(app, key).get(`/availability?service_id=${service}&resource_id=${roomId}&from=${date}&to=${date}&time_zone=UTC`)).body.slots as { start: string; seats_left?: number }[];
const at = (slots: { start: string; seats_left?: number }[], iso: string) => slots.find((s) => Date.parse(s.start) === Date.parse(iso));

describe('a class of five', () => {
  it('shows every seat free before anyone books', async () => {
    expect(at(await slotsOn(classId), START)).toMatchObject({ seats_left: 5 });
    // A service of one seat says nothing of seats.
    expect(at(await slotsOn(privateId), START)).not.toHaveProperty('seats_left');
  });

  it('20 customers at once over two app instances: exactly 5 seats, 15 clear refusals, never a 500', async () => {
    const answers = await Promise.all(Array.from({ length: 20 }, (_, i) => seat(i, i % 2 ? second.app : app)));
    const statuses = answers.map((a) => a.status);
    expect(statuses.filter((s) => s === 201)).toHaveLength(5);
    expect(statuses.filter((s) => s === 409)).toHaveLength(15);
    for (const refused of answers.filter((a) => a.status === 409)) expect(refused.body.type).toMatch(/slot_unavailable/);
    const rows = await t.owner('bookings').where({ service_id: classId, status: 'confirmed' });
    expect(rows).toHaveLength(5);
    expect(new Set(rows.map((r) => r.share_key)).size).toBe(1);
    // Each seat is its own booking: its own customer and manage link.
    expect(new Set(rows.map((r) => r.manage_token_hash)).size).toBe(5);
    expect(at(await slotsOn(classId), START)).toBeUndefined();
  });

  it('a private booking on the resource during the class is refused, by the service and by the database', async () => {
    const during = await seat(99, app, '2026-06-03T10:30:00.000Z', privateId);
    expect(during.status).toBe(409);
    expect(at(await slotsOn(privateId), '2026-06-03T10:30:00.000Z')).toBeUndefined();
    // Nor can another class start inside it.
    expect((await seat(98, app, '2026-06-03T10:30:00.000Z')).status).toBe(409);
    // A writer that skips the lock and the engine still meets the constraint.
    const template = await t.owner('bookings').where({ service_id: classId }).first();
    const sneak = t.owner('bookings').insert({
      ...template, id: randomUUID(), service_id: privateId, share_key: null, manage_token_hash: `x${randomUUID()}`, blocked_to: undefined,
    });
    await expect(sneak).rejects.toMatchObject({ code: '23P01' });
  });

  it('a cancelled seat is offered again, one seat left, and is booked by the next customer', async () => {
    const [first] = await t.owner('bookings').where({ service_id: classId, status: 'confirmed' }).orderBy('created_at').limit(1);
    expect((await api(app, key).post(`/bookings/${first.id}/cancel`, {})).status).toBe(200);
    expect(at(await slotsOn(classId), START)).toMatchObject({ seats_left: 1 });
    // The public times page says so too.
    const page = await new Client(app, HOST).get(`/book/${classId}?resource=${roomId}&tz=UTC&from=2026-06-03&date=2026-06-03`);
    expect(page.status).toBe(200);
    expect(page.text).toContain('1 seat left');
    expect((await seat(21)).status).toBe(201);
    expect((await seat(22)).status).toBe(409);
  });

  it('a class at another time opens its own five seats, and moving a seat into a full class is refused', async () => {
    const later = '2026-06-03T14:00:00.000Z';
    expect(at(await slotsOn(classId), later)).toMatchObject({ seats_left: 5 });
    const moved = await seat(30, app, later);
    expect(moved.status).toBe(201);
    expect(at(await slotsOn(classId), later)).toMatchObject({ seats_left: 4 });
    const into = await api(app, key).post(`/bookings/${moved.body.id}/reschedule`, { start: START });
    expect(into.status).toBe(409);
    // Moving it to a free time takes that class's key: the later class is empty again.
    const elsewhere = await api(app, key).post(`/bookings/${moved.body.id}/reschedule`, { start: '2026-06-03T15:00:00.000Z' });
    expect(elsewhere.status, elsewhere.text).toBe(200);
    expect(at(await slotsOn(classId), later)).toMatchObject({ seats_left: 5 });
    expect(at(await slotsOn(classId), '2026-06-03T15:00:00.000Z')).toMatchObject({ seats_left: 4 });
  });

  it('takes the capacity from the API and refuses nonsense clearly', async () => {
    expect((await api(app, key).get(`/services/${classId}`)).body.capacity).toBe(5);
    const bad = await api(app, key).patch(`/services/${classId}`, { capacity: 0 });
    expect(bad.status).toBe(422);
    expect(bad.body.errors).toHaveProperty('capacity');
    expect((await t.owner('services').where({ id: classId }).first()).capacity).toBe(5);
  });
});

describe('a class whose seats end after the time read', () => {
  it('counts every seat, even when the business shortened the buffer after they were booked', async () => {
    // Seats booked with a 30-minute buffer after the class end 30 minutes after a new seat's blocked time does:
    // the read for the new seat must still see all of them.
    const hall = (await makeResource(deps, tenantId, 'Hall', 'UTC', [['09:00', '17:00']])).id;
    const pilates = (await makeService(deps, tenantId, [hall], { name: 'Pilates', durationMin: 60, intervalMin: 60, capacity: 2, bufferAfterMin: 30 })).id;
    const book = (n: number) => api(app, key).post('/bookings', { service_id: pilates, resource_id: hall, start: START, customer: { name: `Pilates ${n}`, email: `pilates${n}@example.com`, time_zone: 'UTC' } });
    expect((await book(1)).status).toBe(201);
    expect((await book(2)).status).toBe(201);
    const svc = await api(app, key).get(`/services/${pilates}`);
    expect((await api(app, key).patch(`/services/${pilates}`, { buffer_after_minutes: 0 }).set('If-Match', svc.headers.etag!)).status).toBe(200);
    const slots = (await api(app, key).get(`/availability?service_id=${pilates}&resource_id=${hall}&from=2026-06-03&to=2026-06-03&time_zone=UTC`)).body.slots as { start: string }[];
    expect(slots.map((s) => s.start)).not.toContain('2026-06-03T10:00:00Z');
    expect((await book(3)).status).toBe(409);
    expect(await t.owner('bookings').where({ service_id: pilates, status: 'confirmed' })).toHaveLength(2);
  });
});
