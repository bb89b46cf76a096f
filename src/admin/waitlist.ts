import { Router, type Request, type Response } from 'express';
import { z } from 'zod';
import type { AppDeps } from '../deps.ts';
import { withTenant } from '../db/tenant.ts';
import { fieldErrors } from '../http/forms.ts';
import { requireRole } from '../http/guards.ts';
import { audit } from '../audit/log.ts';
import { minuteToHHMM } from '../catalog/queries.ts';
import { formatMinor } from '../payments/money.ts';
import { dayInstantRange, localDate } from '../scheduling/index.ts';
import { updateWaitlistHoldMinutes, type Tenant } from '../tenancy/queries.ts';
import { listEntries, offerStats } from '../waitlist/queries.ts';

const HoldForm = z.object({
  waitlistHoldMinutes: z.coerce.number({ error: 'Enter minutes, 5 to 1440.' }).int('Use whole minutes.').min(5, 'Use at least 5 minutes.').max(1440, 'Use at most 1440 minutes (a day).'),
});

/**
 * The waitlist as the business sees it: who waits for what, per service,
 * the offers made this month and how they ended, and what claimed offers
 * brought back. Owners and admins; they also set how long an offer holds.
 */
export function adminWaitlistRoutes(deps: AppDeps): Router {
  const r = Router();
  const managers = requireRole('owner', 'admin');
  const tenantOf = (res: Response) => res.locals.tenant as Tenant;

  async function page(_req: Request, res: Response, status = 200, extra: Record<string, unknown> = {}) {
    const tenant = tenantOf(res);
    const monthStart = new Date(dayInstantRange(`${localDate(deps.now().getTime(), tenant.timeZone).slice(0, 8)}01`, tenant.timeZone).start);
    const data = await withTenant(deps.db, tenant.id, async (tx) => ({
      waiting: (await listEntries(tx, { status: 'waiting', limit: 100 })).data,
      offered: (await listEntries(tx, { status: 'offered', limit: 100 })).data,
      services: new Map((await tx('services').select('id', 'name')).map((s: { id: string; name: string }) => [s.id, s.name])),
      resources: new Map((await tx('resources').select('id', 'name')).map((s: { id: string; name: string }) => [s.id, s.name])),
      stats: await offerStats(tx, monthStart),
    }));
    const groups = new Map<string, { service: string; rows: object[] }>();
    // In order of joining (each list is), those holding a time first.
    for (const e of [...data.offered, ...data.waiting]) {
      const g = groups.get(e.serviceId) ?? { service: data.services.get(e.serviceId) ?? '', rows: [] };
      g.rows.push({
        customer: e.customer.name, email: e.customer.email, status: e.status,
        with: e.resourceId ? (data.resources.get(e.resourceId) ?? '') : 'Anyone',
        days: e.fromDate === e.toDate ? e.fromDate : `${e.fromDate} – ${e.toDate}`,
        hours: e.window ? `${minuteToHHMM(e.window.start)}–${minuteToHHMM(e.window.end)} (${e.customer.timeZone})` : 'Any time',
        joined: localDate(e.createdAt.getTime(), tenant.timeZone),
      });
      groups.set(e.serviceId, g);
    }
    res.status(status).render('admin/waitlist', {
      title: 'Waitlist',
      groups: [...groups.values()],
      stats: data.stats,
      recovered: data.stats.recovered.map((m) => formatMinor(m.amount, m.currency)).join(' + ') || formatMinor(0, tenant.currency),
      values: { waitlistHoldMinutes: String(tenant.waitlistHoldMinutes) },
      errors: {},
      ...extra,
    });
  }

  r.get('/waitlist', managers, (req, res) => page(req, res));

  r.post('/waitlist/settings', managers, async (req, res) => {
    const parsed = HoldForm.safeParse(req.body ?? {});
    if (!parsed.success) return page(req, res, 422, { values: { waitlistHoldMinutes: String(req.body?.waitlistHoldMinutes ?? '') }, errors: fieldErrors(parsed.error) });
    const tenant = tenantOf(res);
    await withTenant(deps.db, tenant.id, async (tx) => {
      await updateWaitlistHoldMinutes(tx, parsed.data.waitlistHoldMinutes);
      await audit(tx, { userId: req.user!.id }, {
        action: 'settings.waitlist', subjectType: 'tenant', subjectId: tenant.id,
        before: { waitlist_hold_minutes: tenant.waitlistHoldMinutes }, after: { waitlist_hold_minutes: parsed.data.waitlistHoldMinutes },
      });
    });
    req.session.flash = 'Offer hold saved.';
    res.redirect(303, '/admin/waitlist');
  });
  return r;
}
