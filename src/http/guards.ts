import type { RequestHandler } from 'express';
import type { Role } from '../auth/queries.ts';
import { forbidden, unauthorized } from './errors.ts';

/**
 * Mounted in front of the whole /admin router (src/http/app.ts), so a new
 * admin route is refused to anonymous visitors without remembering anything.
 * Pages redirect to the login form; htmx and JSON callers get 401.
 */
export const requireUser: RequestHandler = (req, res, next) => {
  if (req.user && res.locals.tenant && req.user.tenantId === res.locals.tenant.id) {
    res.locals.user = req.user;
    return next();
  }
  if (req.method === 'GET' && !req.get('HX-Request') && req.accepts(['html', 'json']) === 'html') {
    res.redirect(303, `/login?next=${encodeURIComponent(req.originalUrl)}`);
    return;
  }
  throw unauthorized();
};

export function requireRole(...roles: Role[]): RequestHandler {
  return (req, _res, next) => {
    if (!req.user || !roles.includes(req.user.role)) throw forbidden();
    next();
  };
}

/** Only tenant subdomains serve this router; the root domain and unknown hosts fall through. */
export const onTenantSite: RequestHandler = (_req, res, next) => next(res.locals.tenant ? undefined : 'router');
export const onRootSite: RequestHandler = (_req, res, next) => next(res.locals.site?.kind === 'root' ? undefined : 'router');
