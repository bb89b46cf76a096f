/**
 * Booking rules, table-driven. Base: resource r1 in UTC, Mon–Fri 09:00–12:00,
 * 60-minute service on a 60-minute grid, queried for Monday 2026-06-01.
 * Expected values are written by hand as local wall-clock strings.
 */
import { describe, expect, it } from 'vitest';
import { Temporal } from 'temporal-polyfill';
import {
  computeAnyResourceSlots,
  computeSlots,
  explainSlot,
  mergeAnyResource,
  type RejectReason,
  type ResourceSchedule,
  type SlotQuery,
} from '../../../src/scheduling/index.ts';

const MIN = 60_000;

/** Instant of a wall-clock time 'YYYY-MM-DDTHH:MM' in a zone (UTC by default). */
function at(wall: string, zone = 'UTC'): number {
  return Temporal.PlainDateTime.from(wall).toZonedDateTime(zone).epochMilliseconds;
}

function wallOf(instantMs: number, zone: string): string {
  return Temporal.Instant.fromEpochMilliseconds(instantMs).toZonedDateTimeISO(zone).toPlainDateTime().toString({ smallestUnit: 'minute' });
}

function resource(id: string, zone = 'UTC'): ResourceSchedule {
  const weekly = ([1, 2, 3, 4, 5] as const).map((weekday) => ({ weekday, start: '09:00', end: '12:00' }));
  return { resourceId: id, timeZone: zone, weekly, overrides: [], bookings: [], busy: [] };
}

function baseQuery(): SlotQuery {
  return {
    service: { durationMin: 60, intervalMin: 60, bufferBeforeMin: 0, bufferAfterMin: 0, minNoticeMin: 0, horizonDays: 30, maxPerDay: null },
    resources: [resource('r1')],
    holidays: [],
    range: { start: at('2026-06-01T00:00'), end: at('2026-06-02T00:00') },
    now: at('2026-05-31T00:00'),
  };
}

function r1(q: SlotQuery): ResourceSchedule {
  return q.resources[0]!;
}

function booking(startWall: string, blockedFrom: string, blockedTo: string, zone = 'UTC') {
  return { start: at(startWall, zone), blocked: { start: at(blockedFrom, zone), end: at(blockedTo, zone) } };
}

interface Row {
  name: string;
  setup: (q: SlotQuery) => void;
  /** Local starts of r1's slots, 'YYYY-MM-DDTHH:MM' in r1's zone. */
  want: string[];
}

const MON = ['2026-06-01T09:00', '2026-06-01T10:00', '2026-06-01T11:00'];

