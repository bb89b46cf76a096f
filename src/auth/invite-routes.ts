import { Router, type Response } from 'express';
import { z } from 'zod';
import type { AppDeps } from '../deps.ts';
import { withTenant } from '../db/tenant.ts';
import { fieldErrors } from '../http/forms.ts';
import { rateLimit } from '../http/rate-limit.ts';
import { audit } from '../audit/log.ts';
import type { Tenant } from '../tenancy/queries.ts';
import { hashPassword, passwordProblem } from './passwords.ts';
import { insertUser } from './queries.ts';
import { logIn } from './routes.ts';
import { tokenDigest } from './tokens.ts';
import { singleLine } from '../http/text.ts';

const AcceptForm = z
  .object({ name: singleLine({ max: 100, required: 'Enter your name.' }), password: z.string() })
  .superRefine((v, ctx) => {
    const problem = passwordProblem(v.password, [v.name]);
    if (problem) ctx.addIssue({ code: 'custom', path: ['password'], message: problem });
  });

/** Accepting a staff invitation: a single-use link that creates the account and signs it in. */
export function inviteRoutes(deps: AppDeps): Router {
  const r = Router();
  const tenantOf = (res: Response) => res.locals.tenant as Tenant;
  const findOpen = (res: Response, token: string) =>
    withTenant(deps.db, tenantOf(res).id, (tx) =>
      tx('invitations').where({ token_hash: tokenDigest(deps.config.sessionSecret, token) }).whereNull('accepted_at').whereNull('revoked_at').where('expires_at', '>', deps.now()).first(),
    );
  const gone = (res: Response) => res.status(410).render('auth/invite-invalid', { title: 'Invitation not valid' });
  // Accepting sets a password and signs in: limited per address and business, like the login form.
  r.use('/invite', rateLimit(deps, { name: 'invite', limit: 10, windowSeconds: 15 * 60, scope: (req) => tenantOf(req.res!).id }));

  r.get('/invite/:token', async (req, res) => {
    const inv = await findOpen(res, String(req.params.token));
    if (!inv) return gone(res);
    res.render('auth/invite', { title: `Join ${tenantOf(res).name}`, invitation: inv, values: {}, errors: {} });
  });

  r.post('/invite/:token', async (req, res, next) => {
    const token = String(req.params.token);
    const parsed = AcceptForm.safeParse(req.body ?? {});
    const inv = await findOpen(res, token);
    if (!inv) return gone(res);
    if (!parsed.success) return res.status(422).render('auth/invite', { title: `Join ${tenantOf(res).name}`, invitation: inv, values: { name: req.body?.name ?? '' }, errors: fieldErrors(parsed.error) });
    const passwordHash = await hashPassword(parsed.data.password);
    const user = await withTenant(deps.db, tenantOf(res).id, async (tx) => {
      // Claim the invitation first: of two simultaneous accepts, one wins.
      const claimed = await tx('invitations').where({ id: inv.id }).whereNull('accepted_at').update({ accepted_at: deps.now() });
      if (!claimed || (await tx('users').where({ email: inv.email }).first())) return undefined;
      const u = await insertUser(tx, { email: inv.email, name: parsed.data.name, role: inv.role, passwordHash });
      await audit(tx, { userId: u.id }, { action: 'staff.join', subjectType: 'user', subjectId: u.id, after: { email: u.email, role: u.role } });
      return u;
    });
    if (!user) return gone(res);
    logIn(deps, req, res, next, user, '/admin');
  });
  return r;
}
