/**
 * Property tests over random zones, windows, services, bookings and busy
 * blocks. A naive oracle below re-derives every window boundary with Temporal
 * (its own gap/overlap handling, one conversion per boundary, every day) and
 * checks each rule by linear scan; the engine must match it exactly.
 */
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { Temporal } from 'temporal-polyfill';
import {
  computeSlots,
  explainSlot,
  type DateOverride,
  type Interval,
  type ResourceSchedule,
  type ServiceRules,
  type Slot,
  type SlotQuery,
  type WallWindow,
  type WeeklyWindow,
  type Weekday,
} from '../../../src/scheduling/index.ts';
import { formatISODate, isoWeekday, parseISODate } from '../../../src/scheduling/calendar.ts';

const MIN = 60_000;
const DAY = 86_400_000;
const ZONES = [
  'America/New_York', 'Europe/London', 'Australia/Lord_Howe', 'Asia/Kolkata',
  'Europe/Berlin', 'America/Los_Angeles', 'Pacific/Chatham', 'UTC',
  'America/Havana', 'America/Santiago', // transitions at local midnight
];

/** Local dates of each zone's 2026 transitions, to aim many runs at DST days. */
const TRANSITION_DATES: Record<string, string[]> = Object.fromEntries(ZONES.map((zone) => {
  const dates: string[] = [];
  let z: Temporal.ZonedDateTime | null = Temporal.ZonedDateTime.from({ year: 2026, month: 1, day: 1, timeZone: zone });
  while ((z = z.getTimeZoneTransition('next')) !== null && z.year === 2026) dates.push(z.toPlainDate().toString());
  return [zone, dates.length > 0 ? dates : ['2026-03-08']];
}));

// ---------- oracle ----------

function boundary(zone: string, date: Temporal.PlainDate, hhmm: string, edge: 'start' | 'end'): number {
  if (hhmm === '24:00') return date.add({ days: 1 }).toZonedDateTime(zone).epochMilliseconds;
  const wall = date.toPlainDateTime(Temporal.PlainTime.from(hhmm));
  try {
    return wall.toZonedDateTime(zone, { disambiguation: 'reject' }).epochMilliseconds;
  } catch {
    const earlier = wall.toZonedDateTime(zone, { disambiguation: 'earlier' });
    const later = wall.toZonedDateTime(zone, { disambiguation: 'later' });
    if (earlier.toPlainDateTime().equals(wall) && later.toPlainDateTime().equals(wall)) {
      return (edge === 'start' ? earlier : later).epochMilliseconds; // repeated hour
    }
    // Gap: 'later' is at or after the transition (exactly on it when the wall
    // time is the gap's first minute); the first instant after the gap is the
    // last transition at or before it.
    return later.add({ nanoseconds: 1 }).getTimeZoneTransition('previous')!.epochMilliseconds;
  }
}

const dateOf = (ms: number, zone: string) => Temporal.Instant.fromEpochMilliseconds(ms).toZonedDateTimeISO(zone).toPlainDate();

function oracleWindows(q: SlotQuery, r: ResourceSchedule, date: Temporal.PlainDate): Interval[] {
  const iso = date.toString();
  if (q.holidays.some((h) => h.start <= iso && iso <= h.end)) return [];
  const override = r.overrides.filter((o) => o.date === iso).at(-1);
  const walls: WallWindow[] = override ? override.windows : r.weekly.filter((w) => w.weekday === date.dayOfWeek);
  return walls.map((w) => ({ start: boundary(r.timeZone, date, w.start, 'start'), end: boundary(r.timeZone, date, w.end, 'end') }));
}

function oracleResource(q: SlotQuery, r: ResourceSchedule): Slot[] {
  const s = q.service;
  const out: Slot[] = [];
  const nowDate = dateOf(q.now, r.timeZone);
  const blocked = [...r.bookings.map((b) => b.blocked), ...r.busy];
  for (let d = dateOf(q.range.start, r.timeZone).subtract({ days: 1 }); Temporal.PlainDate.compare(d, dateOf(q.range.end, r.timeZone).add({ days: 1 })) <= 0; d = d.add({ days: 1 })) {
    if (Temporal.PlainDate.compare(d, nowDate.add({ days: s.horizonDays })) > 0) continue;
    if (s.maxPerDay !== null && r.bookings.filter((b) => dateOf(b.start, r.timeZone).equals(d)).length >= s.maxPerDay) continue;
    for (const w of oracleWindows(q, r, d)) {
      for (let t = w.start; t + s.durationMin * MIN <= w.end; t += s.intervalMin * MIN) {
        const from = t - s.bufferBeforeMin * MIN;
        const to = t + (s.durationMin + s.bufferAfterMin) * MIN;
        if (t < q.now || t < q.now + s.minNoticeMin * MIN || t < q.range.start || t >= q.range.end) continue;
        if (blocked.some((b) => from < b.end && b.start < to)) continue;
        out.push({ start: t, end: t + s.durationMin * MIN, resourceId: r.resourceId });
      }
    }
  }
  return out;
}

