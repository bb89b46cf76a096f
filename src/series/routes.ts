import { Router, type Request, type Response } from 'express';
import type { AppDeps } from '../deps.ts';
import { DomainError } from '../errors.ts';
import { HttpError, statusOf } from '../http/errors.ts';
import { fieldErrors, formValues } from '../http/forms.ts';
import { rateLimit } from '../http/rate-limit.ts';
import { isValidTimeZone } from '../scheduling/index.ts';
import type { Tenant } from '../tenancy/queries.ts';
import { CreateBooking } from '../bookings/commands.ts';
import { NotOffered } from '../bookings/errors.ts';
import { renderPicker } from '../bookings/picker.ts';
import { detailsModel, pickerQuery, rulesShown } from '../bookings/routes.ts';
import { bookingForManageToken, findAvailability, type Actor } from '../bookings/service.ts';
import { bookingPaymentNote } from '../payments/present.ts';
import { RepeatForm, SeriesCancelForm } from './commands.ts';
import { SeriesConflict } from './errors.ts';
import { previewRows, repeatOffer } from './present.ts';
import { cancelSeries, createSeries, previewSeries, type OnConflict, type SeriesRequest } from './service.ts';

const CUSTOMER: Actor = { source: 'public', userId: null };

/** The form fields the preview page carries on, as hidden inputs, to the booking of the series. */
const CARRIED = ['resource', 'tz', 'start', 'name', 'email', 'phone', 'notes', 'repeat', 'interval', 'ends', 'count', 'until'] as const;

/**
 * The public side of recurring bookings, plain forms that work without
 * JavaScript:
 *
 * 1. the details form with "Repeat weekly" ticked posts to the usual
 *    `POST /book/:serviceId`, answered here (the one-off booking goes on
 *    to the booking routes): the preview, every occurrence with whether it
 *    can be booked and why not, writing nothing;
 * 2. from the preview, `POST /book/:serviceId/series` books all of them or
 *    the free ones, and leads to the first occurrence's manage page, which
 *    lists the series;
 * 3. from any occurrence's manage link, `POST /manage/:token/cancel-series`
 *    cancels it and the following ones, or all.
 */
