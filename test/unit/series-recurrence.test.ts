import { describe, expect, it } from 'vitest';
import { Temporal } from 'temporal-polyfill';
import { expandRecurrence, type Occurrence } from '../../src/series/recurrence.ts';

const at = (iso: string) => Date.parse(iso);
/** Each occurrence as its instant with the zone's offset, or 'gap'. */
const shown = (list: Occurrence[], zone: string) =>
  list.map((o) => (o.start === null ? `${o.localDate} ${o.localTime} gap` : Temporal.Instant.fromEpochMilliseconds(o.start).toZonedDateTimeISO(zone).toString({ timeZoneName: 'never' })));

function expand(first: string, zone: string, rule: { interval?: number; count?: number; until?: string }, lastDate?: string) {
  const r = expandRecurrence(at(first), zone, { frequency: 'weekly', interval: rule.interval ?? 1, count: rule.count, until: rule.until }, lastDate);
  if (!r.ok) throw new Error(`refused: ${r.message}`);
  return r.occurrences;
}

describe('weekly series expansion', () => {
  it.each([
    {
      name: 'New York keeps 10:00 across spring forward (−05:00 → −04:00)',
      zone: 'America/New_York', first: '2027-03-01T10:00:00-05:00', count: 4,
      want: ['2027-03-01T10:00:00-05:00', '2027-03-08T10:00:00-05:00', '2027-03-15T10:00:00-04:00', '2027-03-22T10:00:00-04:00'],
    },
    {
      name: 'New York keeps 10:00 across fall back (−04:00 → −05:00)',
      zone: 'America/New_York', first: '2027-10-25T10:00:00-04:00', count: 3,
      want: ['2027-10-25T10:00:00-04:00', '2027-11-01T10:00:00-04:00', '2027-11-08T10:00:00-05:00'],
    },
    {
      name: 'Lord Howe keeps 10:00 across its 30-minute spring forward (+10:30 → +11:00)',
      zone: 'Australia/Lord_Howe', first: '2027-09-26T10:00:00+10:30', count: 3,
      want: ['2027-09-26T10:00:00+10:30', '2027-10-03T10:00:00+11:00', '2027-10-10T10:00:00+11:00'],
    },
    {
      name: 'Lord Howe keeps 10:00 across its 30-minute fall back (+11:00 → +10:30)',
      zone: 'Australia/Lord_Howe', first: '2027-03-28T10:00:00+11:00', count: 2,
      want: ['2027-03-28T10:00:00+11:00', '2027-04-04T10:00:00+10:30'],
    },
    {
      name: 'every 2 weeks',
      zone: 'Europe/Berlin', first: '2027-03-15T09:30:00+01:00', interval: 2, count: 3,
      want: ['2027-03-15T09:30:00+01:00', '2027-03-29T09:30:00+02:00', '2027-04-12T09:30:00+02:00'],
    },
  ])('$name', ({ zone, first, count, interval, want }) => {
    expect(shown(expand(first, zone, { count, interval }), zone)).toEqual(want);
  });

  it('reports a time inside a spring-forward gap as not existing, never moved, and counts it', () => {
    const list = expand('2027-03-07T02:30:00-05:00', 'America/New_York', { count: 3 });
    expect(shown(list, 'America/New_York')).toEqual(['2027-03-07T02:30:00-05:00', '2027-03-14 02:30 gap', '2027-03-21T02:30:00-04:00']);
  });

  it('reports Lord Howe\'s half-hour gap (02:00–02:30) too', () => {
    const list = expand('2027-09-26T02:15:00+10:30', 'Australia/Lord_Howe', { count: 2 });
    expect(list[1]).toEqual({ index: 1, localDate: '2027-10-03', localTime: '02:15', start: null });
  });

  it('takes the earlier instant of a repeated hour', () => {
    const list = expand('2027-10-31T01:30:00-04:00', 'America/New_York', { count: 2 });
    expect(new Date(list[1]!.start!).toISOString()).toBe('2027-11-07T05:30:00.000Z');
  });

  it('runs until a local date, inclusive, capped at the horizon', () => {
    expect(expand('2027-03-01T10:00:00-05:00', 'America/New_York', { until: '2027-03-15' }).map((o) => o.localDate)).toEqual(['2027-03-01', '2027-03-08', '2027-03-15']);
    expect(expand('2027-03-01T10:00:00-05:00', 'America/New_York', { until: '2027-12-31' }, '2027-03-10').map((o) => o.localDate)).toEqual(['2027-03-01', '2027-03-08']);
  });

  it('caps an open-ended rule at 52 occurrences', () => {
    expect(expand('2027-01-04T10:00:00-05:00', 'America/New_York', { until: '2029-12-31' })).toHaveLength(52);
  });

  it.each([
    { name: 'neither count nor until', rule: { frequency: 'weekly' as const, interval: 1 }, field: 'recurrence' },
    { name: 'both count and until', rule: { frequency: 'weekly' as const, interval: 1, count: 3, until: '2027-04-01' }, field: 'recurrence' },
    { name: 'a count of 1', rule: { frequency: 'weekly' as const, interval: 1, count: 1 }, field: 'count' },
    { name: 'a count above 52', rule: { frequency: 'weekly' as const, interval: 1, count: 53 }, field: 'count' },
    { name: 'an interval of 0', rule: { frequency: 'weekly' as const, interval: 0, count: 3 }, field: 'interval' },
    { name: 'an end before the start', rule: { frequency: 'weekly' as const, interval: 1, until: '2027-02-01' }, field: 'until' },
    { name: 'an impossible date', rule: { frequency: 'weekly' as const, interval: 1, until: '2027-02-30' }, field: 'until' },
  ])('refuses $name', ({ rule, field }) => {
    const r = expandRecurrence(at('2027-03-01T10:00:00-05:00'), 'America/New_York', rule);
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.field).toBe(field);
  });
});
