import { describe, expect, it } from 'vitest';
import { TIME_ZONES, zoneGroups, zoneLabel } from '../../src/tenancy/timezones.ts';

/** Zones read as places and offsets people know; the IANA id stays the value. */
const WINTER = Date.parse('2026-01-15T12:00:00Z');
const SUMMER = Date.parse('2026-07-15T12:00:00Z');

describe('time zone labels', () => {
  it.each([
    { zone: 'America/New_York', at: WINTER, want: 'New York (EST, UTC\u22125)' },
    { zone: 'America/New_York', at: SUMMER, want: 'New York (EDT, UTC\u22124)' },
    { zone: 'America/Los_Angeles', at: WINTER, want: 'Los Angeles (PST, UTC\u22128)' },
    { zone: 'Asia/Kolkata', at: WINTER, want: 'Kolkata (UTC+5:30)' },
    { zone: 'America/Argentina/Buenos_Aires', at: WINTER, want: 'Buenos Aires, Argentina (UTC\u22123)' },
    { zone: 'Europe/London', at: WINTER, want: 'London (UTC)' },
    { zone: 'Europe/London', at: SUMMER, want: 'London (UTC+1)' },
    { zone: 'UTC', at: WINTER, want: 'UTC (Coordinated Universal Time)' },
  ])('$zone at $at reads "$want"', ({ zone, at, want }) => expect(zoneLabel(zone, at)).toBe(want));

  it('groups every zone by region, sorted by place, with the id as the value', () => {
    const groups = zoneGroups(TIME_ZONES, 'America/New_York', WINTER);
    expect(groups.map((g) => g.region)).toEqual(expect.arrayContaining(['Africa', 'Americas', 'Asia', 'Europe', 'Pacific Ocean']));
    expect(groups.flatMap((g) => g.zones.map((z) => z.id)).sort()).toEqual([...TIME_ZONES].sort());
    const americas = groups.find((g) => g.region === 'Americas')!.zones;
    expect(americas).toContainEqual({ id: 'America/New_York', label: 'New York (EST, UTC\u22125)' });
    expect(americas.map((z) => z.label)).toEqual([...americas.map((z) => z.label)].sort((a, b) => a.localeCompare(b)));
  });

  it('keeps a selected zone the list lacks (an alias), under "Other"', () => {
    const groups = zoneGroups(TIME_ZONES, 'US/Eastern', WINTER);
    expect(groups.at(-1)).toMatchObject({ region: 'Other' });
    expect(groups.at(-1)!.zones.map((z) => z.id)).toContain('US/Eastern');
  });
});