export function seriesRoutes(deps: AppDeps): Router {
  const r = Router();
  const tenantOf = (res: Response) => res.locals.tenant as Tenant;
  const bookLimit = rateLimit(deps, { name: 'book', limit: 30, windowSeconds: 10 * 60, scope: (req) => tenantOf(req.res!).id });

  /** The request from the form, or the page that says what to fix (422). */
  async function readForm(req: Request, res: Response): Promise<SeriesRequest | undefined> {
    const tenant = tenantOf(res);
    const body = (req.body ?? {}) as Record<string, unknown>;
    const q = pickerQuery(req, tenant, deps.now(), String(req.params.serviceId), body.resource, body.tz);
    if (body.tz !== undefined && body.tz !== '' && !(typeof body.tz === 'string' && isValidTimeZone(body.tz))) {
      await renderPicker(deps, req, res, q, 422, 'Choose a time zone from the list.');
      return undefined;
    }
    const one = CreateBooking.safeParse({
      serviceId: q.serviceId, resourceId: q.resource === 'any' ? null : q.resource, start: body.start ?? '',
      customer: { name: body.name ?? '', email: body.email ?? '', phone: body.phone ?? '', timeZone: q.tz }, notes: body.notes ?? '',
    });
    const errors: Record<string, string> = {};
    if (!one.success) {
      const e = Object.fromEntries(Object.entries(fieldErrors(one.error)).map(([k, v]) => [k.replace(/^customer\./, ''), v]));
      if (e.start || e.serviceId || e.resourceId) {
        await renderPicker(deps, req, res, q, 422, e.start ?? e.serviceId ?? e.resourceId ?? 'Choose one of the offered times.');
        return undefined;
      }
      Object.assign(errors, e);
    }
    const rule = RepeatForm.safeParse(body);
    if (!rule.success) Object.assign(errors, fieldErrors(rule.error));
    const avail = await findAvailability(deps, tenant.id, { serviceId: q.serviceId, resourceId: q.resource === 'any' ? null : q.resource, range: { start: 0, end: 1 } });
    // A series names its resource: "any" is the only one there is, or a choice to make.
    const resourceId = q.resource !== 'any' ? q.resource : avail.resources.length === 1 ? avail.resources[0]!.id : null;
    if (!resourceId) errors.repeat = 'A recurring booking is with one person: go back and choose who.';
    if (Object.keys(errors).length || !one.success || !rule.success) {
      const start = one.success ? one.data.start : NaN;
      res.status(422).render('bookings/details', detailsModel(avail, q, start, formValues(body), errors, bookingPaymentNote(deps.config, tenant, avail.service), rulesShown(deps.config, tenant, avail.service), Boolean(deps.config.sendgridApiKey), repeatOffer(deps.config, tenant, avail.service)));
      return undefined;
    }
    return { serviceId: q.serviceId, resourceId, start: one.data.start, recurrence: rule.data, customer: one.data.customer, notes: one.data.notes };
  }

  /** A refusal of the series as asked (not allowed, paid online, a bad end): the details form again, saying why. */
  async function refuse(req: Request, res: Response, err: DomainError, s: SeriesRequest) {
    const tenant = tenantOf(res);
    const body = (req.body ?? {}) as Record<string, unknown>;
    const q = pickerQuery(req, tenant, deps.now(), String(req.params.serviceId), body.resource, body.tz);
    const avail = await findAvailability(deps, tenant.id, { serviceId: s.serviceId, resourceId: s.resourceId, range: { start: 0, end: 1 } });
    const field = ({ 'recurrence.count': 'count', 'recurrence.until': 'until', 'recurrence.interval': 'interval' } as Record<string, string>)[err.field ?? ''] ?? 'repeat';
    res.status(statusOf(err)).render('bookings/details', detailsModel(avail, q, s.start, formValues(body), { [field]: err.message }, bookingPaymentNote(deps.config, tenant, avail.service), rulesShown(deps.config, tenant, avail.service), Boolean(deps.config.sendgridApiKey), repeatOffer(deps.config, tenant, avail.service)));
  }

  async function showPreview(req: Request, res: Response, s: SeriesRequest, status = 200, message = '') {
    const plan = await previewSeries(deps, tenantOf(res).id, CUSTOMER, s);
    const rows = previewRows(plan.occurrences, s.customer.timeZone, plan.resource.timeZone);
    const values = formValues(req.body);
    res.status(status).set('Cache-Control', 'no-store').render('bookings/series-preview', {
      title: `Your dates — ${plan.service.name}`,
      service: plan.service,
      resource: plan.resource,
      rows,
      free: rows.filter((o) => o.bookable).length,
      hidden: CARRIED.filter((k) => values[k] !== undefined).map((k) => ({ name: k, value: k === 'resource' ? plan.resource.id : values[k]! })),
      serviceId: plan.service.id,
      zone: s.customer.timeZone,
      message,
    });
  }

  // The details form with "Repeat weekly" ticked: the preview. Anything else is a one-off booking (src/bookings/routes.ts).
  r.post('/book/:serviceId', (req, _res, next) => next(req.body?.repeat === 'weekly' ? undefined : 'route'), bookLimit, async (req, res) => {
    const s = await readForm(req, res);
    if (!s) return;
    try {
      await showPreview(req, res, s);
    } catch (err) {
      if (err instanceof NotOffered || !(err instanceof DomainError)) throw err;
      await refuse(req, res, err, s);
    }
  });

  r.post('/book/:serviceId/series', bookLimit, async (req, res) => {
    const s = await readForm(req, res);
    if (!s) return;
    const onConflict: OnConflict = req.body?.onConflict === 'skip' ? 'skip' : 'fail';
    try {
      const made = await createSeries(deps, tenantOf(res).id, CUSTOMER, s, onConflict);
      res.redirect(303, `/manage/${made.bookings[0]!.manageToken}?booked=1`);
    } catch (err) {
      // Taken since the preview: the preview again, as it is now.
      if (err instanceof SeriesConflict) return showPreview(req, res, s, 409, `${err.title}. Nothing was booked: here are the dates as they are now.`);
      if (err instanceof NotOffered || !(err instanceof DomainError)) throw err;
      await refuse(req, res, err, s);
    }
  });

  // Counted with the manage link's other changes (src/bookings/manage-routes.ts): each one mails the customer and the business.
  const manageLimit = rateLimit(deps, { name: 'manage', limit: 20, windowSeconds: 60 * 60, scope: (req) => tenantOf(req.res!).id });

  r.post('/manage/:token/cancel-series', manageLimit, async (req, res) => {
    const tenant = tenantOf(res);
    const token = String(req.params.token);
    const found = await bookingForManageToken(deps, tenant.id, token);
    if (!found) throw new HttpError(404, 'not_found', 'Link not valid', 'This booking link is not valid. Check the link in your confirmation email.');
    // As every manage route: the link of a booking that has ended no longer works.
    if (found.booking.end.getTime() <= deps.now().getTime()) throw new HttpError(410, 'gone', 'Booking ended', 'This booking has ended, so its link no longer works.');
    const back = (q: string) => res.redirect(303, `/manage/${token}?${q}`);
    const scope = SeriesCancelForm.safeParse(req.body ?? {});
    if (!scope.success) return back('series=choose');
    if (!found.booking.seriesId) return back('series=none');
    try {
      const done = await cancelSeries(deps, tenant.id, CUSTOMER, {
        seriesId: found.booking.seriesId, scope: scope.data.scope, fromBookingId: found.booking.id, reason: 'Cancelled by the customer',
      });
      back(`series=cancelled&n=${done.cancelled.length}&kept=${done.kept.length}`);
    } catch (err) {
      if (err instanceof DomainError && err.kind === 'conflict') return back('series=nothing');
      throw err;
    }
  });

  return r;
}

