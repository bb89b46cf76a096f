import { Router, type Response } from 'express';
import { z } from 'zod';
import type { AppDeps } from '../deps.ts';
import { withTenant } from '../db/tenant.ts';
import { HttpError } from '../http/errors.ts';
import { fieldErrors } from '../http/forms.ts';
import { audit } from '../audit/log.ts';
import { passwordProblem } from './passwords.ts';
import { changePassword } from './service.ts';

const ChangeForm = z
  .object({ current: z.string().min(1, 'Enter your current password.').max(200), password: z.string(), confirm: z.string() })
  .superRefine((v, ctx) => {
    const problem = passwordProblem(v.password);
    if (problem) ctx.addIssue({ code: 'custom', path: ['password'], message: problem });
    else if (v.password !== v.confirm) ctx.addIssue({ code: 'custom', path: ['confirm'], message: 'The two passwords differ.' });
  });

/** /admin/account: the signed-in person's own password, for every role. */
export function accountRoutes(deps: AppDeps): Router {
  const r = Router();
  const form = (res: Response, status: number, errors: Record<string, string> = {}) =>
    res.status(status).render('auth/change-password', { title: 'Your password', errors });

  r.get('/password', (_req, res) => form(res, 200));

  r.post('/password', async (req, res) => {
    const parsed = ChangeForm.safeParse(req.body ?? {});
    if (!parsed.success) return form(res, 422, fieldErrors(parsed.error));
    const user = req.user!;
    let changed: boolean;
    try {
      changed = await changePassword(deps, user, parsed.data.current, parsed.data.password, { ip: req.ip, sessionId: req.sessionID });
    } catch (err) {
      // Throttled like the login form: the form again, saying how long to wait.
      if (err instanceof HttpError && err.status === 429) return form(res.set(err.headers), 429, { _form: err.message, current: err.message });
      throw err;
    }
    if (!changed) return form(res, 422, { current: 'That is not your current password.' });
    await withTenant(deps.db, user.tenantId, (tx) => audit(tx, { userId: user.id }, { action: 'account.password', subjectType: 'user', subjectId: user.id }));
    req.session.flash = 'Your password is changed. Your other sessions have ended.';
    res.redirect(303, '/admin/account/password');
  });
  return r;
}
