import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { seedBigTenant, seedTenant, type BigTenant, type SeededTenant } from '../../bench/seed.ts';
import { apiKeyOwner } from '../../src/api/keys.ts';
import { findAvailability } from '../../src/bookings/service.ts';
import type { AppDeps } from '../../src/deps.ts';
import { createTestDb, testConfig, type TestDb } from '../support/db.ts';

const DAY = 86_400_000;
const PAST_DAYS = 20;
const BUSY = 30;

/** Bookings seedBigTenant makes per resource: 4 a day, 5 on days whose day of the year is a multiple of 5. */
function expectedPerResource(today: number): number {
  let n = 0;
  for (let d = today - PAST_DAYS * DAY; d <= today + 90 * DAY; d += DAY) {
    const date = new Date(d);
    const doy = Math.round((d - Date.UTC(date.getUTCFullYear(), 0, 1)) / DAY) + 1;
    n += doy % 5 === 0 ? 5 : 4;
  }
  return n;
}

describe('the benchmark seed', () => {
  let t: TestDb;
  let deps: AppDeps;
  let small: SeededTenant;
  let big: BigTenant;

  beforeAll(async () => {
    t = await createTestDb();
    deps = { config: testConfig(t.url), db: t.db, now: () => new Date() };
    small = await seedTenant(deps, 'bench-small', 3);
    big = await seedBigTenant(deps, PAST_DAYS, BUSY);
  });
  afterAll(() => t.drop());

  it('makes a business whose API key works, whose owner counts as verified, with one service over its resources', async () => {
    expect(small.resourceIds).toHaveLength(3);
    expect(await apiKeyOwner(deps.db, deps.config.sessionSecret, small.apiKey)).toMatchObject({ tenantId: small.tenantId });
    const tenant = await t.owner('tenants').where({ id: small.tenantId }).first();
    expect(tenant.owner_email_verified_at).not.toBeNull();
    const offered = await t.owner('service_resources').where({ tenant_id: small.tenantId, service_id: small.serviceId }).pluck('resource_id');
    expect(offered.sort()).toEqual([...small.resourceIds].sort());
  });

  it('gives the big tenant its history: bookings by the day over the past and 90 days ahead, busy blocks per resource', async () => {
    const today = Math.floor(Date.now() / DAY) * DAY;
    expect(big.resourceIds).toHaveLength(20);
    expect(big.bookings).toBe(20 * expectedPerResource(today));
    const counts = await t.owner('bookings').where({ tenant_id: big.tenantId }).select('status').count('* as n').groupBy('status');
    const by = Object.fromEntries(counts.map((r) => [r.status, Number(r.n)]));
    expect(Object.keys(by).sort()).toEqual(['completed', 'confirmed']);
    expect(by.confirmed! + by.completed!).toBe(big.bookings);
    const future = await t.owner('bookings').where({ tenant_id: big.tenantId }).where('starts_at', '>', new Date()).whereNot({ status: 'confirmed' }).count('* as n');
    expect(Number(future[0]!.n)).toBe(0); // only the past has completed bookings
    const blocks = await t.owner('busy_blocks').where({ tenant_id: big.tenantId }).select('resource_id').count('* as n').groupBy('resource_id');
    expect(blocks).toHaveLength(20);
    expect(blocks.every((b) => Number(b.n) === BUSY)).toBe(true);
    expect(big.busyBlocks).toBe(20 * BUSY);
  });

  it('offers the big tenant\'s free times on a 15-minute grid over 8 resources, never over a booking or a busy block', async () => {
    const from = Math.floor(Date.now() / DAY) * DAY + 7 * DAY;
    const range = { start: from, end: from + 7 * DAY };
    const avail = await findAvailability(deps, big.tenantId, { serviceId: big.availabilityServiceId, resourceId: null, range });
    expect(avail.slots.length).toBeGreaterThan(0);
    expect(new Set(avail.slots.flatMap((s) => s.resourceIds)).size).toBe(8);
    expect(avail.slots.every((s) => (s.start / 60_000) % 15 === 0)).toBe(true);
    const taken = await t.owner.raw<{ rows: { resource_id: string; s: Date; e: Date }[] }>(
      `select resource_id, lower(blocked) s, upper(blocked) e from bookings where tenant_id = ? and status = 'confirmed' and blocked && tstzrange(?, ?)
       union all select resource_id, lower(during), upper(during) from busy_blocks where tenant_id = ? and during && tstzrange(?, ?)`,
      [big.tenantId, new Date(range.start), new Date(range.end), big.tenantId, new Date(range.start), new Date(range.end)],
    );
    expect(taken.rows.length).toBeGreaterThan(0); // the week has bookings and blocks to avoid
    for (const slot of avail.slots) {
      for (const id of slot.resourceIds) {
        const clash = taken.rows.find((b) => b.resource_id === id && b.s.getTime() < slot.end && slot.start < b.e.getTime());
        expect(clash).toBeUndefined();
      }
    }
  });

  it('leaves no two active bookings of a resource overlapping', async () => {
    const { rows } = await t.owner.raw(
      `select count(*)::int n from bookings a join bookings b on b.tenant_id = a.tenant_id and b.resource_id = a.resource_id and b.id > a.id
        and b.blocked && a.blocked where a.status in ('held', 'confirmed') and b.status in ('held', 'confirmed')`,
    );
    expect(rows[0].n).toBe(0);
  });
});
