/**
 * Window conversion around DST transitions. Expected labels are worked out by
 * hand from the zones' rules; each label is a slot start as local
 * 'HH:MM±HH:MM' (wall time + UTC offset).
 */
import { describe, expect, it } from 'vitest';
import { Temporal } from 'temporal-polyfill';
import { computeSlots, type SlotQuery, type Weekday } from '../../../src/scheduling/index.ts';

interface Row {
  name: string;
  zone: string;
  date: string;
  windows: [string, string][];
  durationMin: number;
  intervalMin: number;
  want: string[];
}

const rows: Row[] = [
  // America/New_York 2026-03-08: 02:00 EST → 03:00 EDT (02:xx does not exist).
  { name: 'NY spring forward: gap hour never offered', zone: 'America/New_York', date: '2026-03-08',
    windows: [['01:00', '04:00']], durationMin: 30, intervalMin: 30,
    want: ['01:00-05:00', '01:30-05:00', '03:00-04:00', '03:30-04:00'] },
  { name: 'NY spring forward: 00:00-03:00 lasts 2 real hours', zone: 'America/New_York', date: '2026-03-08',
    windows: [['00:00', '03:00']], durationMin: 60, intervalMin: 60,
    want: ['00:00-05:00', '01:00-05:00'] },
  { name: 'NY spring forward: window start inside the gap starts at 03:00 EDT', zone: 'America/New_York', date: '2026-03-08',
    windows: [['02:30', '05:00']], durationMin: 60, intervalMin: 60,
    want: ['03:00-04:00', '04:00-04:00'] },
  { name: 'NY spring forward: window end inside the gap ends at 03:00 EDT', zone: 'America/New_York', date: '2026-03-08',
    windows: [['00:00', '02:30']], durationMin: 30, intervalMin: 30,
    want: ['00:00-05:00', '00:30-05:00', '01:00-05:00', '01:30-05:00'] },
  { name: 'NY spring forward: window wholly inside the gap is empty', zone: 'America/New_York', date: '2026-03-08',
    windows: [['02:00', '02:45']], durationMin: 15, intervalMin: 15,
    want: [] },
  { name: 'NY day before spring forward: 24:00 end, last slot of the day', zone: 'America/New_York', date: '2026-03-07',
    windows: [['22:00', '24:00']], durationMin: 60, intervalMin: 60,
    want: ['22:00-05:00', '23:00-05:00'] },
  // America/New_York 2026-11-01: 02:00 EDT → 01:00 EST (01:xx happens twice).
  { name: 'NY fall back: 00:00-03:00 lasts 4 real hours, both 01:00 offered', zone: 'America/New_York', date: '2026-11-01',
    windows: [['00:00', '03:00']], durationMin: 60, intervalMin: 60,
    want: ['00:00-04:00', '01:00-04:00', '01:00-05:00', '02:00-05:00'] },
  { name: 'NY fall back: repeated start uses the earlier instant', zone: 'America/New_York', date: '2026-11-01',
    windows: [['01:30', '03:00']], durationMin: 30, intervalMin: 30,
    want: ['01:30-04:00', '01:00-05:00', '01:30-05:00', '02:00-05:00', '02:30-05:00'] },
  { name: 'NY fall back: repeated end uses the later instant', zone: 'America/New_York', date: '2026-11-01',
    windows: [['00:00', '01:30']], durationMin: 30, intervalMin: 30,
    want: ['00:00-04:00', '00:30-04:00', '01:00-04:00', '01:30-04:00', '01:00-05:00'] },
  { name: 'NY fall back: interval 20 != duration 45 in a 2-real-hour window', zone: 'America/New_York', date: '2026-11-01',
    windows: [['01:00', '02:00']], durationMin: 45, intervalMin: 20,
    want: ['01:00-04:00', '01:20-04:00', '01:40-04:00', '01:00-05:00'] },
  { name: 'NY fall back: 7-minute duration on a 7-minute grid crosses the repeat', zone: 'America/New_York', date: '2026-11-01',
    windows: [['01:00', '02:00']], durationMin: 7, intervalMin: 7,
    want: [
      '01:00-04:00', '01:07-04:00', '01:14-04:00', '01:21-04:00', '01:28-04:00', '01:35-04:00', '01:42-04:00',
      '01:49-04:00', '01:56-04:00', '01:03-05:00', '01:10-05:00', '01:17-05:00', '01:24-05:00', '01:31-05:00',
      '01:38-05:00', '01:45-05:00', '01:52-05:00',
    ] },
  { name: 'NY fall back: 24:00 end is the next midnight (EST)', zone: 'America/New_York', date: '2026-11-01',
    windows: [['22:00', '24:00']], durationMin: 60, intervalMin: 60,
    want: ['22:00-05:00', '23:00-05:00'] },
  // Europe/London 2026-03-29: 01:00 GMT → 02:00 BST; 2026-10-25: 02:00 BST → 01:00 GMT.
  { name: 'London spring forward: 01:xx never offered', zone: 'Europe/London', date: '2026-03-29',
    windows: [['00:00', '03:00']], durationMin: 60, intervalMin: 60,
    want: ['00:00+00:00', '02:00+01:00'] },
  { name: 'London spring forward: start in gap maps to 02:00 BST', zone: 'Europe/London', date: '2026-03-29',
    windows: [['01:30', '03:00']], durationMin: 30, intervalMin: 30,
    want: ['02:00+01:00', '02:30+01:00'] },
  { name: 'London fall back: 01:00-02:00 lasts 2 real hours', zone: 'Europe/London', date: '2026-10-25',
    windows: [['01:00', '02:00']], durationMin: 30, intervalMin: 30,
    want: ['01:00+01:00', '01:30+01:00', '01:00+00:00', '01:30+00:00'] },
  // Australia/Lord_Howe: 30-minute shifts. 2026-04-05: 02:00 (+11:00) → 01:30 (+10:30);
  // 2026-10-04: 02:00 (+10:30) → 02:30 (+11:00).
  { name: 'Lord Howe back: 01:30-02:00 repeated, window lasts 2.5 h', zone: 'Australia/Lord_Howe', date: '2026-04-05',
    windows: [['01:00', '03:00']], durationMin: 30, intervalMin: 30,
    want: ['01:00+11:00', '01:30+11:00', '01:30+10:30', '02:00+10:30', '02:30+10:30'] },
  { name: 'Lord Howe forward: 02:00-02:30 missing, window lasts 2.5 h', zone: 'Australia/Lord_Howe', date: '2026-10-04',
    windows: [['01:00', '04:00']], durationMin: 30, intervalMin: 30,
    want: ['01:00+10:30', '01:30+10:30', '02:30+11:00', '03:00+11:00', '03:30+11:00'] },
  { name: 'Lord Howe forward: 60-minute slots skip across the gap on a 60-minute grid', zone: 'Australia/Lord_Howe', date: '2026-10-04',
    windows: [['01:00', '04:00']], durationMin: 60, intervalMin: 60,
    want: ['01:00+10:30', '02:30+11:00'] },
  // America/Havana: 2026-03-08 00:00 CST → 01:00 CDT (midnight missing);
  // 2026-11-01 01:00 CDT → 00:00 CST (00:xx repeated).
  { name: 'Havana: midnight in the gap, 00:00 start maps to 01:00 CDT', zone: 'America/Havana', date: '2026-03-08',
    windows: [['00:00', '03:00']], durationMin: 60, intervalMin: 60,
    want: ['01:00-04:00', '02:00-04:00'] },
  { name: 'Havana: 24:00 end before a missing midnight is the transition', zone: 'America/Havana', date: '2026-03-07',
    windows: [['22:00', '24:00']], durationMin: 60, intervalMin: 60,
    want: ['22:00-05:00', '23:00-05:00'] },
  { name: 'Havana: repeated midnight hour, 00:00-02:00 lasts 3 real hours', zone: 'America/Havana', date: '2026-11-01',
    windows: [['00:00', '02:00']], durationMin: 60, intervalMin: 60,
    want: ['00:00-04:00', '00:00-05:00', '01:00-05:00'] },
  // America/Santiago 2026-04-04: 24:00 (-03:00) → 23:00 (-04:00), 23:xx repeated.
  { name: 'Santiago: 24:00 end after a repeated last hour lasts 3 real hours', zone: 'America/Santiago', date: '2026-04-04',
    windows: [['22:00', '24:00']], durationMin: 30, intervalMin: 30,
    want: ['22:00-03:00', '22:30-03:00', '23:00-03:00', '23:30-03:00', '23:00-04:00', '23:30-04:00'] },
  // Asia/Kolkata: +05:30 all year.
  { name: 'Kolkata: half-hour offset, 09:30 stays 09:30', zone: 'Asia/Kolkata', date: '2026-03-08',
    windows: [['09:30', '11:00']], durationMin: 30, intervalMin: 30,
    want: ['09:30+05:30', '10:00+05:30', '10:30+05:30'] },
  { name: 'Kolkata: 7-minute duration, 7-minute interval', zone: 'Asia/Kolkata', date: '2026-06-15',
    windows: [['09:00', '09:30']], durationMin: 7, intervalMin: 7,
    want: ['09:00+05:30', '09:07+05:30', '09:14+05:30', '09:21+05:30'] },
  { name: 'Kolkata: interval 15 != duration 60, last slot ends at window end', zone: 'Asia/Kolkata', date: '2026-06-15',
    windows: [['09:00', '10:30']], durationMin: 60, intervalMin: 15,
    want: ['09:00+05:30', '09:15+05:30', '09:30+05:30'] },
  { name: 'Kolkata: two windows and a 24:00 end', zone: 'Asia/Kolkata', date: '2026-06-15',
    windows: [['09:00', '10:00'], ['22:30', '24:00']], durationMin: 45, intervalMin: 45,
    want: ['09:00+05:30', '22:30+05:30', '23:15+05:30'] },
];

