import { Router, type Request, type Response } from 'express';
import type { AppDeps } from '../deps.ts';
import { withTenant } from '../db/tenant.ts';
import { notFound, statusOf } from '../http/errors.ts';
import { fieldErrors, formValues } from '../http/forms.ts';
import { rateLimit } from '../http/rate-limit.ts';
import { activeServices, resourcesForService } from '../catalog/queries.ts';
import { queryDate, queryInstant, queryText, queryZone } from '../http/params.ts';
import { canonicalTimeZone, dayInstantRange, formatInZoneWithName, isValidTimeZone, localDate } from '../scheduling/index.ts';
import type { Tenant } from '../tenancy/queries.ts';
import { CreateBooking, Instant } from './commands.ts';
import { CustomerDayFull, NotOffered, SlotRefused } from './errors.ts';
import { formatDuration, formatMoney, longDate } from './present.ts';
import { zoneLabel } from '../tenancy/timezones.ts';
import { renderPicker, type PickerQuery } from './picker.ts';
import { createBooking, findAvailability } from './service.ts';
import { bookingPaymentNote } from '../payments/present.ts';
import { onlineCharge } from '../payments/plan.ts';
import { changeRules } from './policy.ts';
import { repeatOffer } from '../series/present.ts';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/**
 * The customer booking flow on a tenant's subdomain, mobile first. Every
 * step is a real URL with plain links and forms; htmx swaps the day strip and
 * the times in place (the same handler returns the `_picker` fragment for
 * HX-Request), and works without JavaScript.
 */
export function bookingRoutes(deps: AppDeps): Router {
  const r = Router();
  const tenantOf = (res: Response) => res.locals.tenant as Tenant;
  const bookLimit = rateLimit(deps, { name: 'book', limit: 30, windowSeconds: 10 * 60, scope: (req) => tenantOf(req.res!).id });

  /** The services, optionally with why the visitor is back here (a form for a service that is gone). */
  async function home(res: Response, status: number, message?: string) {
    const tenant = tenantOf(res);
    const services = await withTenant(deps.db, tenant.id, (tx) => activeServices(tx));
    res.status(status).render('public/home', {
      title: tenant.name,
      message,
      services: services.map((s) => ({ ...s, price: s.priceMinor ? formatMoney(s.priceMinor, s.currency) : '', duration: formatDuration(s.durationMin) })),
    });
  }

  r.get('/', (_req, res) => home(res, 200));

  r.get('/book/:serviceId', async (req, res) => {
    const tenant = tenantOf(res);
    const serviceId = String(req.params.serviceId);
    if (!UUID.test(serviceId)) throw notFound('That service does not exist.');
    const resourceParam = queryText(req, 'resource');
    if (!resourceParam) {
      const resources = await withTenant(deps.db, tenant.id, (tx) => resourcesForService(tx, serviceId));
      if (resources.length > 1) return res.render('bookings/choose', { title: 'Choose who', serviceId, resources });
    }
    await renderPicker(deps, req, res, pickerQuery(req, tenant, deps.now(), serviceId, resourceParam), 200);
  });

  r.get('/book/:serviceId/details', async (req, res) => {
    const tenant = tenantOf(res);
    const q = pickerQuery(req, tenant, deps.now(), String(req.params.serviceId), queryText(req, 'resource'));
    const start = queryInstant(req, 'start');
    if (start === undefined) return renderPicker(deps, req, res, q, 422, 'Choose one of the offered times.');
    const avail = await findAvailability(deps, tenant.id, { serviceId: q.serviceId, resourceId: q.resource === 'any' ? null : q.resource, range: { start, end: start + 1 } });
    if (!avail.slots.some((s) => s.start === start)) {
      return renderPicker(deps, req, res, { ...q, date: localDate(start, q.tz) }, 409, 'That time was just taken. Please pick another time.');
    }
    res.render('bookings/details', detailsModel(avail, q, start, {}, {}, bookingPaymentNote(deps.config, tenant, avail.service), rulesFor(tenant, avail.service), Boolean(deps.config.sendgridApiKey), repeatOffer(deps.config, tenant, avail.service)));
  });

  // Bad input on the booking form answers 422 with the reason and writes
  // nothing: a time zone that is not one (the times page, to choose again),
  // an option or a service that is not offered (the times page of any
  // option, or the services). A URL that names no service stays a 404.
  r.post('/book/:serviceId', bookLimit, async (req, res) => {
    try {
      await submit(req, res);
    } catch (err) {
      if (err instanceof NotOffered && !res.headersSent) return home(res, 422, err.message);
      throw err;
    }
  });

  async function submit(req: Request, res: Response) {
    const tenant = tenantOf(res);
    const body = (req.body ?? {}) as Record<string, unknown>;
    const q = pickerQuery(req, tenant, deps.now(), String(req.params.serviceId), body.resource, body.tz);
    if (body.tz !== undefined && body.tz !== '' && !(typeof body.tz === 'string' && isValidTimeZone(body.tz))) {
      return renderPicker(deps, req, res, q, 422, 'Choose a time zone from the list.');
    }
    const parsed = CreateBooking.safeParse({
      serviceId: q.serviceId,
      resourceId: q.resource === 'any' ? null : q.resource,
      start: body.start ?? '',
      customer: { name: body.name ?? '', email: body.email ?? '', phone: body.phone ?? '', timeZone: q.tz },
      notes: body.notes ?? '',
    });
    const startParsed = Instant.safeParse(body.start);
    const start = startParsed.success ? startParsed.data : NaN;
    if (!parsed.success) {
      const errors = Object.fromEntries(Object.entries(fieldErrors(parsed.error)).map(([k, v]) => [k.replace(/^customer\./, ''), v]));
      if (errors.start || errors.serviceId || errors.resourceId || !Number.isFinite(start)) {
        return renderPicker(deps, req, res, q, 422, errors.start ?? errors.serviceId ?? errors.resourceId ?? 'Choose one of the offered times.');
      }
      const avail = await findAvailability(deps, tenant.id, { serviceId: q.serviceId, resourceId: q.resource === 'any' ? null : q.resource, range: { start, end: start + 1 } });
      return res.status(422).render('bookings/details', detailsModel(avail, q, start, formValues(body), errors, bookingPaymentNote(deps.config, tenant, avail.service), rulesFor(tenant, avail.service), Boolean(deps.config.sendgridApiKey), repeatOffer(deps.config, tenant, avail.service)));
    }
    try {
      const created = await createBooking(deps, tenant.id, { source: 'public', userId: null }, parsed.data);
      // A paid service: on to Stripe Checkout (CSP form-action allows it). Held without a session: the manage page offers to pay.
      res.redirect(303, created.payment?.checkoutUrl ?? `/manage/${created.manageToken}?booked=1`);
    } catch (err) {
      if (err instanceof SlotRefused || err instanceof CustomerDayFull) {
        return renderPicker(deps, req, res, { ...q, date: localDate(start, q.tz) }, statusOf(err), err.message);
      }
      // An option not offered: the times of any option, saying why (a service that is gone: the services, above).
      if (err instanceof NotOffered && err.option && q.resource !== 'any') {
        return renderPicker(deps, req, res, { ...q, resource: 'any', date: localDate(start, q.tz) }, 422, err.message);
      }
      throw err;
    }
  }

  const rulesFor = (tenant: Tenant, service: Parameters<typeof onlineCharge>[2]) => rulesShown(deps.config, tenant, service);

  return r;
}

