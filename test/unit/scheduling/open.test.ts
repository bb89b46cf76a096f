/**
 * openIntervals: a resource's open time as instants, by the engine's rules.
 * Expected instants are worked out by hand from the zones' rules.
 */
import { describe, expect, it } from 'vitest';
import { mergeIntervals, openIntervals, type WeeklyWindow } from '../../../src/scheduling/index.ts';

const at = (iso: string) => Date.parse(iso);
const iso = (ms: number) => new Date(ms).toISOString().replace('.000Z', 'Z');
const show = (list: { start: number; end: number }[]) => list.map((i) => `${iso(i.start)}/${iso(i.end)}`);
const everyDay = (start: string, end: string): WeeklyWindow[] => ([1, 2, 3, 4, 5, 6, 7] as const).map((weekday) => ({ weekday, start, end }));

describe('openIntervals', () => {
  it('gives 01:00-04:00 New York on the spring-forward day its two real hours, the gap never open', () => {
    const r = { timeZone: 'America/New_York', weekly: everyDay('01:00', '04:00'), overrides: [] };
    const got = openIntervals(r, [], { start: at('2026-03-08T00:00:00Z'), end: at('2026-03-09T00:00:00Z') });
    // 01:00 EST = 06:00Z; 04:00 EDT = 08:00Z.
    expect(show(got)).toEqual(['2026-03-08T06:00:00Z/2026-03-08T08:00:00Z']);
  });

  it('gives 00:00-03:00 New York on the fall-back day its four real hours', () => {
    const r = { timeZone: 'America/New_York', weekly: everyDay('00:00', '03:00'), overrides: [] };
    const got = openIntervals(r, [], { start: at('2026-11-01T00:00:00Z'), end: at('2026-11-02T00:00:00Z') });
    // 00:00 EDT = 04:00Z; 03:00 EST = 08:00Z.
    expect(show(got)).toEqual(['2026-11-01T04:00:00Z/2026-11-01T08:00:00Z']);
  });

  it('keeps the lunch gap between two windows, closes holidays, and lets an override replace the weekly hours', () => {
    const weekly: WeeklyWindow[] = [{ weekday: 1, start: '09:00', end: '12:00' }, { weekday: 1, start: '13:00', end: '17:00' }];
    const r = { timeZone: 'Europe/London', weekly, overrides: [{ date: '2026-06-15', windows: [{ start: '10:00', end: '11:00' }] }] };
    const mondays = { start: at('2026-06-07T23:00:00Z'), end: at('2026-06-29T23:00:00Z') };
    const got = openIntervals(r, [{ start: '2026-06-22', end: '2026-06-22' }], mondays);
    expect(show(got)).toEqual([
      '2026-06-08T08:00:00Z/2026-06-08T11:00:00Z', '2026-06-08T12:00:00Z/2026-06-08T16:00:00Z', // BST
      '2026-06-15T09:00:00Z/2026-06-15T10:00:00Z', // the override
      '2026-06-29T08:00:00Z/2026-06-29T11:00:00Z', '2026-06-29T12:00:00Z/2026-06-29T16:00:00Z', // 22nd: holiday
    ]);
  });

  it('clips to the range and merges a window that runs on at midnight into the next day', () => {
    const r = { timeZone: 'UTC', weekly: everyDay('00:00', '24:00'), overrides: [] };
    const got = openIntervals(r, [], { start: at('2026-01-01T12:00:00Z'), end: at('2026-01-03T06:00:00Z') });
    expect(show(got)).toEqual(['2026-01-01T12:00:00Z/2026-01-03T06:00:00Z']);
    expect(openIntervals(r, [], { start: at('2026-01-02T00:00:00Z'), end: at('2026-01-02T00:00:00Z') })).toEqual([]);
  });
});

describe('mergeIntervals', () => {
  it('sorts, merges overlapping and touching intervals, and keeps gaps', () => {
    expect(mergeIntervals([{ start: 5, end: 7 }, { start: 1, end: 3 }, { start: 3, end: 4 }, { start: 6, end: 9 }])).toEqual([
      { start: 1, end: 4 }, { start: 5, end: 9 },
    ]);
  });
});
