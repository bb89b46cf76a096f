import { Router, type Request, type Response } from 'express';
import { z } from 'zod';
import type { AppDeps } from '../deps.ts';
import { HttpError } from '../http/errors.ts';
import { fieldErrors, formValues } from '../http/forms.ts';
import { calendarDate, queryText, queryZone } from '../http/params.ts';
import { rateLimit } from '../http/rate-limit.ts';
import { withTenant } from '../db/tenant.ts';
import { InvalidFields } from '../errors.ts';
import { CustomerName, CustomerPhone, CustomerTimeZone } from '../bookings/commands.ts';
import { Email } from '../tenancy/commands.ts';
import { addDays, longDate } from '../bookings/present.ts';
import { claimPrice } from './mail.ts';
import { loadOffer } from '../bookings/service.ts';
import { NotOffered } from '../bookings/errors.ts';
import { minuteToHHMM, resourceById, serviceById } from '../catalog/queries.ts';
import { formatInZoneWithName, localDate, parseHHMM } from '../scheduling/index.ts';
import type { Tenant } from '../tenancy/queries.ts';
import { claimOffer, declineOffer, entryForToken, joinWaitlist, leaveWaitlist, NoWaitlist, type EntryView } from './service.ts';

const TimeOfDay = z.string().trim().default('').transform((s, ctx) => {
  if (s === '') return null;
  const m = parseHHMM(s);
  if (m === null) {
    ctx.addIssue({ code: 'custom', message: 'Enter a time like 09:30, or leave it empty.' });
    return z.NEVER;
  }
  return m;
});

/** The join form: who, which days, and optionally a time of day (both ends, or neither). */
const JoinForm = z.object({
  name: CustomerName,
  email: Email,
  phone: CustomerPhone.default(''),
  from: calendarDate('Choose the first day.'),
  to: calendarDate('Choose the last day.'),
  after: TimeOfDay,
  before: TimeOfDay,
}).superRefine((f, ctx) => {
  if ((f.after === null) !== (f.before === null)) ctx.addIssue({ code: 'custom', path: [f.after === null ? 'after' : 'before'], message: 'Give both times, or neither.' });
});

/**
 * The public waitlist: join from a service's times page when nothing fits,
 * and the customer's private waitlist link (see their place, claim or
 * decline the time held for them, or leave). The link's token is the key,
 * as a booking's manage link.
 */