const rows: Row[] = [
  { name: 'base: three hourly slots', setup: () => {}, want: MON },
  { name: 'buffer before touching a busy block is allowed', want: MON, setup: (q) => {
    q.service.bufferBeforeMin = 15;
    r1(q).busy.push({ start: at('2026-06-01T08:00'), end: at('2026-06-01T08:45') });
  } },
  { name: 'buffer before overlapping a busy block by one minute is not', want: MON.slice(1), setup: (q) => {
    q.service.bufferBeforeMin = 15;
    r1(q).busy.push({ start: at('2026-06-01T08:00'), end: at('2026-06-01T08:46') });
  } },
  { name: 'buffer after: touching allowed, overlap not', want: ['2026-06-01T09:00', '2026-06-01T11:00'], setup: (q) => {
    q.service.bufferAfterMin = 30;
    r1(q).busy.push({ start: at('2026-06-01T10:30'), end: at('2026-06-01T11:00') });
  } },
  { name: 'buffers may lie outside the window', want: MON, setup: (q) => {
    q.service.bufferBeforeMin = 60;
    q.service.bufferAfterMin = 60;
  } },
  { name: 'busy block touching both neighbours only removes its own hour', want: ['2026-06-01T09:00', '2026-06-01T11:00'], setup: (q) => {
    r1(q).busy.push({ start: at('2026-06-01T10:00'), end: at('2026-06-01T11:00') });
  } },
  { name: "existing booking blocks by its blocked range (its own buffers), not its start", want: ['2026-06-01T11:00'], setup: (q) => {
    r1(q).bookings.push(booking('2026-06-01T10:00', '2026-06-01T09:50', '2026-06-01T11:00'));
  } },
  { name: 'empty busy interval blocks nothing', want: MON, setup: (q) => {
    r1(q).busy.push({ start: at('2026-06-01T10:30'), end: at('2026-06-01T10:30') });
  } },
  { name: 'min notice: earliest start now + 60 min', want: MON.slice(1), setup: (q) => {
    q.now = at('2026-06-01T08:30');
    q.service.minNoticeMin = 60;
  } },
  { name: 'min notice: exactly now + notice is allowed', want: MON, setup: (q) => {
    q.now = at('2026-06-01T08:00');
    q.service.minNoticeMin = 60;
  } },
  { name: 'never before now', want: MON.slice(1), setup: (q) => {
    q.now = at('2026-06-01T09:00') + 1;
  } },
  { name: 'horizon 1 day from Sunday: Monday only', want: MON, setup: (q) => {
    q.now = at('2026-05-31T12:00');
    q.service.horizonDays = 1;
    q.range.end = at('2026-06-04T00:00');
  } },
  { name: 'horizon 0 from Sunday: nothing on Monday', want: [], setup: (q) => {
    q.now = at('2026-05-31T12:00');
    q.service.horizonDays = 0;
  } },
  { name: 'horizon counts in the resource-local date of now (Kiritimati, +14)', setup: (q) => {
    q.resources = [resource('r1', 'Pacific/Kiritimati')];
    q.now = at('2026-06-01T00:00', 'Pacific/Kiritimati'); // still Sunday in UTC
    q.service.horizonDays = 0;
    q.range = { start: at('2026-06-01T00:00', 'Pacific/Kiritimati'), end: at('2026-06-03T00:00', 'Pacific/Kiritimati') };
  }, want: MON },
  { name: 'maxPerDay reached: day closed', want: [], setup: (q) => {
    q.service.maxPerDay = 2;
    r1(q).bookings.push(booking('2026-06-01T13:00', '2026-06-01T13:00', '2026-06-01T14:00'));
    r1(q).bookings.push(booking('2026-06-01T14:00', '2026-06-01T14:00', '2026-06-01T15:00'));
  } },
  { name: 'maxPerDay not reached', want: MON, setup: (q) => {
    q.service.maxPerDay = 3;
    r1(q).bookings.push(booking('2026-06-01T13:00', '2026-06-01T13:00', '2026-06-01T14:00'));
    r1(q).bookings.push(booking('2026-06-01T14:00', '2026-06-01T14:00', '2026-06-01T15:00'));
  } },
  { name: 'maxPerDay counts by resource-local date (23:00 EDT Monday is Tuesday in UTC)', setup: (q) => {
    q.resources = [resource('r1', 'America/New_York')];
    q.range = { start: at('2026-06-01T00:00', 'America/New_York'), end: at('2026-06-03T00:00', 'America/New_York') };
    q.service.maxPerDay = 1;
    r1(q).bookings.push(booking('2026-06-01T23:00', '2026-06-01T23:00', '2026-06-02T00:00', 'America/New_York'));
  }, want: ['2026-06-02T09:00', '2026-06-02T10:00', '2026-06-02T11:00'] },
  { name: 'maxPerDay 0 closes every day', want: [], setup: (q) => {
    q.service.maxPerDay = 0;
  } },
  { name: 'override with other hours replaces the weekly windows', want: ['2026-06-01T14:00', '2026-06-01T15:00'], setup: (q) => {
    r1(q).overrides.push({ date: '2026-06-01', windows: [{ start: '14:00', end: '16:00' }] });
  } },
  { name: 'override [] closes the date, the next date keeps its weekly hours', setup: (q) => {
    r1(q).overrides.push({ date: '2026-06-01', windows: [] });
    q.range.end = at('2026-06-03T00:00');
  }, want: ['2026-06-02T09:00', '2026-06-02T10:00', '2026-06-02T11:00'] },
  { name: 'override opens a weekend date', want: ['2026-06-06T10:00'], setup: (q) => {
    r1(q).overrides.push({ date: '2026-06-06', windows: [{ start: '10:00', end: '11:00' }] });
    q.range = { start: at('2026-06-06T00:00'), end: at('2026-06-08T00:00') };
  } },
  { name: 'holiday on a single date', setup: (q) => {
    q.holidays.push({ start: '2026-06-01', end: '2026-06-01' });
    q.range.end = at('2026-06-03T00:00');
  }, want: ['2026-06-02T09:00', '2026-06-02T10:00', '2026-06-02T11:00'] },
  { name: 'holiday range is inclusive and beats overrides', setup: (q) => {
    q.holidays.push({ start: '2026-06-01', end: '2026-06-02' });
    r1(q).overrides.push({ date: '2026-06-02', windows: [{ start: '14:00', end: '15:00' }] });
    q.range.end = at('2026-06-04T00:00');
  }, want: ['2026-06-03T09:00', '2026-06-03T10:00', '2026-06-03T11:00'] },
  { name: 'range clipping: start inside range, end exclusive', want: ['2026-06-01T10:00'], setup: (q) => {
    q.range = { start: at('2026-06-01T09:30'), end: at('2026-06-01T11:00') };
  } },
  { name: 'range clipping: a slot may end after range.end', want: ['2026-06-01T09:00', '2026-06-01T10:00'], setup: (q) => {
    q.range = { start: at('2026-06-01T09:00'), end: at('2026-06-01T10:30') };
  } },
  { name: 'fractional now is accepted', want: MON.slice(1), setup: (q) => {
    q.now = at('2026-06-01T09:00') + 0.5;
  } },
  { name: 'empty range', want: [], setup: (q) => {
    q.range = { start: at('2026-06-01T10:00'), end: at('2026-06-01T10:00') };
  } },
  { name: 'overlapping windows produce no duplicates', want: ['2026-06-01T09:00', '2026-06-01T10:00', '2026-06-01T11:00'], setup: (q) => {
    r1(q).overrides.push({ date: '2026-06-01', windows: [{ start: '09:00', end: '11:00' }, { start: '10:00', end: '12:00' }] });
  } },
];

