import type { RequestHandler } from 'express';
import { newToken, safeEqual } from '../auth/tokens.ts';
import { HttpError } from './errors.ts';

const SAFE = new Set(['GET', 'HEAD', 'OPTIONS']);

export const csrfRejected = () =>
  new HttpError(403, 'csrf_failed', 'Form expired', 'This form has expired or came from another site. Reload the page and try again.');

/** The session's CSRF token, created on first use; rotate after login with `rotateCsrfToken`. */
export function csrfToken(session: { csrfToken?: string }): string {
  session.csrfToken ??= newToken();
  return session.csrfToken;
}

export function rotateCsrfToken(session: { csrfToken?: string }): string {
  session.csrfToken = newToken();
  return session.csrfToken;
}

/**
 * For every cookie-authenticated router: state-changing requests need the
 * session's token (form field `_csrf` or header `X-CSRF-Token`, which htmx
 * sends, see public/js/app.js) and, when the browser says where the request
 * comes from, the same origin. Tenant subdomains are same-site to one another,
 * so SameSite cookies alone would let one tenant's page post to another's.
 */
export function csrfProtection(expectedOrigin: (req: Parameters<RequestHandler>[0]) => string): RequestHandler {
  return (req, res, next) => {
    res.locals.csrfToken = csrfToken(req.session);
    if (SAFE.has(req.method)) return next();
    const origin = req.get('Origin');
    if (origin && origin !== expectedOrigin(req)) throw csrfRejected();
    const fetchSite = req.get('Sec-Fetch-Site');
    if (!origin && fetchSite && fetchSite !== 'same-origin' && fetchSite !== 'none') throw csrfRejected();
    const sent = req.get('X-CSRF-Token') ?? (typeof req.body?._csrf === 'string' ? (req.body._csrf as string) : undefined);
    const expected = req.session.csrfToken;
    if (!sent || !expected || !safeEqual(sent, expected)) throw csrfRejected();
    next();
  };
}
