import type { Express, Request, RequestHandler } from 'express';
import { z } from 'zod';
import { canonicalTimeZone, isValidISODate } from '../scheduling/index.ts';
import { notFound } from './errors.ts';

/**
 * What a URL carries (path parameters and query strings), read in one
 * place, so that nothing typed into an address bar reaches a handler, the
 * engine or the database as something it cannot mean.
 *
 * - Path parameters are checked by name for every router of the app
 *   (`checkPathParams`, installed once in src/http/app.ts): a value that
 *   cannot name a row is the same 404 as a row of another tenant.
 * - Query parameters are optional view state (which day, which zone): a
 *   value that is malformed, out of range or repeated (`?date=a&date=b`)
 *   reads as absent, and the page shows its default.
 */

/**
 * The dates anything may name. Outside them the engine and PostgreSQL leave
 * the ranges they agree on (local-mean-time offsets before 1970, year 10000
 * a strip of days after 9999-12-31), and no booking is that far out.
 */
export const EARLIEST_DATE = '1970-01-01';
export const LATEST_DATE = '2199-12-31';
const EARLIEST_MS = Date.UTC(1970, 0, 1);
const LATEST_MS = Date.UTC(2200, 0, 1);

export const isBookableDate = (s: string) => isValidISODate(s) && s >= EARLIEST_DATE && s <= LATEST_DATE;
export const isBookableInstant = (ms: number) => Number.isFinite(ms) && ms >= EARLIEST_MS && ms < LATEST_MS;

/** A calendar date as YYYY-MM-DD between EARLIEST_DATE and LATEST_DATE, for forms and the API alike. */
export const calendarDate = (message: string) => z.string({ error: message }).refine(isBookableDate, message);

/** An instant with an explicit offset or Z (e.g. 2026-03-09T14:00:00-04:00), as epoch milliseconds. */
export const instantText = (message: string) =>
  z
    .string({ error: message })
    .trim()
    .regex(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d{1,3})?)?(Z|[+-]\d{2}:\d{2})$/, message)
    .transform((s) => Date.parse(s))
    .refine(isBookableInstant, message);

// ---- path parameters ---------------------------------------------------------------------

const Uuid = z.uuid();
/**
 * Tokens only ever go into an HMAC, so any visible ASCII is safe to look up;
 * a forged one gets its page's own answer ("this link is not valid").
 * Ours are 43 characters of base64url.
 */
const TOKEN = /^[\x21-\x7e]{1,256}$/;

/**
 * Every `:name` a route may use, and what its value must look like. A route
 * with a parameter not listed here fails test/integration/hostile-input.test.ts.
 */
export const PATH_PARAMS: Record<string, (value: string) => boolean> = {
  id: (v) => Uuid.safeParse(v).success,
  serviceId: (v) => Uuid.safeParse(v).success,
  token: (v) => TOKEN.test(v),
  date: isBookableDate,
  resourceId: (v) => Uuid.safeParse(v).success,
  // The calendar providers' names in URLs (the routes map them to their own).
  provider: (v) => /^[a-z]{1,20}$/.test(v),
  // A feed's file name: its token and ".ics".
  file: (v) => /^[A-Za-z0-9_-]{1,64}\.ics$/.test(v),
};

/**
 * Installs the PATH_PARAMS checks on the app's router and on every router
 * mounted in it (Express runs `router.param` callbacks only for the routes
 * of the router they are registered on, so each one needs them). Called
 * once, after all routes are mounted: a router added later is covered
 * without remembering anything.
 */
export function checkPathParams(app: Express): void {
  const check = (name: string): Parameters<RouterLike['param']>[1] => (_req, _res, next, value) => {
    next(PATH_PARAMS[name]!(String(value)) ? undefined : notFound());
  };
  const seen = new Set<RouterLike>();
  const visit = (router: RouterLike) => {
    if (seen.has(router)) return;
    seen.add(router);
    for (const name of Object.keys(PATH_PARAMS)) router.param(name, check(name));
    for (const layer of router.stack) {
      const inner = layer.handle as Partial<RouterLike> | undefined;
      if (inner && typeof inner.param === 'function' && Array.isArray(inner.stack)) visit(inner as RouterLike);
    }
  };
  visit((app as unknown as { router: RouterLike }).router);
}

interface RouterLike {
  param(name: string, fn: (req: Request, res: Parameters<RequestHandler>[1], next: (err?: unknown) => void, value: unknown, name: string) => void): unknown;
  stack: { handle?: unknown }[];
}

/**
 * An id from the URL. Anything that is not a uuid cannot name a row, so it
 * is the same 404 as an id of another tenant's row: never a 400 or a 500
 * that would tell them apart.
 */
export function uuidParam(value: unknown, detail?: string): string {
  const p = Uuid.safeParse(value);
  if (!p.success) throw notFound(detail);
  return p.data;
}

// ---- query parameters --------------------------------------------------------------------

/** The parameter as the one string it should be; repeated, nested or absent is undefined. */
export function queryText(req: Request, key: string): string | undefined {
  const v = (req.query as Record<string, unknown>)[key];
  return typeof v === 'string' ? v : undefined;
}

/** A date (YYYY-MM-DD, EARLIEST_DATE … LATEST_DATE), or undefined. */
export function queryDate(req: Request, key: string): string | undefined {
  const v = queryText(req, key);
  return v !== undefined && isBookableDate(v) ? v : undefined;
}

/** An IANA zone in its canonical spelling, or undefined. */
export function queryZone(req: Request, key: string): string | undefined {
  const v = queryText(req, key);
  return v ? (canonicalTimeZone(v) ?? undefined) : undefined;
}

/** A uuid, or undefined. */
export function queryId(req: Request, key: string): string | undefined {
  const v = queryText(req, key);
  return v !== undefined && Uuid.safeParse(v).success ? v : undefined;
}

const QueryInstant = instantText('not an instant');
/** An instant with its offset, as epoch milliseconds, or undefined. */
export function queryInstant(req: Request, key: string): number | undefined {
  const p = QueryInstant.safeParse(queryText(req, key));
  return p.success ? p.data : undefined;
}
