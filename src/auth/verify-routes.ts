import { Router, type Response } from 'express';
import type { AppDeps } from '../deps.ts';
import { withTenant } from '../db/tenant.ts';
import { HttpError } from '../http/errors.ts';
import { requireRole } from '../http/guards.ts';
import { rateLimit } from '../http/rate-limit.ts';
import type { Tenant } from '../tenancy/queries.ts';
import { isVerificationTokenValid, mailStanding, queueEmailVerification, verifyOwnerEmail } from './email-verification.ts';

const tenantOf = (res: Response) => res.locals.tenant as Tenant;

/**
 * The owner's email verification link, on the tenant's host. Opening it
 * shows a button; only the POST verifies, so a mail scanner that fetches
 * links does not verify on the owner's behalf.
 */
export function verifyEmailRoutes(deps: AppDeps): Router {
  const r = Router();
  r.use('/verify-email', rateLimit(deps, { name: 'verify-email', limit: 20, windowSeconds: 60 * 60, scope: (req) => tenantOf(req.res!).id }));
  const gone = (res: Response) => res.status(410).render('auth/verify-invalid', { title: 'Link expired' });

  r.get('/verify-email/:token', async (req, res) => {
    if (!(await isVerificationTokenValid(deps, tenantOf(res).id, String(req.params.token)))) return gone(res);
    res.render('auth/verify', { title: 'Confirm your email address' });
  });

  r.post('/verify-email/:token', async (req, res) => {
    if (!(await verifyOwnerEmail(deps, tenantOf(res).id, String(req.params.token)))) return gone(res);
    req.session.flash = 'Your email address is confirmed. Messages that were waiting are on their way.';
    res.redirect(303, req.user ? '/admin/outbox' : '/login');
  });
  return r;
}

/** Mounted under /admin: the owner asks for a new link. */
export function resendVerificationRoutes(deps: AppDeps): Router {
  const r = Router();
  r.post('/verify-email', requireRole('owner'), rateLimit(deps, { name: 'verify-resend', limit: 5, windowSeconds: 60 * 60, scope: (req) => tenantOf(req.res!).id }), async (req, res) => {
    const tenant = tenantOf(res);
    const sent = await withTenant(deps.db, tenant.id, async (tx) => {
      if ((await mailStanding(tx)).verified) return false;
      await queueEmailVerification(deps, tx, tenant.slug, req.user!);
      return true;
    });
    if (!sent) throw new HttpError(409, 'conflict', 'Already confirmed', 'Your email address is already confirmed.');
    req.session.flash = `A new link is on its way to ${req.user!.email}.`;
    res.redirect(303, '/admin/outbox');
  });
  return r;
}
