import { Router, type Request, type Response } from 'express';
import { z } from 'zod';
import type { AppDeps } from '../deps.ts';
import { isUuid, withTenant } from '../db/tenant.ts';
import { statusOf } from '../http/errors.ts';
import { fieldErrors, formValues } from '../http/forms.ts';
import { Email } from '../tenancy/commands.ts';
import { BookingNotes, CustomerTimeZone } from '../bookings/commands.ts';
import { NotOffered, SlotRefused } from '../bookings/errors.ts';
import { calendarDate, queryDate, queryText } from '../http/params.ts';
import { singleLine } from '../http/text.ts';
import { createBooking, findAvailability } from '../bookings/service.ts';
import { dayInstantRange, formatInZoneWithName, localDate, parseHHMM, wallTimeToInstant } from '../scheduling/index.ts';
import { isoInZone } from '../bookings/present.ts';
import { TIME_ZONES } from '../tenancy/timezones.ts';
import type { Tenant } from '../tenancy/queries.ts';
import { scopeResources, type Viewer } from './scope.ts';
import { visibleResources } from './booking-queries.ts';
import { customerTold } from './bookings.ts';
import { DomainError } from '../errors.ts';
import { RepeatForm } from '../series/commands.ts';
import { occurrenceMessage } from '../series/errors.ts';
import { createSeries } from '../series/service.ts';

/** "Another time": the free times are radio buttons named `time`; the one typed instead comes as `otherTime`. */
const chosenTime = (body: Record<string, unknown>) => (body.time === 'other' ? body.otherTime : body.time);

const PhoneBooking = z.object({
  serviceId: z.uuid('Choose a service.'),
  resourceId: z.uuid('Choose who.'),
  date: calendarDate('Choose a date.'),
  time: z.string({ error: 'Enter a time like 14:30.' }).refine((s) => parseHHMM(s) !== null && s !== '24:00', 'Enter a time like 14:30.'),
  name: singleLine({ max: 200, required: 'Enter the customer’s name.' }),
  email: Email,
  phone: singleLine({ max: 40 }).transform((s) => (s === '' ? null : s)),
  timeZone: CustomerTimeZone,
  notes: BookingNotes,
});

/**
 * A booking taken over the phone: staff choose the service, the resource
 * and a local time; it goes through the one booking service with the same
 * collision guarantee. Staff may book inside the minimum notice and beyond
 * the horizon (the customer is on the line); never over another booking.
 */
