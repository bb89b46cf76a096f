import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { refundDue, refundFor } from '../../../src/payments/refund-policy.ts';
import type { CancellationPolicy } from '../../../src/tenancy/policy.ts';

const S = 1000;
const H = 3600 * S;
const policy: CancellationPolicy = { tiers: [{ hoursBefore: 48, refundPercent: 100 }, { hoursBefore: 24, refundPercent: 50 }], sameDayRefundPercent: null };
const start = Date.parse('2027-06-10T15:00:00Z');

describe('refundFor: the tiers, to the second', () => {
  it.each([
    ['48 h + 1 s before', 48 * H + S, 10_000],
    ['48 h before exactly', 48 * H, 10_000],
    ['48 h − 1 s before', 48 * H - S, 5000],
    ['24 h + 1 s before', 24 * H + S, 5000],
    ['24 h before exactly', 24 * H, 5000],
    ['24 h − 1 s before', 24 * H - S, 0],
    ['1 s before', S, 0],
    ['at the start', 0, 0],
    ['after the start', -H, 0],
  ])('%s', (_label, before, expected) => {
    expect(refundFor(policy, 10_000, start, start - before, 'UTC')).toBe(expected);
  });

  it('rounds down to a whole minor unit (zero-decimal currencies too)', () => {
    expect(refundFor({ tiers: [{ hoursBefore: 0, refundPercent: 33 }], sameDayRefundPercent: null }, 1001, start, start - H, 'UTC')).toBe(330);
  });

  it('an empty policy refunds nothing', () => {
    expect(refundFor({ tiers: [], sameDayRefundPercent: null }, 5000, start, start - 1000 * H, 'UTC')).toBe(0);
  });

  it('refundDue subtracts what was refunded already', () => {
    expect(refundDue(policy, 10_000, 3000, start, start - 72 * H, 'UTC')).toBe(7000);
    expect(refundDue(policy, 10_000, 6000, start, start - 30 * H, 'UTC')).toBe(4000);
    expect(refundDue(policy, 10_000, 10_000, start, start - 72 * H, 'UTC')).toBe(0);
  });
});

describe('the same-day rule, in the business zone, across DST changes', () => {
  // New York springs forward on Sunday 2027-03-14 (02:00 → 03:00), a 23-hour day.
  const zone = 'America/New_York';
  const sameDay: CancellationPolicy = { tiers: [{ hoursBefore: 0, refundPercent: 100 }], sameDayRefundPercent: 25 };
  const springStart = Date.parse('2027-03-14T10:00:00-04:00'); // 14:00Z

  it('the last second of the day before is not the same day; its first second is', () => {
    expect(refundFor(sameDay, 8000, springStart, Date.parse('2027-03-13T23:59:59-05:00'), zone)).toBe(8000);
    expect(refundFor(sameDay, 8000, springStart, Date.parse('2027-03-14T00:00:00-05:00'), zone)).toBe(2000);
  });

  it('measures hours in real time on a 23-hour day: local midnight is 9 h, not 10 h, before 10:00', () => {
    const tiered: CancellationPolicy = { tiers: [{ hoursBefore: 10, refundPercent: 100 }, { hoursBefore: 0, refundPercent: 50 }], sameDayRefundPercent: null };
    expect(refundFor(tiered, 8000, springStart, Date.parse('2027-03-14T00:00:00-05:00'), zone)).toBe(4000);
    expect(refundFor(tiered, 8000, springStart, springStart - 10 * H, zone)).toBe(8000); // 23:00 local the day before
  });

  it('on the fall-back day (25 hours) the repeated hour is still the same day', () => {
    const fallStart = Date.parse('2027-11-07T20:00:00-05:00');
    expect(refundFor(sameDay, 8000, fallStart, Date.parse('2027-11-07T01:30:00-04:00'), zone)).toBe(2000);
    expect(refundFor(sameDay, 8000, fallStart, Date.parse('2027-11-07T01:30:00-05:00'), zone)).toBe(2000);
    expect(refundFor(sameDay, 8000, fallStart, Date.parse('2027-11-06T23:59:59-04:00'), zone)).toBe(8000);
  });

  it('uses the business zone, not the server\'s or UTC', () => {
    // 01:00Z on the 14th is still the 13th in New York.
    expect(refundFor(sameDay, 8000, springStart, Date.parse('2027-03-14T01:00:00Z'), zone)).toBe(8000);
    expect(refundFor(sameDay, 8000, springStart, Date.parse('2027-03-14T01:00:00Z'), 'UTC')).toBe(2000);
  });
});

describe('refundFor, properties', () => {
  const arbPolicy = fc.record({
    tiers: fc.uniqueArray(fc.record({ hoursBefore: fc.integer({ min: 0, max: 500 }), refundPercent: fc.integer({ min: 0, max: 100 }) }), { selector: (t) => t.hoursBefore, maxLength: 4 }),
    sameDayRefundPercent: fc.option(fc.integer({ min: 0, max: 100 }), { nil: null }),
  });
  const zone = fc.constantFrom('UTC', 'America/New_York', 'Europe/Berlin', 'Australia/Lord_Howe', 'Pacific/Kiritimati');
  const startArb = fc.integer({ min: Date.parse('2027-01-01T00:00:00Z'), max: Date.parse('2028-12-31T00:00:00Z') });

  it('never exceeds what was paid, and is never negative', () => {
    fc.assert(fc.property(arbPolicy, fc.integer({ min: 0, max: 10_000_000 }), startArb, fc.integer({ min: -100 * H, max: 1000 * H }), zone, (p, paid, s, before, z) => {
      const r = refundFor(p, paid, s, s - before, z);
      return r >= 0 && r <= paid && Number.isInteger(r);
    }));
  });

  it('never grows as the start approaches', () => {
    fc.assert(fc.property(arbPolicy, fc.integer({ min: 0, max: 1_000_000 }), startArb, fc.integer({ min: 0, max: 1000 * H }), fc.integer({ min: 0, max: 1000 * H }), zone, (p, paid, s, a, b, z) => {
      const earlier = s - Math.max(a, b);
      const later = s - Math.min(a, b);
      return refundFor(p, paid, s, later, z) <= refundFor(p, paid, s, earlier, z);
    }));
  });
});
