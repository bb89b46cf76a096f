import { Router } from 'express';
import type { AppDeps } from '../deps.ts';
import { withTenant } from '../db/tenant.ts';
import { fieldErrors, formValues } from '../http/forms.ts';
import { requireRole } from '../http/guards.ts';
import { recentOutbox } from '../mail/outbox.ts';
import { Branding } from '../tenancy/commands.ts';
import { saveBranding } from '../tenancy/service.ts';
import { TIME_ZONES } from '../tenancy/timezones.ts';
import type { Tenant } from '../tenancy/queries.ts';
import { developerRoutes } from './developers.ts';

/**
 * The dashboard. Mounted behind `requireUser` in src/http/app.ts: every route
 * here already has a signed-in user of this tenant; role rules are per route.
 */
export function adminRoutes(deps: AppDeps): Router {
  const r = Router();
  const managers = requireRole('owner', 'admin');

  r.get('/', (_req, res) => res.render('admin/dashboard', { title: 'Dashboard' }));

  r.get('/settings', managers, (_req, res) => {
    const t = res.locals.tenant as Tenant;
    const values = { name: t.name, logoUrl: t.logoUrl ?? '', accentColor: t.accentColor, timeZone: t.timeZone };
    res.render('admin/settings', { title: 'Business settings', values, errors: {}, timeZones: TIME_ZONES, saved: false });
  });

  r.post('/settings', managers, async (req, res) => {
    const parsed = Branding.safeParse(req.body ?? {});
    if (!parsed.success) {
      return res.status(422).render('admin/settings', {
        title: 'Business settings', values: formValues(req.body), errors: fieldErrors(parsed.error), timeZones: TIME_ZONES, saved: false,
      });
    }
    const tenant = res.locals.tenant as Tenant;
    await saveBranding(deps, tenant.id, parsed.data);
    req.session.flash = 'Settings saved.';
    res.redirect(303, '/admin/settings');
  });

  r.get('/outbox', managers, async (_req, res) => {
    const messages = await withTenant(deps.db, (res.locals.tenant as Tenant).id, (tx) => recentOutbox(tx));
    res.render('admin/outbox', { title: 'Outbox', messages });
  });

  r.use('/developers', developerRoutes(deps));
  return r;
}
