import { describe, expect, it } from 'vitest';
import {
  canonicalTimeZone,
  isValidISODate,
  isValidTimeZone,
  parseHHMM,
  validateServiceRules,
  validateWindows,
  type ServiceRules,
  type WindowInput,
} from '../../../src/scheduling/index.ts';

describe('parseHHMM', () => {
  it.each([
    ['00:00', 0], ['09:30', 570], ['23:59', 1439], ['24:00', 1440],
    ['24:01', null], ['9:30', null], ['12:60', null], ['25:00', null], [' 09:00', null], ['0930', null], ['', null],
  ])('%s → %s', (input, want) => {
    expect(parseHHMM(input)).toBe(want);
  });
});

describe('time zones', () => {
  it.each([
    ['America/New_York', true], ['Asia/Kolkata', true], ['UTC', true], ['Australia/Lord_Howe', true],
    ['america/new_york', true], ['Mars/Olympus_Mons', false], ['', false], ['+05:00', false], [' UTC', false],
  ])('isValidTimeZone(%j) = %s', (zone, want) => {
    expect(isValidTimeZone(zone)).toBe(want);
  });

  it('canonicalTimeZone fixes the spelling', () => {
    expect(canonicalTimeZone('america/new_york')).toBe('America/New_York');
    expect(canonicalTimeZone('Nowhere/Atlantis')).toBeNull();
  });
});

describe('isValidISODate', () => {
  it.each([
    ['2026-03-08', true], ['2024-02-29', true], ['2026-02-29', false], ['2026-13-01', false],
    ['2026-04-31', false], ['2026-3-8', false], ['2026-03-08T00:00', false],
  ])('%s → %s', (input, want) => {
    expect(isValidISODate(input)).toBe(want);
  });
});

describe('validateWindows', () => {
  const rows: { name: string; windows: WindowInput[]; want: string[] }[] = [
    { name: 'valid, touching windows', want: [], windows: [{ start: '09:00', end: '12:00' }, { start: '12:00', end: '17:00' }] },
    { name: 'same hours on different weekdays', want: [], windows: [{ weekday: 1, start: '09:00', end: '12:00' }, { weekday: 2, start: '09:00', end: '12:00' }] },
    { name: '24:00 as an end', want: [], windows: [{ start: '18:00', end: '24:00' }] },
    { name: 'start after end', windows: [{ start: '17:00', end: '09:00' }], want: ['Window 1 (17:00-09:00): start must be before end'] },
    { name: 'empty window', windows: [{ start: '09:00', end: '09:00' }], want: ['Window 1 (09:00-09:00): start must be before end'] },
    { name: '24:00 as a start', windows: [{ start: '24:00', end: '24:00' }], want: ['Window 1 (24:00-24:00): start must be before end'] },
    { name: 'malformed time', windows: [{ start: '9am', end: '10:00' }], want: ['Window 1 (9am-10:00): times must be HH:MM between 00:00 and 24:00'] },
    { name: 'bad weekday', windows: [{ weekday: 8 as never, start: '09:00', end: '10:00' }], want: ['Window 1 (weekday 8 09:00-10:00): weekday must be 1 (Monday) to 7 (Sunday)'] },
    {
      name: 'overlap on the same weekday, named by position',
      windows: [{ weekday: 3, start: '13:00', end: '17:00' }, { weekday: 1, start: '13:00', end: '14:00' }, { weekday: 3, start: '09:00', end: '13:30' }],
      want: ['Window 3 (Wednesday 09:00-13:30) overlaps Window 1 (Wednesday 13:00-17:00)'],
    },
  ];
  it.each(rows)('$name', ({ windows, want }) => {
    expect(validateWindows(windows)).toEqual(want);
  });
});

describe('validateServiceRules', () => {
  const ok: ServiceRules = { durationMin: 30, intervalMin: 15, bufferBeforeMin: 0, bufferAfterMin: 5, minNoticeMin: 60, horizonDays: 30, maxPerDay: null };
  it.each<[string, Partial<ServiceRules>, string[]]>([
    ['valid', {}, []],
    ['zero duration', { durationMin: 0 }, ['durationMin must be a whole number above 0']],
    ['fractional interval', { intervalMin: 7.5 }, ['intervalMin must be a whole number above 0']],
    ['negative buffer', { bufferBeforeMin: -5 }, ['bufferBeforeMin must be a whole number, 0 or more']],
    ['negative maxPerDay', { maxPerDay: -1 }, ['maxPerDay must be empty or a whole number, 0 or more']],
  ])('%s', (_name, patch, want) => {
    expect(validateServiceRules({ ...ok, ...patch })).toEqual(want);
  });
});