describe('computeSlots rules', () => {
  it.each(rows)('$name', ({ setup, want }) => {
    const q = baseQuery();
    setup(q);
    const zone = r1(q).timeZone;
    expect(computeSlots(q).map((s) => wallOf(s.start, zone))).toEqual(want);
  });
});

describe('any-resource merge', () => {
  function twoResources(): SlotQuery {
    const q = baseQuery();
    const alpha = resource('alpha');
    alpha.busy.push({ start: at('2026-06-01T10:00'), end: at('2026-06-01T11:00') });
    q.resources = [resource('zeta'), alpha]; // preference order: zeta first
    return q;
  }

  it('computeSlots sorts by (start, resourceId)', () => {
    const ids = computeSlots(twoResources()).map((s) => `${wallOf(s.start, 'UTC').slice(11)} ${s.resourceId}`);
    expect(ids).toEqual(['09:00 alpha', '09:00 zeta', '10:00 zeta', '11:00 alpha', '11:00 zeta']);
  });

  it('lists resources in the input order, one entry per instant', () => {
    const merged = computeAnyResourceSlots(twoResources());
    expect(merged.map((m) => [wallOf(m.start, 'UTC').slice(11), m.resourceIds])).toEqual([
      ['09:00', ['zeta', 'alpha']],
      ['10:00', ['zeta']],
      ['11:00', ['zeta', 'alpha']],
    ]);
    expect(merged.every((m) => m.end - m.start === 60 * MIN)).toBe(true);
  });

  it('mergeAnyResource puts ids missing from the order last', () => {
    const t = at('2026-06-01T09:00');
    const slots = [{ start: t, end: t + MIN, resourceId: 'x' }, { start: t, end: t + MIN, resourceId: 'b' }, { start: t, end: t + MIN, resourceId: 'a' }];
    expect(mergeAnyResource(slots, ['b'])).toEqual([{ start: t, end: t + MIN, resourceIds: ['b', 'a', 'x'] }]);
  });
});