export function newBookingRoutes(deps: AppDeps): Router {
  const r = Router();
  const tenantOf = (res: Response) => res.locals.tenant as Tenant;
  const viewerOf = (req: Request): Viewer => ({ id: req.user!.id, role: req.user!.role });

  async function form(req: Request, res: Response, status: number, values: Record<string, string>, errors: Record<string, string>) {
    const data = await withTenant(deps.db, tenantOf(res).id, async (tx) => ({
      services: await tx('services').where({ active: true }).orderBy(['position', 'name']).select('id', 'name', 'duration_min'),
      resources: await visibleResources(tx, viewerOf(req)),
    }));
    const free = await freeTimes(res, values, data.resources);
    res.status(status).render('admin/bookings/new', { title: 'New booking', ...data, values: { timeZone: tenantOf(res).timeZone, ...values }, errors, timeZones: TIME_ZONES, free });
  }

  /**
   * The free times of the chosen service, resource and day, as customers
   * see them (the same engine and rules), in the resource's zone: picked
   * instead of typed, so a time that cannot be booked does not wait for the
   * submit to say so. Staff may still type another time (inside the notice,
   * say). Null until service, resource and day are chosen.
   */
  async function freeTimes(res: Response, values: Record<string, string>, resources: { id: string; time_zone: string }[]) {
    const resource = resources.find((x) => x.id === values.resourceId);
    const date = values.date && /^\d{4}-\d{2}-\d{2}$/.test(values.date) ? values.date : undefined;
    if (!resource || !date || !isUuid(values.serviceId ?? '')) return null;
    try {
      const avail = await findAvailability(deps, tenantOf(res).id, { serviceId: values.serviceId!, resourceId: resource.id, range: dayInstantRange(date, resource.time_zone) });
      return {
        zone: resource.time_zone,
        times: avail.slots.filter((s) => localDate(s.start, resource.time_zone) === date)
          .map((s) => ({ value: isoInZone(s.start, resource.time_zone).slice(11, 16), label: formatInZoneWithName(s.start, resource.time_zone) })),
      };
    } catch (err) {
      if (err instanceof NotOffered) return { zone: resource.time_zone, times: [], notOffered: err.message };
      throw err;
    }
  }

  // With a service, a resource and a day in the query ("Show free times"), the form lists that day's free times.
  r.get('/bookings/new', (req, res) => {
    const pick = (k: string) => queryText(req, k) ?? '';
    return form(req, res, 200, { date: queryDate(req, 'date') ?? '', serviceId: pick('serviceId'), resourceId: pick('resourceId') }, {});
  });

  r.post('/bookings/new', async (req, res) => {
    const parsed = PhoneBooking.safeParse({ ...(req.body ?? {}), time: chosenTime(req.body ?? {}) });
    if (!parsed.success) return form(req, res, 422, formValues(req.body), fieldErrors(parsed.error));
    const f = parsed.data;
    const resource = await withTenant(deps.db, tenantOf(res).id, (tx) => scopeResources(tx, viewerOf(req)).where({ id: f.resourceId }).first('id', 'time_zone'));
    if (!resource) return form(req, res, 422, formValues(req.body), { resourceId: 'Choose who.' });
    const start = wallTimeToInstant(f.date, f.time, resource.time_zone);
    if (req.body?.repeat === 'weekly') return bookSeries(req, res, f, start);
    try {
      const { booking } = await createBooking(
        deps,
        tenantOf(res).id,
        { source: 'admin', userId: req.user!.id },
        { serviceId: f.serviceId, resourceId: f.resourceId, start, customer: { name: f.name, email: f.email, phone: f.phone, timeZone: f.timeZone }, notes: f.notes },
        { staffOverride: true },
      );
      req.session.flash = `Booked. ${customerTold(deps)}`;
      res.redirect(303, `/admin/bookings/${booking.id}`);
    } catch (err) {
      // A service or resource no longer offered is, on this form, a choice to make again.
      if (err instanceof SlotRefused || err instanceof NotOffered) {
        return form(req, res, err instanceof NotOffered ? 422 : statusOf(err), formValues(req.body), { time: err.message });
      }
      throw err;
    }
  });

  /**
   * "Repeat weekly" ticked: a series through the one booking service, as a
   * customer's, with the business's own rules (minimum notice and horizon
   * included: a series is not a call to squeeze in). All or nothing unless
   * "book the free ones" is chosen; what could not be booked is named.
   */
  async function bookSeries(req: Request, res: Response, f: z.infer<typeof PhoneBooking>, start: number) {
    const rule = RepeatForm.safeParse(req.body);
    if (!rule.success) return form(req, res, 422, formValues(req.body), fieldErrors(rule.error));
    const onConflict = req.body?.onConflict === 'skip' ? 'skip' : 'fail';
    try {
      const made = await createSeries(deps, tenantOf(res).id, { source: 'admin', userId: req.user!.id }, {
        serviceId: f.serviceId, resourceId: f.resourceId, start, recurrence: rule.data, customer: { name: f.name, email: f.email, phone: f.phone, timeZone: f.timeZone }, notes: f.notes,
      }, onConflict);
      const skipped = made.skipped.length ? ` Not booked: ${made.skipped.map((x) => `${x.start} (${occurrenceMessage(x.reason)})`).join('; ')}.` : '';
      req.session.flash = `Booked ${made.bookings.length} dates of the series, listed in one message. ${customerTold(deps)}${skipped}`;
      res.redirect(303, `/admin/bookings/${made.bookings[0]!.booking.id}`);
    } catch (err) {
      if (!(err instanceof DomainError) || (err instanceof NotOffered && !err.option)) throw err;
      const field = ({ 'recurrence.count': 'count', 'recurrence.until': 'until', 'recurrence.interval': 'interval', resource_id: 'resourceId', service_id: 'serviceId' } as Record<string, string>)[err.field ?? ''] ?? 'repeat';
      return form(req, res, statusOf(err), formValues(req.body), { [field]: err.message });
    }
  }

  return r;
}