/** The change and cancellation rules the details page shows, refund tiers included when this service is paid online. */
export const rulesShown = (config: AppDeps['config'], tenant: Tenant, service: Parameters<typeof onlineCharge>[2]) =>
  changeRules(tenant, onlineCharge(config, tenant, service, 'public') !== null);

export function pickerQuery(req: Request, tenant: Tenant, now: Date, serviceId: string, resource: unknown, tzOverride?: unknown): PickerQuery {
  if (!UUID.test(serviceId)) throw new NotOffered('That service does not exist.', false);
  const tz = (typeof tzOverride === 'string' ? canonicalTimeZone(tzOverride) : queryZone(req, 'tz')) ?? tenant.timeZone;
  const res = typeof resource === 'string' && (resource === 'any' || UUID.test(resource)) ? resource : 'any';
  const today = localDate(now.getTime(), tz);
  const fromRaw = queryDate(req, 'from') ?? today;
  const from = fromRaw < today ? today : fromRaw;
  return { serviceId, resource: res, tz, from, date: queryDate(req, 'date') };
}

const range0 = (q: PickerQuery) => dayInstantRange(q.from, q.tz).start;

/** The details step's page; also re-rendered by the series flow (src/series/routes.ts) with its errors. */
export function detailsModel(
  avail: Awaited<ReturnType<typeof findAvailability>>,
  q: PickerQuery,
  start: number,
  values: Record<string, string>,
  errors: Record<string, string>,
  paymentNote: string,
  changeRules: string[],
  mailSends: boolean,
  /** "Repeat weekly" (src/series/present.ts). */
  repeat: { offered: boolean; note: string } = { offered: false, note: '' },
) {
  return {
    title: `Your details — ${avail.service.name}`,
    service: { ...avail.service, duration: formatDuration(avail.service.durationMin), price: avail.service.priceMinor ? formatMoney(avail.service.priceMinor, avail.service.currency) : '' },
    resourceName: q.resource === 'any' ? 'Any available' : (avail.resources[0]?.name ?? ''),
    q,
    start: Number.isFinite(start) ? new Date(start).toISOString() : '',
    when: Number.isFinite(start) ? `${longDate(start, q.tz)}, ${formatInZoneWithName(start, q.tz)}` : '',
    tzLabel: zoneLabel(q.tz, Number.isFinite(start) ? start : range0(q)),
    backHref: `/book/${q.serviceId}?${new URLSearchParams({ resource: q.resource, tz: q.tz, ...(Number.isFinite(start) ? { date: localDate(start, q.tz) } : {}) })}`,
    values,
    errors,
    paymentNote,
    changeRules,
    mailSends,
    repeat,
  };
}
