import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AppDeps } from '../../src/deps.ts';
import { withTenant } from '../../src/db/tenant.ts';
import { createTestDb, TestClock, testDeps, type TestDb } from '../support/db.ts';
import { makeTenant } from '../support/http.ts';
import { makeResource } from '../support/catalog.ts';

/**
 * Busy blocks may overlap one another (synced calendars), so the read of
 * the ones overlapping a range cannot lean on the bookings' trick; it must
 * stay bounded all the same (issue 17: 2 000 blocks per resource).
 */
let t: TestDb;
let deps: AppDeps;
let tenantId: string;
let resourceId: string;
const T0 = Date.parse('2027-01-01T00:00:00Z');
const HOUR = 3600_000;

beforeAll(async () => {
  t = await createTestDb();
  deps = testDeps(t, new TestClock(T0));
  tenantId = (await makeTenant(deps, 'busy')).tenant.id;
  resourceId = (await makeResource(deps, tenantId, 'Sam', 'UTC')).id;
  // 2 000 blocks, every 3 hours, 2 hours long, plus one 3-day block: overlapping, as calendars are.
  const rows = Array.from({ length: 2000 }, (_, i) => ({ s: T0 + i * 3 * HOUR, e: T0 + i * 3 * HOUR + 2 * HOUR }));
  rows.push({ s: T0 + 100 * HOUR, e: T0 + 172 * HOUR });
  await t.owner.raw(
    `insert into busy_blocks (tenant_id, resource_id, during, source)
     select ?::uuid, ?::uuid, tstzrange(to_timestamp(s / 1000.0), to_timestamp(e / 1000.0), '[)'), 'google'
     from json_to_recordset(?::json) as x (s float8, e float8)`,
    [tenantId, resourceId, JSON.stringify(rows)],
  );
  await t.owner.raw('analyze busy_blocks');
});
afterAll(() => t.drop());

async function read(from: number, to: number) {
  return withTenant(deps.db, tenantId, async (tx) => {
    const { rows } = await tx.raw<{ rows: { inputs: { busy: [string, number, number][] } }[] }>(
      'select slot_inputs(?::uuid[], ?::timestamptz, ?::timestamptz, ?::date, ?::date, null) as inputs',
      [[resourceId], new Date(from).toISOString(), new Date(to).toISOString(), '2027-01-01', '2027-12-31'],
    );
    // What this transaction's scans of busy_blocks touched: sequential reads and index fetches.
    const { rows: stats } = await tx.raw<{ rows: { seq: string; fetched: string }[] }>(
      `select pg_stat_get_xact_tuples_returned('busy_blocks'::regclass) as seq, pg_stat_get_xact_tuples_fetched('busy_blocks'::regclass) as fetched`,
    );
    return { busy: rows[0]!.inputs.busy, touched: Number(stats[0]!.seq) + Number(stats[0]!.fetched) };
  });
}

describe('busy blocks read for a decision', () => {
  it('returns exactly the overlapping blocks, long ones included', async () => {
    const from = T0 + 140 * HOUR;
    const to = T0 + 146 * HOUR;
    const { busy } = await read(from, to);
    const starts = busy.map(([, s]) => (s - T0) / HOUR);
    // 138–140 touches only; 141–143 and 144–146 overlap; the long 100–172 block too.
    expect(starts).toEqual([100, 141, 144]);
  });

  it('touches a bounded number of rows with 2 000 blocks on the resource', async () => {
    const { busy, touched } = await read(T0 + 3000 * HOUR, T0 + 3024 * HOUR);
    expect(busy).toHaveLength(8);
    expect(touched).toBeLessThan(100);
  });
});
