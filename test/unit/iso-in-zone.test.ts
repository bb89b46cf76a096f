import fc from 'fast-check';
import { Temporal } from 'temporal-polyfill';
import { describe, expect, it } from 'vitest';
import { isoInZone } from '../../src/bookings/present.ts';

/**
 * isoInZone works out each zone's offset once per stretch between
 * transitions and shifts by it; it must write exactly what Temporal
 * writes for every instant, in any order of calls, across transitions,
 * in zones with half- and quarter-hour offsets, a half-hour DST, and an
 * offset of seconds (local mean time, before standard time).
 */
const ZONES = ['America/New_York', 'Europe/Berlin', 'Asia/Kolkata', 'Asia/Kathmandu', 'Australia/Lord_Howe', 'Pacific/Chatham', 'America/St_Johns', 'UTC', 'Europe/Amsterdam'];
const temporal = (ms: number, zone: string) =>
  Temporal.Instant.fromEpochMilliseconds(ms).toZonedDateTimeISO(zone).toString({ timeZoneName: 'never', smallestUnit: 'second' });

describe('isoInZone', () => {
  it('writes what Temporal writes, for instants in any order, from 1850 to 2100', () => {
    const instant = fc.oneof(
      fc.integer({ min: Date.UTC(1850, 0, 1), max: Date.UTC(2100, 0, 1) }),
      // Near the 2026 transitions of the zones above, by the minute.
      fc.integer({ min: 0, max: 400 * 24 * 60 }).map((m) => Date.UTC(2026, 0, 1) + m * 60_000),
    );
    fc.assert(
      fc.property(fc.array(fc.tuple(instant, fc.constantFrom(...ZONES)), { minLength: 1, maxLength: 200 }), (calls) => {
        for (const [ms, zone] of calls) expect(isoInZone(ms, zone), `${new Date(ms).toISOString()} in ${zone}`).toBe(temporal(ms, zone));
      }),
      { numRuns: 300 },
    );
  });

  it('changes the offset exactly at a transition, walking forward and back over it', () => {
    const jump = Date.parse('2026-03-08T07:00:00Z'); // 2:00 AM EST → 3:00 AM EDT
    expect(isoInZone(jump - 1000, 'America/New_York')).toBe('2026-03-08T01:59:59-05:00');
    expect(isoInZone(jump, 'America/New_York')).toBe('2026-03-08T03:00:00-04:00');
    expect(isoInZone(jump - 1000, 'America/New_York')).toBe('2026-03-08T01:59:59-05:00');
    const lmt = Date.parse('1850-06-01T12:00:00Z'); // Amsterdam's mean time, +00:19:32
    expect(isoInZone(lmt, 'Europe/Amsterdam')).toBe(temporal(lmt, 'Europe/Amsterdam'));
  });
});
