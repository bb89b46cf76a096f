import type { Request, RequestHandler, Response } from 'express';
import { derivedToken, newToken, safeEqual } from '../auth/tokens.ts';
import { HttpError } from './errors.ts';

const SAFE = new Set(['GET', 'HEAD', 'OPTIONS']);
const BROWSER_ID = /^[A-Za-z0-9_-]{43}$/;

export const csrfRejected = () =>
  new HttpError(403, 'csrf_failed', 'Form expired', 'This form has expired or came from another site. Reload the page and try again.');

export interface CsrfOptions {
  /** The server secret the tokens are derived with. */
  secret: string;
  /** https: the cookie is `__Host-csrf` (Secure, host-only, Path=/). */
  secure: boolean;
  expectedOrigin: (req: Request) => string;
}

export const csrfCookieName = (secure: boolean) => (secure ? '__Host-csrf' : 'csrf');

/**
 * For every cookie-authenticated router: state-changing requests need the
 * page's token (form field `_csrf` or header `X-CSRF-Token`, which htmx
 * sends, see public/js/app.js) and, when the browser says where the request
 * comes from, the same origin. Tenant subdomains are same-site to one
 * another, so SameSite cookies alone would let one tenant's page post to
 * another's.
 *
 * The token is a signed double-submit token, stateless: an HMAC, with the
 * server secret, of a random per-browser id kept in an HttpOnly cookie and,
 * once signed in, of the session id too. Checking it reads nothing from the
 * database, and a customer who only books never gets a session row.
 */
export function csrfProtection(opts: CsrfOptions): RequestHandler {
  const cookie = csrfCookieName(opts.secure);
  return (req, res, next) => {
    const id = browserId(req, cookie);
    const current = id ?? issueBrowserId(res, opts, cookie);
    res.locals.csrfToken = tokenFor(opts.secret, req, current);
    if (SAFE.has(req.method)) return next();
    const origin = req.get('Origin');
    if (origin && origin !== opts.expectedOrigin(req)) throw csrfRejected();
    const fetchSite = req.get('Sec-Fetch-Site');
    if (!origin && fetchSite && fetchSite !== 'same-origin' && fetchSite !== 'none') throw csrfRejected();
    const sent = req.get('X-CSRF-Token') ?? (typeof req.body?._csrf === 'string' ? (req.body._csrf as string) : undefined);
    if (!id || !sent || !safeEqual(sent, tokenFor(opts.secret, req, id))) throw csrfRejected();
    next();
  };
}

/**
 * A new browser id and so new tokens, after signing in: a token seen before
 * (on a shared computer, say) is worthless afterwards. The caller has just
 * regenerated the session; the next page carries the new token.
 */
export function rotateCsrfToken(req: Request, res: Response, opts: Pick<CsrfOptions, 'secret' | 'secure'>): void {
  res.locals.csrfToken = tokenFor(opts.secret, req, issueBrowserId(res, opts, csrfCookieName(opts.secure)));
}

function tokenFor(secret: string, req: Request, browser: string): string {
  // Signed in: bound to the session as well, so a token outlives neither.
  const session = req.user ? req.sessionID : '';
  return derivedToken(secret, 'csrf', browser, session);
}

function issueBrowserId(res: Response, opts: Pick<CsrfOptions, 'secure'>, cookie: string): string {
  const id = newToken();
  // No Max-Age: it lasts as long as the browser session.
  res.cookie(cookie, id, { httpOnly: true, secure: opts.secure, sameSite: 'lax', path: '/' });
  return id;
}

function browserId(req: Request, cookie: string): string | undefined {
  const header = req.headers.cookie;
  if (!header) return undefined;
  for (const part of header.split(';')) {
    const eq = part.indexOf('=');
    if (eq > 0 && part.slice(0, eq).trim() === cookie) {
      const value = part.slice(eq + 1).trim();
      return BROWSER_ID.test(value) ? value : undefined;
    }
  }
  return undefined;
}