export function waitlistRoutes(deps: AppDeps): Router {
  const r = Router();
  const tenantOf = (res: Response) => res.locals.tenant as Tenant;
  r.use('/waitlist', rateLimit(deps, { name: 'waitlist', limit: 30, windowSeconds: 60 * 60, scope: (req) => tenantOf(req.res!).id }));
  // Joining mails the address typed in, as booking does: under the booking form's limit.
  const joinLimit = rateLimit(deps, { name: 'book', limit: 30, windowSeconds: 10 * 60, scope: (req) => tenantOf(req.res!).id });

  async function joinPage(req: Request, res: Response, status = 200, extra: Record<string, unknown> = {}) {
    const tenant = tenantOf(res);
    const resourceParam = queryText(req, 'resource') ?? String(req.body?.resource ?? '');
    const resource = resourceParam && resourceParam !== 'any' ? resourceParam : null;
    const tz = queryZone(req, 'tz') ?? (typeof req.body?.tz === 'string' && CustomerTimeZone.safeParse(req.body.tz).success ? req.body.tz : tenant.timeZone);
    const offer = await withTenant(deps.db, tenant.id, (tx) => loadOffer(tx, String(req.params.serviceId), resource));
    const today = localDate(deps.now().getTime(), tz);
    res.status(status).render('waitlist/join', {
      title: `Waitlist: ${offer.service.name}`,
      service: offer.service,
      resourceName: resource ? offer.resources[0]!.name : 'anyone available',
      resource: resource ?? 'any',
      tz,
      values: { from: today, to: addDays(today, 13), name: '', email: '', phone: '', after: '', before: '' },
      errors: {},
      ...extra,
    });
  }

  r.get('/book/:serviceId/waitlist', async (req, res) => {
    try {
      await joinPage(req, res);
    } catch (err) {
      if (err instanceof NotOffered) throw new HttpError(404, 'not_found', 'Not found', err.message);
      throw err;
    }
  });

  r.post('/book/:serviceId/waitlist', joinLimit, async (req, res) => {
    const tenant = tenantOf(res);
    const rerender = (status: number, errors: Record<string, string>) => joinPage(req, res, status, { values: formValues(req.body), errors });
    const parsed = JoinForm.safeParse(req.body ?? {});
    if (!parsed.success) return rerender(422, fieldErrors(parsed.error));
    const f = parsed.data;
    const resource = typeof req.body?.resource === 'string' && req.body.resource !== 'any' ? req.body.resource : null;
    const tz = typeof req.body?.tz === 'string' && CustomerTimeZone.safeParse(req.body.tz).success ? req.body.tz : tenant.timeZone;
    try {
      const { token } = await joinWaitlist(deps, tenant.id, 'public', {
        serviceId: String(req.params.serviceId), resourceId: resource, fromDate: f.from, toDate: f.to,
        window: f.after === null || f.before === null ? null : { start: f.after, end: f.before },
        customer: { name: f.name, email: f.email, phone: f.phone, timeZone: tz },
      });
      res.redirect(303, `/waitlist/${token}?joined=1`);
    } catch (err) {
      if (err instanceof InvalidFields) {
        const names: Record<string, string> = { from_date: 'from', to_date: 'to', window: 'before' };
        return rerender(422, Object.fromEntries(Object.entries(err.errors).map(([k, v]) => [names[k] ?? k, v])));
      }
      if (err instanceof NoWaitlist) return rerender(422, { _form: err.message });
      if (err instanceof NotOffered) throw new HttpError(404, 'not_found', 'Not found', err.message);
      throw err;
    }
  });

  const invalidLink = () => new HttpError(404, 'not_found', 'Link not valid', 'This waitlist link is not valid. Check the link in your email.');

  async function load(req: Request, res: Response): Promise<EntryView & { token: string }> {
    const token = String(req.params.token);
    const view = await entryForToken(deps, tenantOf(res).id, token);
    if (!view) throw invalidLink();
    return { ...view, token };
  }

  async function show(req: Request, res: Response, v: EntryView & { token: string }, status = 200, extra: Record<string, unknown> = {}) {
    const tenant = tenantOf(res);
    const zone = v.entry.customer.timeZone;
    const { service, resource } = await withTenant(deps.db, tenant.id, async (tx) => ({
      service: await serviceById(tx, v.entry.serviceId),
      resource: v.held ? await resourceById(tx, v.held.resourceId) : v.entry.resourceId ? await resourceById(tx, v.entry.resourceId) : undefined,
    }));
    // A private link's page (the customer's address on it): never cached, as a booking's manage page.
    res.status(status).set('Cache-Control', 'no-store').render('waitlist/entry', {
      title: 'Your waitlist place',
      token: v.token,
      entry: v.entry,
      serviceName: service?.name ?? '',
      resourceName: resource?.name ?? 'anyone available',
      days: v.entry.fromDate === v.entry.toDate ? longDate(Date.parse(`${v.entry.fromDate}T12:00:00Z`), 'UTC') : `${longDate(Date.parse(`${v.entry.fromDate}T12:00:00Z`), 'UTC')} – ${longDate(Date.parse(`${v.entry.toDate}T12:00:00Z`), 'UTC')}`,
      hours: v.entry.window ? `between ${minuteToHHMM(v.entry.window.start)} and ${minuteToHHMM(v.entry.window.end)}` : '',
      zone,
      held: v.held && {
        when: `${longDate(v.held.start.getTime(), zone)}, ${formatInZoneWithName(v.held.start.getTime(), zone)}`,
        until: formatInZoneWithName(v.held.holdExpiresAt.getTime(), zone),
        // A service paid online: claiming goes to payment, as booking it would.
        pay: service && claimPrice(deps, tenant, service),
      },
      joined: req.query.joined === '1',
      holdMinutes: tenant.waitlistHoldMinutes,
      ...extra,
    });
  }

  r.get('/waitlist/:token', async (req, res) => show(req, res, await load(req, res)));

  r.post('/waitlist/:token/claim', async (req, res) => {
    const v = await load(req, res);
    const created = await claimOffer(deps, tenantOf(res).id, v.token);
    // To Stripe's Checkout when the service is paid online (the manage page offers to pay again, should it not open).
    if (created.booking.status === 'held') return res.redirect(303, created.payment?.checkoutUrl ?? `/manage/${created.manageToken}`);
    res.redirect(303, `/manage/${created.manageToken}?booked=1`);
  });

  r.post('/waitlist/:token/decline', async (req, res) => {
    const v = await load(req, res);
    await declineOffer(deps, tenantOf(res).id, v.token);
    res.redirect(303, `/waitlist/${v.token}`);
  });

  r.post('/waitlist/:token/leave', async (req, res) => {
    const v = await load(req, res);
    await leaveWaitlist(deps, tenantOf(res).id, v.entry.id);
    res.redirect(303, `/waitlist/${v.token}`);
  });
  return r;
}
