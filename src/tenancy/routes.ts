import { Router } from 'express';
import type { AppDeps } from '../deps.ts';
import { tenantOrigin } from '../config.ts';
import { InvalidFields } from '../errors.ts';
import { fieldErrors, formValues } from '../http/forms.ts';
import { rateLimit } from '../http/rate-limit.ts';
import { SignUp } from './commands.ts';
import { signUp } from './service.ts';
import { TIME_ZONES } from './timezones.ts';
import type { Tenant } from './queries.ts';

/** The root domain: what Slotwise is, and sign-up. */
export function rootRoutes(deps: AppDeps): Router {
  const r = Router();
  const signupLimit = rateLimit(deps, { name: 'signup', limit: 10, windowSeconds: 60 * 60 });

  r.get('/', (_req, res) => res.render('root/landing', { title: 'Slotwise — online booking for your business' }));

  r.get('/signup', (_req, res) => res.render('root/signup', { title: 'Create your booking page', values: {}, errors: {}, timeZones: TIME_ZONES, baseDomain: deps.config.baseDomain }));

  r.post('/signup', signupLimit, async (req, res) => {
    const values = formValues(req.body);
    const rerender = (errors: Record<string, string>) =>
      res.status(422).render('root/signup', { title: 'Create your booking page', values, errors, timeZones: TIME_ZONES, baseDomain: deps.config.baseDomain });
    const parsed = SignUp.safeParse(req.body ?? {});
    if (!parsed.success) return rerender(fieldErrors(parsed.error));
    try {
      const { tenant, handoffToken } = await signUp(deps, parsed.data);
      res.redirect(303, `${tenantOrigin(deps.config, tenant.slug)}/auth/handoff?token=${encodeURIComponent(handoffToken)}`);
    } catch (err) {
      if (err instanceof InvalidFields) return rerender(err.errors);
      throw err;
    }
  });
  return r;
}

/** The tenant's brand stylesheet (its pages are in src/bookings/routes.ts). */
export function tenantBrandRoutes(): Router {
  const r = Router();
  // The accent colour as a stylesheet: the CSP allows no inline styles.
  r.get('/brand.css', (_req, res) => {
    const t = res.locals.tenant as Tenant;
    res
      .type('text/css')
      .set('Cache-Control', 'public, max-age=300')
      .send(`:root { --accent: ${t.accentColor}; }\n`);
  });
  return r;
}
