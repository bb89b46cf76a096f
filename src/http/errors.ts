import type { ErrorRequestHandler, Request } from 'express';
import { DomainError, InvalidFields, type RefusalKind } from '../errors.ts';
import { log } from '../log.ts';

/**
 * Domain and HTTP errors carry their status, a stable `type` slug and a
 * user-safe title. One middleware (`errorHandler`) turns every error into
 * either an HTML page or `application/problem+json` (RFC 9457); anything
 * unexpected becomes a generic 500 logged with the request id.
 */
export class HttpError extends Error {
  readonly status: number;
  readonly type: string;
  readonly title: string;
  readonly errors: Record<string, string> | undefined;
  readonly headers: Record<string, string>;

  constructor(status: number, type: string, title: string, detail?: string, opts: { errors?: Record<string, string>; headers?: Record<string, string> } = {}) {
    super(detail ?? title);
    this.status = status;
    this.type = type;
    this.title = title;
    this.errors = opts.errors;
    this.headers = opts.headers ?? {};
  }
}

export const notFound = (detail = 'The page you asked for does not exist.') => new HttpError(404, 'not_found', 'Not found', detail);
export const unauthorized = (detail = 'Sign in to continue.') => new HttpError(401, 'unauthorized', 'Unauthorized', detail);
export const forbidden = (detail = 'You are not allowed to do that.') => new HttpError(403, 'forbidden', 'Forbidden', detail);
export const validationFailed = (errors: Record<string, string>, detail = 'Some fields need attention.') =>
  new HttpError(422, 'validation_failed', 'Validation failed', detail, { errors });
export const tooManyRequests = (retryAfterSeconds: number, why = 'Too many attempts.') =>
  new HttpError(429, 'rate_limited', 'Too many requests', `${why} Try again in ${retryAfterSeconds} seconds.`, {
    headers: { 'Retry-After': String(retryAfterSeconds) },
  });

/**
 * SQLSTATEs that can reach a handler without being a bug in it. The input
 * types (src/http/text.ts, src/http/params.ts) keep what users type inside
 * what the database accepts; class 22 (data exception: a NUL in text, a
 * number or date out of range) is the net under them, so that a field
 * some schema forgot is still a 422 and never a 500. Messages stay generic:
 * a driver's own text can name columns, and `detail` another tenant's row.
 */
function fromDatabase(err: { code?: unknown }): HttpError | undefined {
  const code = typeof err.code === 'string' ? err.code : '';
  switch (code) {
    case '23P01':
      return new HttpError(409, 'slot_unavailable', 'That time was just taken', 'That time was just taken. Please pick another time.');
    case '23505':
      return new HttpError(409, 'conflict', 'Conflict', 'That conflicts with something that already exists.');
    case '23001':
    case '23503':
      return new HttpError(409, 'in_use', 'In use', 'Other records depend on it, so it cannot be changed that way.');
    case '23502':
    case '23514':
      return new HttpError(422, 'invalid_input', 'Invalid input', 'Some of what was sent is not allowed. Check the values and try again.');
    case '42501':
      return forbidden();
    default:
      return /^22[0-9A-Z]{3}$/.test(code)
        ? new HttpError(422, 'invalid_input', 'Invalid input', 'Some of what was sent cannot be stored: unusual characters, or a value out of range.')
        : undefined;
  }
}

export function wantsJson(req: Request): boolean {
  return req.path.startsWith('/api/') || (req.accepts(['html', 'json']) === 'json' && !req.get('HX-Request'));
}

/** The status of each kind of domain refusal: the one place domain errors meet HTTP. */
const STATUS: Record<RefusalKind, number> = { not_found: 404, conflict: 409, invalid: 422 };

export const statusOf = (err: DomainError): number => STATUS[err.kind];

export function toHttpError(err: unknown): HttpError | undefined {
  if (err instanceof HttpError) return err;
  if (err instanceof DomainError) {
    // InvalidFields names its fields; a series conflict (src/series/errors.ts) names its occurrences.
    const own = err instanceof InvalidFields ? err.errors : (err as { errors?: Record<string, string> }).errors;
    const errors = own ?? (err.field ? { [err.field]: err.message } : undefined);
    return new HttpError(statusOf(err), err.type, err.title, err.message, errors ? { errors } : {});
  }
  if (err && typeof err === 'object') {
    const e = err as { code?: unknown; status?: unknown; type?: unknown; expose?: unknown };
    const db = fromDatabase(e);
    if (db) return db;
    // body-parser, the router and friends: client errors such as malformed
    // JSON, a body too large, or a path that does not decode (%E0%A4%A).
    // Their own message is shown only when they mark it safe to show.
    if (typeof e.status === 'number' && e.status >= 400 && e.status < 500) {
      const type = typeof e.type === 'string' ? e.type.replace(/\./g, '_') : 'bad_request';
      return new HttpError(e.status, type, 'Bad request', e.expose === true ? (err as Error).message : 'The request could not be read.');
    }
  }
  return undefined;
}

export const errorHandler: ErrorRequestHandler = (err, req, res, next) => {
  if (res.headersSent) return next(err);
  const known = toHttpError(err);
  const requestId = String(res.locals.requestId ?? '');
  if (!known) log.error('unhandled error', { requestId, method: req.method, path: req.path, err });
  else if (known.status >= 500 || /^2[23]/.test(String((err as { code?: unknown }).code ?? ''))) log.warn('request failed', { requestId, path: req.path, status: known.status, err });
  const e = known ?? new HttpError(500, 'internal', 'Something went wrong', `Something went wrong on our side. Reference: ${requestId}`);
  res.status(e.status).set(e.headers);
  if (wantsJson(req)) {
    res.type('application/problem+json').send(
      JSON.stringify({
        type: `https://slotwise.dev/problems/${e.type}`,
        title: e.title,
        status: e.status,
        detail: e.message,
        ...(e.errors ? { errors: e.errors } : {}),
        ...(e.status >= 500 ? { request_id: requestId } : {}),
      }),
    );
    return;
  }
  // A page that fails to render (it should not) must still not reach
  // Express's own handler, which shows the stack outside production.
  res.render(e.status === 404 ? 'errors/not-found' : 'errors/error', { title: e.title, status: e.status, detail: e.message }, (renderErr: Error | null, html?: string) => {
    if (renderErr) {
      log.error('error page failed to render', { requestId, err: renderErr });
      res.type('text/plain').send(`${e.title}. ${e.status >= 500 ? `Reference: ${requestId}` : ''}`.trim());
      return;
    }
    res.send(html);
  });
};