interface ExplainRow {
  name: string;
  setup?: (q: SlotQuery) => void;
  resourceId?: string;
  start: string;
  want: RejectReason | 'ok';
}

const explainRows: ExplainRow[] = [
  { name: 'ok', start: '2026-06-01T10:00', want: 'ok' },
  { name: 'unknown_resource', resourceId: 'nobody', start: '2026-06-01T10:00', want: 'unknown_resource' },
  { name: 'past', setup: (q) => { q.now = at('2026-06-01T10:30'); }, start: '2026-06-01T10:00', want: 'past' },
  { name: 'min_notice', setup: (q) => { q.now = at('2026-06-01T09:30'); q.service.minNoticeMin = 45; }, start: '2026-06-01T10:00', want: 'min_notice' },
  { name: 'beyond_horizon', setup: (q) => { q.service.horizonDays = 0; }, start: '2026-06-01T10:00', want: 'beyond_horizon' },
  { name: 'closed (holiday)', setup: (q) => { q.holidays.push({ start: '2026-05-30', end: '2026-06-02' }); }, start: '2026-06-01T10:00', want: 'closed' },
  { name: 'closed (no window that weekday)', start: '2026-06-06T10:00', want: 'closed' },
  { name: 'off_grid (between grid starts)', start: '2026-06-01T09:30', want: 'off_grid' },
  { name: 'off_grid (outside the day\'s windows)', start: '2026-06-01T14:00', want: 'off_grid' },
  { name: 'off_grid (does not fit before window end)', setup: (q) => { q.service.intervalMin = 30; }, start: '2026-06-01T11:30', want: 'off_grid' },
  { name: 'max_per_day', setup: (q) => { q.service.maxPerDay = 1; r1(q).bookings.push(booking('2026-06-01T15:00', '2026-06-01T15:00', '2026-06-01T16:00')); }, start: '2026-06-01T10:00', want: 'max_per_day' },
  { name: 'busy', setup: (q) => { r1(q).busy.push({ start: at('2026-06-01T10:59'), end: at('2026-06-01T12:00') }); }, start: '2026-06-01T10:00', want: 'busy' },
  { name: 'ok ignores query.range', setup: (q) => { q.range = { start: 0, end: 1 }; }, start: '2026-06-01T11:00', want: 'ok' },
];

describe('explainSlot', () => {
  it.each(explainRows)('$name', ({ setup, resourceId, start, want }) => {
    const q = baseQuery();
    setup?.(q);
    const got = explainSlot(q, resourceId ?? 'r1', at(start));
    expect(got).toEqual(want === 'ok' ? { ok: true } : { ok: false, reason: want });
  });
});

describe('malformed input', () => {
  it.each([
    ['zero duration', (q: SlotQuery) => { q.service.durationMin = 0; }],
    ['negative interval', (q: SlotQuery) => { q.service.intervalMin = -15; }],
    ['fractional notice', (q: SlotQuery) => { q.service.minNoticeMin = 1.5; }],
    ['bad HH:MM', (q: SlotQuery) => { r1(q).weekly.push({ weekday: 1, start: '9:00', end: '10:00' }); }],
    ['start after end', (q: SlotQuery) => { r1(q).weekly.push({ weekday: 1, start: '18:00', end: '17:00' }); }],
    ['unknown zone', (q: SlotQuery) => { r1(q).timeZone = 'Mars/Olympus_Mons'; }],
  ])('%s throws RangeError', (_name, setup) => {
    const q = baseQuery();
    setup(q);
    expect(() => computeSlots(q)).toThrow(RangeError);
  });
});