function oracle(q: SlotQuery): Slot[] {
  const all = q.resources.flatMap((r) => oracleResource(q, r));
  const seen = new Set<string>();
  return all
    .filter((x) => !seen.has(`${x.start}|${x.resourceId}`) && seen.add(`${x.start}|${x.resourceId}`))
    .sort((a, b) => a.start - b.start || (a.resourceId < b.resourceId ? -1 : 1));
}

// ---------- generators ----------

const hhmm = (m: number) => (m === 1440 ? '24:00' : `${String(Math.floor(m / 60)).padStart(2, '0')}:${String(m % 60).padStart(2, '0')}`);

/** Wall windows in 5-minute steps, often in the small hours where DST happens. */
const wallWindow = fc
  .oneof(
    fc.tuple(fc.integer({ min: 0, max: 287 }), fc.integer({ min: 1, max: 288 })),
    fc.tuple(fc.integer({ min: 0, max: 59 }), fc.integer({ min: 1, max: 60 })),
  )
  .filter(([a, b]) => a !== b)
  .map(([a, b]): WallWindow => ({ start: hhmm(Math.min(a, b) * 5), end: hhmm(Math.max(a, b) * 5) }));

const service: fc.Arbitrary<ServiceRules> = fc.record({
  durationMin: fc.oneof(fc.integer({ min: 1, max: 45 }), fc.integer({ min: 1, max: 120 })),
  intervalMin: fc.oneof(fc.integer({ min: 1, max: 30 }), fc.integer({ min: 1, max: 90 })),
  bufferBeforeMin: fc.integer({ min: 0, max: 30 }),
  bufferAfterMin: fc.integer({ min: 0, max: 30 }),
  minNoticeMin: fc.oneof(fc.constant(0), fc.integer({ min: 0, max: 600 })),
  horizonDays: fc.oneof(fc.integer({ min: 0, max: 3 }), fc.constant(30)),
  maxPerDay: fc.option(fc.integer({ min: 0, max: 3 }), { freq: 2 }),
});

function resourceArb(id: string, zone: string, baseDay: number, baseMs: number): fc.Arbitrary<ResourceSchedule> {
  const nearMs = fc.integer({ min: -1440, max: 5 * 1440 }).map((m) => baseMs + m * MIN);
  const interval = fc.tuple(nearMs, fc.integer({ min: 1, max: 180 })).map(([s, len]) => ({ start: s, end: s + len * MIN }));
  // 0-2 windows for each weekday.
  const weekly = fc
    .array(fc.array(wallWindow, { maxLength: 2 }), { minLength: 7, maxLength: 7 })
    .map((days) => days.flatMap((ws, i) => ws.map((w): WeeklyWindow => ({ ...w, weekday: (i + 1) as Weekday }))));
  const override = fc.record({
    date: fc.integer({ min: -1, max: 3 }).map((o) => formatISODate(baseDay + o)),
    windows: fc.array(wallWindow, { maxLength: 2 }),
  });
  const booking = fc
    .tuple(nearMs, fc.integer({ min: 0, max: 30 }), fc.integer({ min: 5, max: 120 }))
    .map(([s, before, len]) => ({ start: s, blocked: { start: s - before * MIN, end: s + len * MIN } }));
  return fc.record({
    resourceId: fc.constant(id),
    // Mostly the zone whose transition date was picked, sometimes another.
    timeZone: fc.oneof({ arbitrary: fc.constant(zone), weight: 3 }, { arbitrary: fc.constantFrom(...ZONES), weight: 1 }),
    weekly,
    overrides: fc.array(override, { maxLength: 2 }) as fc.Arbitrary<DateOverride[]>,
    bookings: fc.array(booking, { maxLength: 5 }),
    busy: fc.array(interval, { maxLength: 3 }),
  });
}

