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
