import { describe, expect, it } from 'vitest';
import { dayInstantRange, formatInZone, formatInZoneWithName, localDate, wallTimeToInstant } from '../../../src/scheduling/index.ts';

const H = 3_600_000;

describe('localDate', () => {
  it.each([
    ['late evening in New York is the previous UTC date', Date.UTC(2026, 2, 8, 4, 30), 'America/New_York', '2026-03-07'],
    ['same instant in Kolkata', Date.UTC(2026, 2, 8, 4, 30), 'Asia/Kolkata', '2026-03-08'],
    ['Kiritimati (+14) is a day ahead of UTC evening', Date.UTC(2026, 5, 1, 11, 0), 'Pacific/Kiritimati', '2026-06-02'],
  ])('%s', (_name, instant, zone, want) => {
    expect(localDate(instant, zone)).toBe(want);
  });
});

describe('formatInZone', () => {
  it.each([
    ['winter afternoon in New York', Date.UTC(2026, 0, 15, 19, 0), 'America/New_York', 'en-US', '2:00 PM', '2:00 PM EST'],
    ['summer afternoon in New York', Date.UTC(2026, 6, 15, 18, 0), 'America/New_York', 'en-US', '2:00 PM', '2:00 PM EDT'],
    ['both 1:30 AM on fall-back day (EDT)', Date.UTC(2026, 10, 1, 5, 30), 'America/New_York', 'en-US', '1:30 AM', '1:30 AM EDT'],
    ['both 1:30 AM on fall-back day (EST)', Date.UTC(2026, 10, 1, 6, 30), 'America/New_York', 'en-US', '1:30 AM', '1:30 AM EST'],
    ['half-hour zone', Date.UTC(2026, 0, 15, 4, 0), 'Asia/Kolkata', 'en-US', '9:30 AM', '9:30 AM GMT+5:30'],
    ['24-hour locale', Date.UTC(2026, 0, 15, 19, 0), 'America/New_York', 'en-GB', '14:00', '14:00 GMT-5'],
  ])('%s', (_name, instant, zone, locale, want, wantWithName) => {
    expect(formatInZone(instant, zone, locale)).toBe(want);
    expect(formatInZoneWithName(instant, zone, locale)).toBe(wantWithName);
  });

  it('defaults to en-US', () => {
    expect(formatInZone(Date.UTC(2026, 0, 15, 19, 0), 'America/New_York')).toBe('2:00 PM');
  });
});

describe('dayInstantRange', () => {
  it.each([
    ['ordinary day, 24 h', '2026-06-15', 'America/New_York', Date.UTC(2026, 5, 15, 4), 24],
    ['spring forward, 23 h', '2026-03-08', 'America/New_York', Date.UTC(2026, 2, 8, 5), 23],
    ['fall back, 25 h', '2026-11-01', 'America/New_York', Date.UTC(2026, 10, 1, 4), 25],
    ['Lord Howe back, 24.5 h', '2026-04-05', 'Australia/Lord_Howe', Date.UTC(2026, 3, 4, 13), 24.5],
    ['Havana: missing midnight starts at 01:00 CDT, 23 h', '2026-03-08', 'America/Havana', Date.UTC(2026, 2, 8, 5), 23],
    ['Havana: repeated midnight starts at the first 00:00, 25 h', '2026-11-01', 'America/Havana', Date.UTC(2026, 10, 1, 4), 25],
  ])('%s', (_name, date, zone, start, hours) => {
    expect(dayInstantRange(date, zone)).toEqual({ start, end: start + hours * H });
  });
});

describe('wallTimeToInstant', () => {
  it.each([
    { name: 'an ordinary New York afternoon', date: '2026-03-12', time: '14:00', zone: 'America/New_York', want: '2026-03-12T18:00:00.000Z' },
    { name: 'a time in the spring-forward gap moves forward', date: '2026-03-08', time: '02:30', zone: 'America/New_York', want: '2026-03-08T07:30:00.000Z' },
    { name: 'a repeated fall-back time is its first occurrence', date: '2026-11-01', time: '01:30', zone: 'America/New_York', want: '2026-11-01T05:30:00.000Z' },
    { name: '24:00 is the next midnight', date: '2026-06-30', time: '24:00', zone: 'Asia/Kolkata', want: '2026-06-30T18:30:00.000Z' },
  ])('$name', ({ date, time, zone, want }) => {
    expect(new Date(wallTimeToInstant(date, time, zone)).toISOString()).toBe(want);
  });
});
