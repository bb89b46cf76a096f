/**
 * IANA zone names for forms. The list is the runtime's canonical zones;
 * validation also accepts aliases the runtime knows (e.g. "US/Eastern") but
 * never offsets or abbreviations ("EST", "+05:00"), which do not follow DST.
 */
export const TIME_ZONES: readonly string[] = Intl.supportedValuesOf('timeZone');
const KNOWN = new Set(TIME_ZONES);

export function isValidTimeZoneName(zone: string): boolean {
  if (KNOWN.has(zone) || zone === 'UTC') return true;
  if (!/^[A-Za-z]+(?:[/_-][A-Za-z0-9_+-]+)+$/.test(zone)) return false;
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: zone });
    return true;
  } catch {
    return false;
  }
}

export interface ZoneOption {
  /** The IANA id: the form's value. */
  id: string;
  /** "New York (EST, UTC−5)": the place and the offset people know, at the instant given. */
  label: string;
}
export interface ZoneGroup {
  region: string;
  zones: ZoneOption[];
}

const REGION_NAMES: Record<string, string> = {
  America: 'Americas', Atlantic: 'Atlantic Ocean', Indian: 'Indian Ocean', Pacific: 'Pacific Ocean', Antarctica: 'Antarctica', Arctic: 'Arctic',
};

// Making a formatter is what costs (about 0.3 ms each): one of each kind per zone, kept.
const formatters = new Map<string, Intl.DateTimeFormat>();
function formatter(zone: string, timeZoneName: 'short' | 'shortOffset'): Intl.DateTimeFormat {
  const key = `${timeZoneName}:${zone}`;
  let f = formatters.get(key);
  if (!f) formatters.set(key, (f = new Intl.DateTimeFormat('en-US', { timeZone: zone, timeZoneName })));
  return f;
}

/** "UTC−5", "UTC+5:30", "UTC" from Intl's "GMT-5", "GMT+5:30", "GMT" (with a real minus sign). */
function utcOffset(zone: string, at: number): string {
  const part = formatter(zone, 'shortOffset').formatToParts(at).find((p) => p.type === 'timeZoneName')?.value ?? 'GMT';
  return part.replace(/^GMT/, 'UTC').replace(/^UTC[+-]0$/, 'UTC').replace('-', '\u2212');
}

/** The zone's own abbreviation where en-US has one ("EST", "PDT"); none where it would only repeat the offset. */
function abbreviation(zone: string, at: number): string | null {
  const part = formatter(zone, 'short').formatToParts(at).find((p) => p.type === 'timeZoneName')?.value;
  return part && !/^(GMT|UTC)([+-]|$)/.test(part) ? part : null;
}

/** The place a zone is named after: "America/Argentina/Buenos_Aires" → "Buenos Aires, Argentina". */
function placeOf(zone: string): string {
  const parts = zone.split('/').map((p) => p.replaceAll('_', ' '));
  if (parts.length === 1) return parts[0]!;
  return parts.length > 2 ? `${parts[parts.length - 1]}, ${parts.slice(1, -1).join(', ')}` : parts[1]!;
}

export function zoneLabel(zone: string, at: number): string {
  const offset = utcOffset(zone, at);
  if (zone === 'UTC' || zone === 'Etc/UTC') return 'UTC (Coordinated Universal Time)';
  const abbr = abbreviation(zone, at);
  return `${placeOf(zone)} (${abbr ? `${abbr}, ` : ''}${offset})`;
}

let cached: { bucket: number; zones: readonly string[]; groups: ZoneGroup[] } | undefined;

/**
 * The zones for a select, grouped by region (an `<optgroup>` each) and
 * sorted by place, each labelled with its offset at `at`. Built once per
 * hour (offsets change at most on the hour) and shared by every page: a
 * caller must not change it. A selected id missing from the list (an alias
 * such as "US/Eastern") is added, in "Other".
 */
export function zoneGroups(zones: readonly string[], selected: string | undefined, at: number): ZoneGroup[] {
  const bucket = Math.floor(at / 3_600_000);
  if (cached?.bucket !== bucket || cached.zones !== zones) cached = { bucket, zones, groups: groupZones(zones, at) };
  const groups = cached.groups;
  if (!selected || groups.some((g) => g.zones.some((z) => z.id === selected)) || !isValidTimeZoneName(selected)) return groups;
  const alias = { id: selected, label: zoneLabel(selected, at) };
  const other = groups.find((g) => g.region === 'Other');
  return other
    ? groups.map((g) => (g === other ? { region: 'Other', zones: [...other.zones, alias].sort((x, y) => x.label.localeCompare(y.label)) } : g))
    : [...groups, { region: 'Other', zones: [alias] }];
}

function groupZones(zones: readonly string[], at: number): ZoneGroup[] {
  const groups = new Map<string, ZoneOption[]>();
  for (const id of zones) {
    const head = id.includes('/') ? id.split('/')[0]! : 'Other';
    const region = REGION_NAMES[head] ?? head;
    (groups.get(region) ?? groups.set(region, []).get(region)!).push({ id, label: zoneLabel(id, at) });
  }
  return [...groups.entries()]
    .sort(([a], [b]) => (a === 'Other' ? 1 : b === 'Other' ? -1 : a.localeCompare(b)))
    .map(([region, list]) => ({ region, zones: list.sort((x, y) => x.label.localeCompare(y.label)) }));
}
