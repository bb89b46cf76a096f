import type { ErrorRequestHandler, Request } from 'express';
import { DomainError, type RefusalKind } from '../errors.ts';
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

/** SQLSTATEs that can reach a handler without being a bug in it. */
function fromDatabase(err: { code?: unknown }): HttpError | undefined {
  switch (err.code) {
    case '23P01':
      return new HttpError(409, 'slot_unavailable', 'That time was just taken', 'That time was just taken. Please pick another time.');
    case '23505':
      return new HttpError(409, 'conflict', 'Conflict', 'That conflicts with something that already exists.');
    case '42501':
      return forbidden();
    default:
      return undefined;
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
    return new HttpError(statusOf(err), err.type, err.title, err.message, err.field ? { errors: { [err.field]: err.message } } : {});
  }
  if (err && typeof err === 'object') {
    const e = err as { code?: unknown; status?: unknown; type?: unknown; expose?: unknown };
    const db = fromDatabase(e);
    if (db) return db;
    // body-parser and friends: client errors such as malformed JSON or a body too large.
    if (typeof e.status === 'number' && e.status >= 400 && e.status < 500 && e.expose) {
      return new HttpError(e.status, String(e.type ?? 'bad_request').replace(/\./g, '_'), 'Bad request', (err as Error).message);
    }
  }
  return undefined;
}

export const errorHandler: ErrorRequestHandler = (err, req, res, next) => {
  if (res.headersSent) return next(err);
  const known = toHttpError(err);
  const requestId = String(res.locals.requestId ?? '');
  if (!known) log.error('unhandled error', { requestId, method: req.method, path: req.path, err });
  else if (known.status >= 500 || (err as { code?: string }).code?.startsWith('23')) log.warn('request failed', { requestId, path: req.path, status: known.status, err });
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
  res.render(e.status === 404 ? 'errors/not-found' : 'errors/error', { title: e.title, status: e.status, detail: e.message });
};