/** Local 'HH:MM±HH:MM' of an instant, rendered by Temporal (not by the engine). */
function label(instantMs: number, zone: string): string {
  const z = Temporal.Instant.fromEpochMilliseconds(instantMs).toZonedDateTimeISO(zone);
  return `${String(z.hour).padStart(2, '0')}:${String(z.minute).padStart(2, '0')}${z.offset}`;
}

function queryFor(row: Row): SlotQuery {
  const date = Temporal.PlainDate.from(row.date);
  const weekday = date.dayOfWeek as Weekday;
  // Windows only on the row's weekday; a 5-day range around it holds one such date.
  const utcMidnight = Date.UTC(date.year, date.month - 1, date.day);
  return {
    service: {
      durationMin: row.durationMin, intervalMin: row.intervalMin, bufferBeforeMin: 0, bufferAfterMin: 0,
      minNoticeMin: 0, horizonDays: 400, maxPerDay: null,
    },
    resources: [{
      resourceId: 'r1', timeZone: row.zone, overrides: [], bookings: [], busy: [],
      weekly: row.windows.map(([start, end]) => ({ weekday, start, end })),
    }],
    holidays: [],
    range: { start: utcMidnight - 2 * 86_400_000, end: utcMidnight + 3 * 86_400_000 },
    now: Date.UTC(2026, 0, 1),
  };
}

describe('DST and offset handling', () => {
  it.each(rows)('$name', (row) => {
    const slots = computeSlots(queryFor(row));
    expect(slots.map((s) => label(s.start, row.zone))).toEqual(row.want);
    for (const s of slots) {
      expect(s.end - s.start).toBe(row.durationMin * 60_000);
      expect(Temporal.Instant.fromEpochMilliseconds(s.start).toZonedDateTimeISO(row.zone).toPlainDate().toString()).toBe(row.date);
    }
  });

  it('overrides convert like weekly windows on a DST day', () => {
    const row = rows[0]!;
    const q = queryFor(row);
    const r = q.resources[0]!;
    r.weekly = [];
    r.overrides = [{ date: row.date, windows: [{ start: '01:00', end: '04:00' }] }];
    expect(computeSlots(q).map((s) => label(s.start, row.zone))).toEqual(row.want);
  });
});
