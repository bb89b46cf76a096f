import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { withTenant } from '../../src/db/tenant.ts';
import type { AppDeps } from '../../src/deps.ts';
import { createTestDb, testDeps, type TestDb } from '../support/db.ts';
import { makeTenant } from '../support/http.ts';
import { makeResource, makeService } from '../support/catalog.ts';

let t: TestDb;
let deps: AppDeps;
let tenantId: string;
let resourceId: string;
let otherResourceId: string;
let serviceId: string;

beforeAll(async () => {
  t = await createTestDb();
  deps = testDeps(t);
  tenantId = (await makeTenant(deps, 'rawsql')).tenant.id;
  resourceId = (await makeResource(deps, tenantId, 'Room 1', 'Europe/London')).id;
  otherResourceId = (await makeResource(deps, tenantId, 'Room 2', 'Europe/London')).id;
  serviceId = (await makeService(deps, tenantId, [resourceId, otherResourceId])).id;
});
afterAll(() => t.drop());

/** A raw INSERT, as any code path or a console session could write it: no lock, no engine. */
function insertRaw(resource: string, blocked: [string, string], status = 'confirmed', appointment?: [string, string]) {
  const [s, e] = appointment ?? blocked;
  return withTenant(deps.db, tenantId, (tx) =>
    tx.raw(
      `insert into bookings (tenant_id, service_id, resource_id, starts_at, ends_at, blocked, status, customer_name,
         customer_email, customer_time_zone, manage_nonce, manage_token_hash, source)
       values (?, ?, ?, ?, ?, tstzrange(?, ?, '[)'), ?, 'Raw', 'raw@example.com', 'UTC', md5(random()::text), md5(random()::text), 'admin')`,
      [tenantId, serviceId, resource, s, e, blocked[0], blocked[1], status],
    ),
  );
}

describe('the bookings exclusion constraint, on its own', () => {
  it('rejects an overlapping booking of the same resource, buffers included (SQLSTATE 23P01)', async () => {
    // 10:00–10:30 with a 15-minute buffer after: blocked until 10:45.
    await insertRaw(resourceId, ['2026-07-01T10:00:00Z', '2026-07-01T10:45:00Z'], 'confirmed', ['2026-07-01T10:00:00Z', '2026-07-01T10:30:00Z']);
    // Starts after the appointment but inside its buffer.
    const err = await insertRaw(resourceId, ['2026-07-01T10:40:00Z', '2026-07-01T11:10:00Z']).catch((e: unknown) => e);
    expect(err).toMatchObject({ code: '23P01', constraint: 'bookings_no_overlap' });
    // Touching the buffer's end is fine: ranges are half-open.
    await expect(insertRaw(resourceId, ['2026-07-01T10:45:00Z', '2026-07-01T11:15:00Z'])).resolves.toBeDefined();
    // Another resource at the same time is fine.
    await expect(insertRaw(otherResourceId, ['2026-07-01T10:00:00Z', '2026-07-01T10:30:00Z'])).resolves.toBeDefined();
  });

  it('lets held bookings block too, and ignores cancelled ones', async () => {
    await insertRaw(resourceId, ['2026-07-02T09:00:00Z', '2026-07-02T09:30:00Z'], 'held');
    await expect(insertRaw(resourceId, ['2026-07-02T09:15:00Z', '2026-07-02T09:45:00Z'])).rejects.toMatchObject({ code: '23P01' });
    await insertRaw(resourceId, ['2026-07-03T09:00:00Z', '2026-07-03T09:30:00Z'], 'cancelled');
    await expect(insertRaw(resourceId, ['2026-07-03T09:00:00Z', '2026-07-03T09:30:00Z'])).resolves.toBeDefined();
  });

  it('also refuses making a cancelled booking active again over a live one', async () => {
    await insertRaw(resourceId, ['2026-07-04T09:00:00Z', '2026-07-04T09:30:00Z'], 'cancelled');
    await insertRaw(resourceId, ['2026-07-04T09:00:00Z', '2026-07-04T09:30:00Z']);
    const revive = withTenant(deps.db, tenantId, (tx) =>
      tx('bookings').where({ resource_id: resourceId, status: 'cancelled' }).whereRaw(`starts_at = '2026-07-04T09:00:00Z'`).update({ status: 'confirmed' }),
    );
    await expect(revive).rejects.toMatchObject({ code: '23P01' });
  });

  it('refuses a blocked range further from the start than a service and its buffers can reach', async () => {
    // A buffer before of more than a day, or an end plus buffer more than two days after the start.
    await expect(insertRaw(resourceId, ['2026-07-05T08:00:00Z', '2026-07-06T10:30:00Z'], 'confirmed', ['2026-07-06T09:00:00Z', '2026-07-06T10:00:00Z']))
      .rejects.toMatchObject({ code: '23514', constraint: 'bookings_blocked_near_start' });
    await expect(insertRaw(resourceId, ['2026-07-07T09:00:00Z', '2026-07-09T09:01:00Z'], 'confirmed', ['2026-07-07T09:00:00Z', '2026-07-07T10:00:00Z']))
      .rejects.toMatchObject({ code: '23514', constraint: 'bookings_blocked_near_start' });
    // The longest a service allows: a day before, a day's service and a day after.
    await expect(insertRaw(otherResourceId, ['2026-07-10T09:00:00Z', '2026-07-13T09:00:00Z'], 'cancelled', ['2026-07-11T09:00:00Z', '2026-07-12T09:00:00Z']))
      .resolves.toBeDefined();
  });

  it('counts exactly the rows that were allowed', async () => {
    const { rows } = await t.owner.raw(`select count(*)::int as n from bookings where status in ('held', 'confirmed')`);
    expect(rows[0].n).toBe(6);
  });
});
