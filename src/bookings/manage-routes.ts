import { Router, type Request, type Response } from 'express';
import type { AppDeps } from '../deps.ts';
import { HttpError, statusOf } from '../http/errors.ts';
import { fieldErrors, formValues } from '../http/forms.ts';
import { useTenant } from '../http/host.ts';
import { rateLimit } from '../http/rate-limit.ts';
import { queryDate, queryText, queryZone } from '../http/params.ts';
import { canonicalTimeZone, formatInZoneWithName, localDate } from '../scheduling/index.ts';
import type { Tenant } from '../tenancy/queries.ts';
import { CustomerCancel, Instant } from './commands.ts';
import { SlotRefused } from './errors.ts';
import { renderPicker, type PickerFlow, type PickerQuery } from './picker.ts';
import { customerMay, type CustomerAction } from './policy.ts';
import { formatDuration, longDate } from './present.ts';
import { openCheckout } from '../payments/checkout.ts';
import { paymentSummary } from '../payments/present.ts';
import { bookingForManageToken, cancelBooking, rescheduleBooking, type Actor, type BookingView } from './service.ts';
import { seriesOfBooking } from '../series/service.ts';
import { withTenant } from '../db/tenant.ts';
import type { Booking } from './model.ts';
import { occurrenceRows } from '../series/present.ts';

const CUSTOMER: Actor = { source: 'public', userId: null };

const invalidLink = () =>
  new HttpError(404, 'not_found', 'Link not valid', 'This booking link is not valid. Check the link in your confirmation email.');
const endedLink = () => new HttpError(410, 'gone', 'Booking ended', 'This booking has ended, so its link no longer works.');

/**
 * The customer's private manage link: see the booking in their own zone,
 * cancel it, or move it to another free time, within the tenant's rules.
 * Nothing here needs an account; the token is the key, and it stops working
 * once the booking has ended.
 */
/** What the series' cancel form (src/series/routes.ts) came back to say. */
function seriesNotice(req: Request): { ok: boolean; text: string } | null {
  const n = Number(queryText(req, 'n') ?? 0);
  const kept = Number(queryText(req, 'kept') ?? 0);
  switch (queryText(req, 'series')) {
    case 'cancelled':
      return { ok: true, text: `${n === 1 ? '1 booking is' : `${n} bookings are`} cancelled. We have sent a confirmation.${kept ? ` ${kept === 1 ? '1 booking is' : `${kept} bookings are`} too soon to cancel online and stay booked.` : ''}` };
    case 'nothing':
      return { ok: false, text: 'Nothing of this series is left to cancel online.' };
    case 'choose':
      return { ok: false, text: 'Choose which bookings of the series to cancel.' };
    default:
      return null;
  }
}

