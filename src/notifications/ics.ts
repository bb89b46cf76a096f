/**
 * iCalendar (RFC 5545) invitations attached to customer messages: one stable
 * UID per booking, SEQUENCE = the booking's change counter, times in UTC.
 * METHOD:REQUEST creates or updates the event in the customer's calendar,
 * METHOD:CANCEL removes it.
 */
export interface IcsEvent {
  method: 'REQUEST' | 'CANCEL';
  uid: string;
  sequence: number;
  start: Date;
  end: Date;
  stamp: Date;
  summary: string;
  description: string;
  location?: string;
  url?: string;
  organizer: { name: string; email: string };
  attendee: { name: string; email: string };
}

const utc = (d: Date) => d.toISOString().replace(/[-:]/g, '').replace(/\.\d{3}/, '');

/**
 * Every value here may hold what someone typed (a customer's or a
 * business's name), so each kind of value has one writer that makes it
 * unable to end its line or start another property: TEXT is escaped, a
 * parameter value is cleaned and quoted, a URI loses what a URI cannot hold.
 */
const CONTROLS = /[\u0000-\u0008\u000b-\u001f\u007f-\u009f\u2028\u2029]/g;

/** TEXT (RFC 5545 §3.3.11): backslash, semicolon and comma escaped; any line break is the escape \n; other controls dropped. */
export function icsText(value: string): string {
  return value
    .replace(/\r\n?|[\n\u2028\u2029\u0085]/g, '\n')
    .replace(CONTROLS, '')
    .replace(/\\/g, '\\\\')
    .replace(/;/g, '\\;')
    .replace(/,/g, '\\,')
    .replace(/\n/g, '\\n');
}

/**
 * A parameter value (§3.2): it cannot be escaped, only quoted, and a quoted
 * string holds neither DQUOTE nor controls. Line breaks and controls become
 * spaces, double quotes single ones; quoted when it has ; : or ,.
 */
export function icsParam(value: string): string {
  const clean = value.replace(/[\u0000-\u001f\u007f-\u009f\u2028\u2029]+/g, ' ').replace(/"/g, "'").trim();
  return /[;:,]/.test(clean) ? `"${clean}"` : clean;
}

/** A URI value (mailto:, https:): no whitespace or controls can be part of one. */
export function icsUri(value: string): string {
  return value.replace(/[\u0000-\u0020\u007f-\u009f\u2028\u2029]/g, '');
}

/** Lines longer than 75 octets are folded with CRLF + space, never inside a UTF-8 sequence. */
export function fold(line: string): string {
  const bytes = Buffer.from(line, 'utf8');
  if (bytes.length <= 75) return line;
  const parts: string[] = [];
  let start = 0;
  let limit = 75;
  while (start < bytes.length) {
    let end = Math.min(start + limit, bytes.length);
    while (end < bytes.length && (bytes[end]! & 0xc0) === 0x80) end--; // not in the middle of a character
    parts.push(bytes.subarray(start, end).toString('utf8'));
    start = end;
    limit = 74; // continuation lines start with a space
  }
  return parts.join('\r\n ');
}

export function icsFor(e: IcsEvent): string {
  return icsForAll(e.method, [e]);
}

/**
 * One calendar object with a VEVENT per event, all of one METHOD: a
 * series' occurrences, each its own event with its booking's UID, so a
 * later change or cancellation of one occurrence updates just that event.
 */
export function icsForAll(method: IcsEvent['method'], events: IcsEvent[]): string {
  const lines = [
    'BEGIN:VCALENDAR',
    'VERSION:2.0',
    'PRODID:-//Slotwise//Bookings//EN',
    'CALSCALE:GREGORIAN',
    `METHOD:${method}`,
    ...events.flatMap(vevent),
    'END:VCALENDAR',
  ];
  return lines.map(fold).join('\r\n') + '\r\n';
}

function vevent(e: IcsEvent): string[] {
  return [
    'BEGIN:VEVENT',
    `UID:${icsText(e.uid)}`,
    `SEQUENCE:${e.sequence}`,
    `DTSTAMP:${utc(e.stamp)}`,
    `DTSTART:${utc(e.start)}`,
    `DTEND:${utc(e.end)}`,
    `SUMMARY:${icsText(e.summary)}`,
    `DESCRIPTION:${icsText(e.description)}`,
    ...(e.location ? [`LOCATION:${icsText(e.location)}`] : []),
    ...(e.url ? [`URL:${icsUri(e.url)}`] : []),
    `ORGANIZER;CN=${icsParam(e.organizer.name)}:mailto:${icsUri(e.organizer.email)}`,
    `ATTENDEE;CN=${icsParam(e.attendee.name)};ROLE=REQ-PARTICIPANT;PARTSTAT=${e.method === 'CANCEL' ? 'DECLINED' : 'ACCEPTED'}:mailto:${icsUri(e.attendee.email)}`,
    `STATUS:${e.method === 'CANCEL' ? 'CANCELLED' : 'CONFIRMED'}`,
    'END:VEVENT',
  ];
}

/** `Name <addr@x>` or `addr@x` → its parts. */
export function parseAddress(from: string): { name: string; email: string } {
  const m = /^\s*(.*?)\s*<([^>]+)>\s*$/.exec(from);
  return m ? { name: m[1] || m[2]!, email: m[2]! } : { name: from.trim(), email: from.trim() };
}
