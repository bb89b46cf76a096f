/**
 * What a hostile or careless user can type into a URL, a form or a JSON
 * body, for the tests that walk every route with it
 * (test/integration/hostile-input.test.ts).
 */

const NUL = 'a\u0000b';
const CRLF = 'Kim\r\nBcc: victim@example.com';
const CONTROLS = 'x\u0001\u0007\u001b[31m\u007f\u0085y';
// Long, but inside Node's 16 KiB limit on a request head (a longer URL is refused before the app sees it).
const LONG = 'x'.repeat(6_000);

/** Every query parameter some route reads. */
export const QUERY_KEYS = [
  'date', 'from', 'to', 'tz', 'resource', 'service', 'status', 'q', 'start', 'limit', 'starting_after', 'service_id', 'resource_id',
  'time_zone', 'timezone', 'next', 'token', 'booked', 'moved',
];

/** Values for every query parameter at once, as they appear in the URL (already encoded where it matters). */
export const QUERY_VALUES: string[] = [
  '2026-13-45', '2026-02-30', '9999-12-31', '0001-01-01', '-271821-04-20', '%2B275760-09-13', '275760-09-13T00:00:00Z',
  '2026-03-10T99:99:00Z', '1e309', '-1', '0', 'Mars%2FBase', '%2B05:00', 'Etc%2FGMT%2B14', '%3Cscript%3Ealert(1)%3C%2Fscript%3E',
  '%00', 'a%00b', '%0D%0ASet-Cookie:%20x=1', '%7F%1B', '%E0%A4%A', '%', '', '%20%20',
  '00000000-0000-4000-8000-000000000000', 'not-a-uuid', '..%2F..%2Fetc%2Fpasswd', '%2F%2Fevil.example',
];

/** Query strings: each hostile value in every parameter, arrays (`?date=a&date=b`), and a few mixes. */
export function hostileQueries(): string[] {
  const all = (v: string) => QUERY_KEYS.map((k) => `${k}=${v}`).join('&');
  return [
    ...QUERY_VALUES.map(all),
    ...['date', 'from', 'tz', 'q', 'start'].map((k) => `${k}=${LONG}`),
    QUERY_KEYS.map((k) => `${k}=a&${k}=b`).join('&'),
    QUERY_KEYS.map((k) => `${k}[]=a&${k}[x]=b`).join('&'),
    'from=2026-03-01&to=9999-12-31&tz=America%2FNew_York',
    'from=0001-01-01&to=2026-03-01&date=2026-03-01',
    'from=2026-03-01&to=2026-03-02&time_zone=UTC&service_id=00000000-0000-4000-8000-000000000000',
    'start=2026-03-10T15:00:00Z&tz=America%2FNew_York&date=2026-03-10',
    // With the world's real ids ({service}, {resource}), so the values reach the engine rather than a 404.
    ...['0001-01-01', '1969-12-31', '9999-12-31', '2199-12-31', '2026-13-45', 'a%00b'].map(
      (d) => `service_id={service}&resource_id={resource}&from=${d}&to=${d}&time_zone=America%2FNew_York&date=${d}&start=${d}T10:00:00Z&resource={resource}`,
    ),
    'service_id={service}&from=2026-03-01&to=2026-05-01&time_zone=Pacific%2FKiritimati',
    'service_id={service}&from=2026-03-01&to=2026-03-02&time_zone=a&time_zone=b',
    '__proto__=x&constructor=y&toString=z&hasOwnProperty=1&valueOf=2',
  ];
}

/** Values for one `:param` of a URL (the route's own value is tried as well). */
export const PATH_VALUES = [
  '%E0%A4%A', '00000000-0000-4000-8000-000000000000', 'not-a-uuid', 'a%00b', '%0D%0A', '%25', '2026-13-45', '0001-01-01', 'x'.repeat(3000),
  '-'.repeat(36), 'zzzzzzzz-zzzz-zzzz-zzzz-zzzzzzzzzzzz', '..%2F..',
];

/** Hostile replacements for one field of an otherwise valid body. */
export const FIELD_VALUES: unknown[] = [NUL, CRLF, ['a', 'b'], 3_000_000_000, CONTROLS, LONG, { $gt: '' }, null];
/** Form fields can only be strings or repeated strings. */
export const FORM_FIELD_VALUES: (string | string[])[] = [NUL, CRLF, ['a', 'b'], CONTROLS, 'x'.repeat(5_000), '99999999999999999999'];

/** Whole JSON bodies, raw, that no route expects. */
export const RAW_JSON_BODIES = ['{', '[]', '"text"', 'null', '1e999', '{"a":' + '['.repeat(5000) + ']'.repeat(5000) + '}', '{"__proto__":{"admin":true}}', '\u0000'];
/** Whole form bodies, raw. */
export const RAW_FORM_BODIES = ['a=%E0%A4%A&b=%', '%00=%00', '&&&=&=', 'name=' + 'x'.repeat(70_000)];

/** Request headers a client controls, each tried on every route. */
export const HOSTILE_HEADERS: Record<string, string>[] = [
  { Accept: 'application/json', 'If-Match': '"garbage", W/"x", *,,', 'Idempotency-Key': 'k'.repeat(1000), 'Accept-Language': 'x'.repeat(3000) },
  { Accept: '*/*;q=abc, text/html;q=-1', 'HX-Request': 'true', 'HX-Target': '<script>', 'If-None-Match': '*', 'Idempotency-Key': 'with space', Range: 'bytes=9999999999-' },
  { Accept: 'text/html', 'X-Request-Id': '<script>alert(1)</script>', Cookie: 'sid=s%3Agarbage.sig; csrf=%00%00; __Host-csrf=x', 'Content-Type': 'application/x-www-form-urlencoded; charset=utf-16' },
  { Authorization: 'Bearer ' + 'x'.repeat(5000), 'Content-Type': 'application/json; charset=koi8-r' },
  { Authorization: 'Basic Zm9vOmJhcg==', 'Content-Type': 'multipart/form-data; boundary=x' },
];

/** Signs of an internal error in an answer: a stack frame, a source path, a SQL or driver message. */
export const LEAKS: RegExp[] = [
  /\n\s+at [^\n]+[(:]\d+:\d+\)?/,
  /node:internal/,
  /node_modules\//,
  /\/src\/[\w/-]+\.ts/,
  /\b(?:TypeError|RangeError|ReferenceError|SyntaxError)\b/,
  /invalid input syntax|violates (?:check|foreign key|unique|not-null) constraint|unterminated quoted|invalid byte sequence|out of range for type/i,
];