/** A query around a date that is often a DST transition date of the main zone. */
const query: fc.Arbitrary<SlotQuery> = fc
  .constantFrom(...ZONES)
  .chain((zone) => fc.tuple(
    fc.constant(zone),
    fc.oneof(
      { arbitrary: fc.constantFrom(...TRANSITION_DATES[zone]!), weight: 2 },
      { arbitrary: fc.integer({ min: 0, max: 364 }).map((o) => formatISODate(parseISODate('2026-01-01')! + o)), weight: 1 },
    ),
  ))
  .chain(([zone, date]) => {
    const baseDay = parseISODate(date)!;
    const baseMs = baseDay * DAY;
    const resources = fc
      .integer({ min: 1, max: 3 })
      .chain((n) => fc.tuple(...Array.from({ length: n }, (_, i) => resourceArb(`r${i}`, zone, baseDay, baseMs))));
    const holiday = fc
      .tuple(fc.integer({ min: -1, max: 3 }), fc.integer({ min: 0, max: 1 }))
      .map(([o, len]) => ({ start: formatISODate(baseDay + o), end: formatISODate(baseDay + o + len) }));
    return fc.record({
      service,
      resources,
      holidays: fc.array(holiday, { maxLength: 1 }),
      range: fc
        .tuple(fc.integer({ min: -1440, max: 1440 }), fc.oneof(
          { arbitrary: fc.integer({ min: 1, max: 600 }), weight: 1 },
          { arbitrary: fc.integer({ min: 1440, max: 4 * 1440 }), weight: 3 },
        ))
        .map(([s, len]) => ({ start: baseMs + s * MIN, end: baseMs + (s + len) * MIN })),
      now: fc.integer({ min: -3 * 1440, max: 720 }).map((m) => baseMs + m * MIN),
    });
  });

const RUNS = { numRuns: 150 };

// ---------- properties ----------

describe('computeSlots properties', () => {
  it('matches the naive Temporal oracle exactly', () => {
    fc.assert(fc.property(query, (q) => {
      expect(computeSlots(q)).toEqual(oracle(q));
    }), RUNS);
  });

  it('every slot lies whole inside a window of its resource (windows re-derived independently)', () => {
    fc.assert(fc.property(query, (q) => {
      for (const slot of computeSlots(q)) {
        const r = q.resources.find((x) => x.resourceId === slot.resourceId)!;
        const date = dateOf(slot.start, r.timeZone);
        const windows = oracleWindows(q, r, date);
        expect(windows.some((w) => w.start <= slot.start && slot.end <= w.end)).toBe(true);
        expect(slot.end - slot.start).toBe(q.service.durationMin * MIN);
      }
    }), RUNS);
  });

  it('no blocked range overlaps a booking or busy block; notice respected; sorted and unique', () => {
    fc.assert(fc.property(query, (q) => {
      const slots = computeSlots(q);
      const s = q.service;
      for (const [i, slot] of slots.entries()) {
        const r = q.resources.find((x) => x.resourceId === slot.resourceId)!;
        const from = slot.start - s.bufferBeforeMin * MIN;
        const to = slot.end + s.bufferAfterMin * MIN;
        for (const b of [...r.busy, ...r.bookings.map((x) => x.blocked)]) expect(from < b.end && b.start < to).toBe(false);
        expect(slot.start).toBeGreaterThanOrEqual(Math.max(q.now, q.now + s.minNoticeMin * MIN));
        expect(slot.start >= q.range.start && slot.start < q.range.end).toBe(true);
        const prev = slots[i - 1];
        if (prev) expect(prev.start < slot.start || (prev.start === slot.start && prev.resourceId < slot.resourceId)).toBe(true);
      }
    }), RUNS);
  });

  it('explainSlot agrees with computeSlots (ok ⇔ listed) on listed slots, grid starts and random instants', () => {
    const probe = fc.tuple(query, fc.array(fc.integer({ min: 0, max: 4 * 1440 }), { maxLength: 10 }));
    fc.assert(fc.property(probe, ([q, offsets]) => {
      const listed = new Set(computeSlots(q).map((x) => `${x.resourceId}|${x.start}`));
      for (const r of q.resources) {
        // Every grid start of every window of the nearby days, plus random minutes.
        const candidates = offsets.map((m) => q.range.start + m * MIN);
        for (let d = dateOf(q.range.start, r.timeZone).subtract({ days: 1 }), i = 0; i < 7; i++, d = d.add({ days: 1 })) {
          for (const w of oracleWindows(q, r, d)) {
            for (let t = w.start; t < w.end; t += q.service.intervalMin * MIN) candidates.push(t);
          }
        }
        for (const t of candidates) {
          if (t < q.range.start || t >= q.range.end) continue;
          expect(explainSlot(q, r.resourceId, t).ok, `${r.resourceId} ${new Date(t).toISOString()}`).toBe(listed.has(`${r.resourceId}|${t}`));
        }
      }
    }), { numRuns: 100 });
  });
});

describe('calendar arithmetic', () => {
  it('epoch days round-trip and match Temporal dates and weekdays', () => {
    const epoch = Temporal.PlainDate.from('1970-01-01');
    fc.assert(fc.property(fc.integer({ min: -700_000, max: 2_900_000 }), (day) => {
      const date = epoch.add({ days: day });
      expect(formatISODate(day)).toBe(date.toString());
      expect(isoWeekday(day)).toBe(date.dayOfWeek);
      expect(parseISODate(date.toString())).toBe(day);
    }), { numRuns: 500 });
  });
});
