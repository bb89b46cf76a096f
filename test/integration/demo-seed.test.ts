import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AppDeps } from '../../src/deps.ts';
import { seedDemoIfEmpty } from '../../src/tenancy/seed.ts';
import { createTestDb, TestClock, testDeps, type TestDb } from '../support/db.ts';

/**
 * `npm start` on an empty database: the demo business opens on a working
 * day, with two weeks of bookings around today made through the booking
 * service (each with its history), some of them past and marked as they
 * turned out, one no-show, cancellations, and upcoming ones.
 */
let t: TestDb;
let deps: AppDeps;
// Wednesday 2026-03-04, 10:00 AM in New York.
const NOW = Date.parse('2026-03-04T15:00:00Z');
const DAY = 86_400_000;

beforeAll(async () => {
  t = await createTestDb();
  deps = testDeps(t, new TestClock(NOW));
  expect(await seedDemoIfEmpty(deps)).toBe(true);
}, 60_000);
afterAll(() => t.drop());

describe('the demo business', () => {
  it('has two weeks of bookings around today, past ones marked as they turned out', async () => {
    const rows: { id: string; status: string; starts_at: Date; cancel_reason: string | null }[] = await t.owner('bookings').select('id', 'status', 'starts_at', 'cancel_reason');
    const past = rows.filter((b) => b.starts_at.getTime() < NOW);
    const ahead = rows.filter((b) => b.starts_at.getTime() >= NOW);
    expect(rows.every((b) => Math.abs(b.starts_at.getTime() - NOW) <= 8 * DAY)).toBe(true);
    expect(past.filter((b) => b.status === 'completed').length).toBeGreaterThanOrEqual(5);
    expect(past.filter((b) => b.status === 'no_show')).toHaveLength(1);
    expect(past.filter((b) => b.status === 'cancelled')).toHaveLength(1);
    expect(ahead.filter((b) => b.status === 'confirmed').length).toBeGreaterThanOrEqual(5);
    expect(ahead.filter((b) => b.status === 'cancelled')).toHaveLength(1);
    expect(rows.filter((b) => b.status === 'cancelled').every((b) => b.cancel_reason?.startsWith('Customer: '))).toBe(true);
    // Nothing in the past is left "confirmed" a whole hour after it began.
    expect(past.filter((b) => b.status === 'confirmed' && b.starts_at.getTime() < NOW - 3600_000)).toEqual([]);
    // Today (New York) has bookings on it.
    expect(rows.filter((b) => new Intl.DateTimeFormat('en-CA', { timeZone: 'America/New_York' }).format(b.starts_at) === '2026-03-04').length).toBeGreaterThan(0);
    // Each was made through the booking service: it has its "created" history row.
    const created = await t.owner('booking_history').where({ event: 'created' }).count<{ count: string }[]>('* as count');
    expect(Number(created[0]!.count)).toBe(rows.length);
    expect((await t.owner('tenants').where({ slug: 'demo' }).first()).contact_phone).toBe('+1 212 555 0100');
  });
});
