import { Router, type NextFunction, type Request, type Response } from 'express';
import type { PassportStatic } from 'passport';
import type { AppDeps } from '../deps.ts';
import { HttpError } from '../http/errors.ts';
import { fieldErrors, formValues } from '../http/forms.ts';
import { rateLimit } from '../http/rate-limit.ts';
import { rotateCsrfToken } from '../http/csrf.ts';
import type { Tenant } from '../tenancy/queries.ts';
import { ForgotPassword, Login, ResetPassword, safeNextPath } from './commands.ts';
import { isResetTokenValid, redeemLoginHandoff, requestPasswordReset, resetPassword } from './service.ts';
import type { User } from './queries.ts';

/** Sign in, sign out and password reset on a tenant subdomain. */
export function authRoutes(deps: AppDeps, passport: PassportStatic): Router {
  const r = Router();
  const tenantOf = (res: Response) => res.locals.tenant as Tenant;
  // Sign-in attempts are throttled where the password is checked (authenticate, throttle.ts), per account and address.
  const resetLimit = rateLimit(deps, { name: 'password-reset', limit: 5, windowSeconds: 60 * 60, scope: (req) => tenantOf(req.res!).id });

  const loginPage = (res: Response, status: number, values: Record<string, string>, errors: Record<string, string>) =>
    res.status(status).render('auth/login', { title: `Sign in — ${tenantOf(res).name}`, values, errors });

  r.get('/login', (req, res) => {
    if (req.user) return res.redirect(303, '/admin');
    const next = typeof req.query.next === 'string' ? req.query.next : '';
    loginPage(res, 200, { next }, {});
  });

  r.post('/login', (req, res, next) => {
    const values = formValues(req.body);
    const parsed = Login.safeParse(req.body ?? {});
    if (!parsed.success) return loginPage(res, 422, values, fieldErrors(parsed.error));
    passport.authenticate('local', (err: unknown, user: User | false) => {
      // Throttled: the form again, saying how long to wait, with Retry-After.
      if (err instanceof HttpError && err.status === 429) return loginPage(res.set(err.headers), 429, values, { _form: err.message });
      if (err) return next(err);
      if (!user) return loginPage(res, 401, values, { _form: 'That email and password do not match an account here.' });
      logIn(deps, req, res, next, user, safeNextPath(parsed.data.next));
    })(req, res, next);
  });

  r.post('/logout', (req, res, next) => {
    req.logout((err) => {
      if (err) return next(err);
      req.session.destroy(() => res.redirect(303, '/login'));
    });
  });

  r.get('/auth/handoff', async (req, res, next) => {
    const token = typeof req.query.token === 'string' ? req.query.token : '';
    const user = token ? await redeemLoginHandoff(deps, tenantOf(res).id, token) : undefined;
    if (!user) return loginPage(res, 410, {}, { _form: 'That sign-in link has expired. Sign in with your email and password.' });
    logIn(deps, req, res, next, user, '/admin');
  });

  r.get('/password/forgot', (_req, res) => res.render('auth/forgot', { title: 'Reset your password', values: {}, errors: {}, sent: false }));

  r.post('/password/forgot', resetLimit, async (req, res) => {
    const parsed = ForgotPassword.safeParse(req.body ?? {});
    if (!parsed.success) {
      return res.status(422).render('auth/forgot', { title: 'Reset your password', values: formValues(req.body), errors: fieldErrors(parsed.error), sent: false });
    }
    await requestPasswordReset(deps, tenantOf(res), parsed.data.email);
    res.render('auth/forgot', { title: 'Check your email', values: {}, errors: {}, sent: true });
  });

  r.get('/password/reset/:token', async (req, res) => {
    const ok = await isResetTokenValid(deps, tenantOf(res).id, req.params.token);
    if (!ok) return res.status(410).render('auth/reset-invalid', { title: 'Link expired' });
    res.render('auth/reset', { title: 'Choose a new password', errors: {} });
  });

  r.post('/password/reset/:token', resetLimit, async (req, res) => {
    const parsed = ResetPassword.safeParse(req.body ?? {});
    if (!parsed.success) return res.status(422).render('auth/reset', { title: 'Choose a new password', errors: fieldErrors(parsed.error) });
    const done = await resetPassword(deps, tenantOf(res).id, String(req.params.token), parsed.data.password, req.sessionID);
    if (!done) return res.status(410).render('auth/reset-invalid', { title: 'Link expired' });
    req.session.flash = 'Your password is changed, and every other session of yours has ended. Sign in with the new one.';
    res.redirect(303, '/login');
  });

  return r;
}

/**
 * passport regenerates the session on login (no fixation); the CSRF tokens
 * are bound to it and to a browser id, which is renewed too, and the browser
 * is sent to a full page that renders the new token.
 */
export function logIn(deps: AppDeps, req: Request, res: Response, next: NextFunction, user: User, to: string): void {
  req.login(user, (err) => {
    if (err) return next(err);
    rotateCsrfToken(req, res, { secret: deps.config.sessionSecret, secure: deps.config.scheme === 'https' });
    res.redirect(303, to);
  });
}