export function manageRoutes(deps: AppDeps): Router {
  const r = Router();
  const tenantOf = (res: Response) => res.locals.tenant as Tenant;
  // Every change through a link (each one mails the customer and the
  // business) counts, per address and business: a link cannot be used to
  // flood anyone's inbox, and forged tokens cannot be tried at speed.
  r.use('/manage', rateLimit(deps, { name: 'manage', limit: 20, windowSeconds: 60 * 60, scope: (req) => tenantOf(req.res!).id }));

  /** The occurrences of the booking's series, by start (a series' link manages the series too, src/series/). */
  type Occurrences = { occurrences: Booking[] } | undefined;
  const seriesOf = (res: Response, booking: Booking): Promise<Occurrences> =>
    booking.seriesId ? withTenant(deps.db, tenantOf(res).id, (tx) => seriesOfBooking(tx, booking)) : Promise.resolve(undefined);

  async function load(req: Request, res: Response): Promise<BookingView & { token: string; series?: Occurrences }> {
    const token = String(req.params.token);
    const found = await bookingForManageToken(deps, tenantOf(res).id, token);
    if (!found) throw invalidLink();
    const { tenant, ...view } = found;
    useTenant(res, tenant); // the rules as they are now decide (and the page shows them)
    if (view.booking.end.getTime() <= deps.now().getTime()) throw endedLink();
    return { ...view, token, series: await seriesOf(res, view.booking) };
  }

  function refuse(res: Response, v: BookingView & { token: string }, action: CustomerAction): boolean {
    const verdict = customerMay(tenantOf(res), v.booking, action, deps.now());
    if (verdict.ok) return false;
    res.status(409);
    void showBooking(res.req, res, v, { refused: verdict.reason });
    return true;
  }

  function showBooking(req: Request, res: Response, v: BookingView & { token: string; series?: Occurrences }, extra: Record<string, unknown> = {}) {
    const tenant = tenantOf(res);
    const { booking, service, resource } = v;
    const start = booking.start.getTime();
    const customerZone = booking.customer.timeZone;
    const now = deps.now();
    res.set('Cache-Control', 'no-store').render('bookings/manage', {
      title: `${service.name} — ${tenant.name}`,
      token: v.token,
      booking,
      service,
      resource,
      customer: { date: longDate(start, customerZone), time: formatInZoneWithName(start, customerZone), zone: customerZone },
      business: { date: longDate(start, resource.timeZone), time: formatInZoneWithName(start, resource.timeZone), zone: resource.timeZone },
      sameZone: customerZone === resource.timeZone,
      duration: formatDuration(service.durationMin),
      mayCancel: customerMay(tenant, booking, 'cancel', now),
      mayReschedule: customerMay(tenant, booking, 'reschedule', now),
      cutoff: tenant.changeCutoffMinutes ? formatDuration(tenant.changeCutoffMinutes) : '',
      pay: paymentSummary(v, tenant, now, req.query.paid === '1'),
      // Only a mail provider sends mail; without one, messages stay in the business's outbox.
      mailSends: Boolean(deps.config.sendgridApiKey),
      series: v.series ? occurrenceRows(v.series.occurrences, customerZone, booking.id) : null,
      seriesNotice: seriesNotice(req),
      ...extra,
    });
  }

  // The payment part alone, for htmx polling while a payment is being confirmed.
  r.get('/manage/:token/payment', async (req, res) => {
    const v = await load(req, res);
    res.set('Cache-Control', 'no-store').render('bookings/_payment', { token: v.token, pay: paymentSummary(v, tenantOf(res), deps.now(), true), csrfToken: res.locals.csrfToken });
  });

  // Pay a held booking (again): the same Checkout Session while it is open.
  r.post('/manage/:token/pay', async (req, res) => {
    const v = await load(req, res);
    let url: string | null = null;
    try {
      url = await openCheckout(deps, tenantOf(res).id, v.booking.id, v.token);
    } catch {
      url = null;
    }
    if (url) return res.redirect(303, url);
    res.status(409);
    showBooking(req, res, v, { refused: 'Online payment is not available for this booking right now. Please try again in a moment, or contact the business.' });
  });

  const flowFor = (v: BookingView & { token: string }): PickerFlow => ({
    basePath: `/manage/${v.token}/reschedule`,
    timePath: `/manage/${v.token}/reschedule/confirm`,
    page: 'bookings/reschedule',
    fixedResource: true,
    excludeBookingId: v.booking.id,
    currentStart: v.booking.start.getTime(),
    extra: { token: v.token, currentLabel: `${longDate(v.booking.start.getTime(), v.booking.customer.timeZone)}, ${formatInZoneWithName(v.booking.start.getTime(), v.booking.customer.timeZone)}` },
  });

  const pickerQuery = (req: Request, v: BookingView): PickerQuery => {
    const bodyTz = typeof req.body?.tz === 'string' ? canonicalTimeZone(req.body.tz as string) : null;
    const tz = queryZone(req, 'tz') ?? bodyTz ?? v.booking.customer.timeZone;
    const today = localDate(deps.now().getTime(), tz);
    const from = queryDate(req, 'from');
    // Opens on the booked day (a move is most often to another time that day or near it).
    const booked = localDate(v.booking.start.getTime(), tz);
    const date = queryDate(req, 'date') ?? (booked >= today ? booked : undefined);
    return { serviceId: v.booking.serviceId, resource: v.booking.resourceId, tz, from: from && from > today ? from : today, date };
  };

  r.get('/manage/:token', async (req, res) => {
    const v = await load(req, res);
    showBooking(req, res, v, { booked: queryText(req, 'booked') === '1', moved: queryText(req, 'moved') === '1' });
  });

  r.post('/manage/:token/cancel', async (req, res) => {
    const v = await load(req, res);
    if (refuse(res, v, 'cancel')) return;
    const reason = CustomerCancel.safeParse(req.body ?? {});
    if (!reason.success) {
      res.status(422);
      return showBooking(req, res, v, { reasonError: fieldErrors(reason.error).reason ?? 'Check the reason.', reasonValue: formValues(req.body).reason ?? '' });
    }
    // A cancellation is asked twice: the first post (no `confirm`) answers
    // with the question, the page's "Yes, cancel" carries it. With htmx the
    // browser asks (hx-confirm) and the one post carries it.
    if (req.body?.confirm !== 'yes') {
      const start = v.booking.start.getTime();
      const zone = v.booking.customer.timeZone;
      return res.set('Cache-Control', 'no-store').render('bookings/cancel-confirm', {
        title: 'Cancel your booking?',
        token: v.token,
        service: v.service,
        resource: v.resource,
        when: `${longDate(start, zone)}, ${formatInZoneWithName(start, zone)}`,
        reason: reason.data.reason,
        pay: paymentSummary(v, tenantOf(res), deps.now(), false),
      });
    }
    const done = await cancelBooking(deps, tenantOf(res).id, CUSTOMER, v.booking.id, reason.data.reason ? `Customer: ${reason.data.reason}` : 'Cancelled by the customer');
    showBooking(req, res, { ...done, token: v.token, series: await seriesOf(res, done.booking) }, { cancelledNow: true });
  });

  r.get('/manage/:token/reschedule', async (req, res) => {
    const v = await load(req, res);
    if (refuse(res, v, 'reschedule')) return;
    await renderPicker(deps, req, res, pickerQuery(req, v), 200, undefined, flowFor(v));
  });

  r.get('/manage/:token/reschedule/confirm', async (req, res) => {
    const v = await load(req, res);
    if (refuse(res, v, 'reschedule')) return;
    const q = pickerQuery(req, v);
    const start = Instant.safeParse(req.query.start ?? '');
    if (!start.success) return renderPicker(deps, req, res, q, 422, 'Choose one of the offered times.', flowFor(v));
    res.set('Cache-Control', 'no-store').render('bookings/reschedule-confirm', {
      title: 'Move your booking',
      token: v.token,
      tz: q.tz,
      start: new Date(start.data).toISOString(),
      from: flowFor(v).extra!.currentLabel,
      to: `${longDate(start.data, q.tz)}, ${formatInZoneWithName(start.data, q.tz)}`,
      service: v.service,
    });
  });

  r.post('/manage/:token/reschedule', async (req, res) => {
    const v = await load(req, res);
    if (refuse(res, v, 'reschedule')) return;
    const q = pickerQuery(req, v);
    const start = Instant.safeParse(req.body?.start ?? '');
    if (!start.success) return renderPicker(deps, req, res, q, 422, 'Choose one of the offered times.', flowFor(v));
    try {
      await rescheduleBooking(deps, tenantOf(res).id, CUSTOMER, { bookingId: v.booking.id, start: start.data });
    } catch (err) {
      if (err instanceof SlotRefused) {
        return renderPicker(deps, req, res, { ...q, date: localDate(start.data, q.tz) }, statusOf(err), err.message, flowFor(v));
      }
      throw err;
    }
    res.redirect(303, `/manage/${v.token}?moved=1`);
  });

  return r;
}
