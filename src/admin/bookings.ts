import { Router, type Request, type Response } from 'express';
import { z } from 'zod';
import type { AppDeps } from '../deps.ts';
import { isBookableDate, queryDate, queryText, uuidParam } from '../http/params.ts';
import { multiLine, singleLine } from '../http/text.ts';
import { withTenant, type TenantTx } from '../db/tenant.ts';
import { notFound, statusOf } from '../http/errors.ts';
import { fieldErrors } from '../http/forms.ts';
import { Instant } from '../bookings/commands.ts';
import { renderPicker, type PickerFlow, type PickerQuery } from '../bookings/picker.ts';
import { BookingNotActive, NotPending, NotStarted, RequestExpired, SlotRefused } from '../bookings/errors.ts';
import { answerRequest, cancelBooking, recordOutcome, rescheduleBooking, type Actor } from '../bookings/service.ts';
import { requireRole } from '../http/guards.ts';
import { DomainError } from '../errors.ts';
import { SeriesCancelForm } from '../series/commands.ts';
import { occurrenceRows } from '../series/present.ts';
import { cancelSeries, seriesOfBooking } from '../series/service.ts';
import { notificationsOfBooking } from '../notifications/queries.ts';
import { audit } from '../audit/log.ts';
import { dayInstantRange, formatInZoneWithName, localDate } from '../scheduling/index.ts';
import { addDays, longDate } from '../bookings/present.ts';
import type { Tenant } from '../tenancy/queries.ts';
import { addBookingNote, adminBooking, bookingHistory, bookingNotes, gridHours, listAdminBookings, visibleResources, type AdminBookingRow } from './booking-queries.ts';
import { csvRow } from './csv.ts';
import { adminPaymentRoutes } from './payments.ts';
import { formatMinor } from '../payments/money.ts';
import { paymentOf, paymentTimeline, refundsOf } from '../payments/queries.ts';
import type { Viewer } from './scope.ts';
import { closedBands, gridItem, mondayOf, nowRow, openIntervals, rowsTouched, visibleRows, withLanes, type GridItem } from './time-grid.ts';
import type { NotificationStatus } from '../notifications/queries.ts';
import { messageStatusLabel } from '../notifications/status.ts';

const Id = z.uuid();
const STATUSES = ['pending', 'held', 'confirmed', 'cancelled', 'completed', 'no_show'] as const;
/** The list's filters: view state in the URL, so anything unreadable is simply no filter. */
const ListQuery = z.object({
  from: z.string().refine(isBookableDate).optional().catch(undefined),
  to: z.string().refine(isBookableDate).optional().catch(undefined),
  resource: Id.optional().catch(undefined),
  service: Id.optional().catch(undefined),
  status: z.enum(STATUSES).optional().catch(undefined),
  q: singleLine({ max: 100 }).optional().catch(undefined),
});
const NoteForm = z.object({ body: multiLine({ max: 2000, required: 'Write the note first.' }) });
const CancelForm = z.object({ reason: singleLine({ max: 500 }).default('') });
/** The series' own cancel form, beside the booking's (its own field, so the page has no id twice). */
const SeriesReasonForm = z.object({ seriesReason: singleLine({ max: 500 }).default('') });
const OutcomeForm = z.object({ outcome: z.enum(['completed', 'no_show']) });

/**
 * The provider's bookings: list with filters and CSV, detail with actions,
 * and day and week time grids. Every query is scoped by the viewer (staff:
 * their own resources only) in src/admin/scope.ts.
 */
export function adminBookingRoutes(deps: AppDeps): Router {
  const r = Router();
  const tenantOf = (res: Response) => res.locals.tenant as Tenant;
  const viewerOf = (req: Request): Viewer => ({ id: req.user!.id, role: req.user!.role });
  const actorOf = (req: Request): Actor => ({ source: 'admin', userId: req.user!.id });
  const idOf = (req: Request) => uuidParam(req.params.id, 'No such booking.');

  async function list(req: Request, res: Response) {
    const tenant = tenantOf(res);
    const q = ListQuery.parse(req.query);
    const from = q.from ?? localDate(deps.now().getTime(), tenant.timeZone);
    const to = q.to && q.to >= from ? q.to : addDays(from, 13);
    const filter = {
      from: new Date(dayInstantRange(from, tenant.timeZone).start),
      to: new Date(dayInstantRange(to, tenant.timeZone).end),
      resourceId: q.resource, serviceId: q.service, status: q.status, search: q.q || undefined,
    };
    const data = await withTenant(deps.db, tenant.id, async (tx) => ({
      rows: await listAdminBookings(tx, viewerOf(req), { ...filter, limit: req.path.endsWith('.csv') ? 10_000 : 500 }),
      resources: await visibleResources(tx, viewerOf(req)),
      services: await tx('services').orderBy('name').select('id', 'name'),
    }));
    return { tenant, q: { ...q, from, to }, ...data };
  }

  r.get('/bookings', async (req, res) => {
    const { tenant, q, rows, resources, services } = await list(req, res);
    const params = new URLSearchParams(Object.entries(q).filter((e): e is [string, string] => typeof e[1] === 'string' && e[1] !== ''));
    res.render('admin/bookings/list', {
      title: 'Bookings',
      q,
      resources,
      services,
      statuses: STATUSES,
      csvHref: `/admin/bookings.csv?${params}`,
      rows: rows.map((b) => ({
        ...b,
        // The business's clock, the resource's beside it when it works in another zone.
        when: `${longDate(b.starts_at.getTime(), tenant.timeZone)}, ${formatInZoneWithName(b.starts_at.getTime(), tenant.timeZone)}${
          b.resource_time_zone === tenant.timeZone ? '' : ` (${formatInZoneWithName(b.starts_at.getTime(), b.resource_time_zone)} for ${b.resource_name})`}`,
        paid: b.payment_status ? `${b.payment_status.replace('_', ' ')}: ${formatMinor(b.amount_paid ?? 0, b.payment_currency!)} paid${b.amount_refunded ? `, ${formatMinor(b.amount_refunded, b.payment_currency!)} refunded` : ''}` : '',
      })),
      zone: tenant.timeZone,
    });
  });

  r.get('/bookings.csv', async (req, res) => {
    const { rows, q } = await list(req, res);
    let out = csvRow(['id', 'status', 'start', 'end', 'time_zone', 'service', 'resource', 'customer_name', 'customer_email', 'customer_phone', 'customer_time_zone', 'notes', 'source', 'created_at',
      'payment_status', 'amount_paid', 'amount_refunded', 'currency']);
    for (const b of rows) {
      out += csvRow([b.id, b.status, b.starts_at, b.ends_at, b.resource_time_zone, b.service_name, b.resource_name, b.customer_name, b.customer_email, b.customer_phone, b.customer_time_zone, b.notes, b.source, b.created_at,
        b.payment_status ?? 'not_required', b.amount_paid ?? 0, b.amount_refunded ?? 0, b.payment_currency ?? '']);
    }
    res
      .type('text/csv; charset=utf-8')
      .set('Content-Disposition', `attachment; filename="bookings-${q.from}-to-${q.to}.csv"`)
      .set('Cache-Control', 'no-store')
      .send(out);
  });

  async function detail(req: Request, res: Response, status = 200, extra: Record<string, unknown> = {}) {
    const tenant = tenantOf(res);
    const id = idOf(req);
    const data = await withTenant(deps.db, tenant.id, async (tx) => {
      const booking = await adminBooking(tx, viewerOf(req), id);
      if (!booking) return undefined;
      return {
        booking, history: await bookingHistory(tx, id), notes: await bookingNotes(tx, id), messages: await notificationsOfBooking(tx, id),
        payment: await paymentOf(tx, id), timeline: await paymentTimeline(tx, id), refunds: await refundsOf(tx, id),
        // An occurrence of a series: the whole series (src/series/).
        series: await seriesOfBooking(tx, { seriesId: booking.series_id }),
      };
    });
    if (!data) throw notFound('No such booking.');
    const b = data.booking;
    const at = (zone: string) => `${longDate(b.starts_at.getTime(), zone)}, ${formatInZoneWithName(b.starts_at.getTime(), zone)}`;
    const { series, ...rest } = data;
    res.status(status).render('admin/bookings/show', {
      title: `${b.customer_name} — ${b.service_name}`,
      ...rest,
      // On the business's clock, as every time of the dashboard.
      series: series ? occurrenceRows(series.occurrences, tenant.timeZone, b.id) : null,
      // The business's clock first; the resource's and the customer's beside it where they differ.
      whenBusiness: at(tenant.timeZone),
      whenResource: b.resource_time_zone === tenant.timeZone ? '' : at(b.resource_time_zone),
      whenCustomer: b.customer_time_zone === tenant.timeZone || b.customer_time_zone === b.resource_time_zone ? '' : at(b.customer_time_zone),
      started: b.starts_at.getTime() <= deps.now().getTime(),
      requestExpires: b.hold_expires_at ? `${longDate(b.hold_expires_at.getTime(), tenant.timeZone)}, ${formatInZoneWithName(b.hold_expires_at.getTime(), tenant.timeZone)}` : '',
      noteErrors: {},
      cancelErrors: {},
      seriesErrors: {},
      refundErrors: {},
      money: (n: number) => formatMinor(n, data.payment?.currency ?? 'USD'),
      mayRefund: req.user!.role === 'owner' || req.user!.role === 'admin',
      mayAnswer: req.user!.role === 'owner' || req.user!.role === 'admin',
      mailSends: Boolean(deps.config.sendgridApiKey),
      statusLabel: (s: NotificationStatus) => messageStatusLabel(s, Boolean(deps.config.sendgridApiKey)),
      ...extra,
    });
  }

  /** Throws the 404 a staff member gets for a booking outside their resources. */
  async function visible(req: Request, res: Response): Promise<AdminBookingRow> {
    const b = await withTenant(deps.db, tenantOf(res).id, (tx) => adminBooking(tx, viewerOf(req), idOf(req)));
    if (!b) throw notFound('No such booking.');
    return b;
  }

  r.get('/bookings/:id', (req, res) => detail(req, res));
  r.use(adminPaymentRoutes(deps, detail));

  r.post('/bookings/:id/cancel', async (req, res) => {
    const b = await visible(req, res);
    const parsed = CancelForm.safeParse(req.body ?? {});
    if (!parsed.success) return detail(req, res, 422, { cancelErrors: fieldErrors(parsed.error) });
    // Asked twice, as on the customer's manage page: without `confirm` the
    // answer is the question (htmx asks in the browser and sends it).
    if (req.body?.confirm !== 'yes') {
      return res.render('admin/bookings/cancel-confirm', {
        title: `Cancel ${b.customer_name}'s booking?`,
        booking: b,
        when: `${longDate(b.starts_at.getTime(), tenantOf(res).timeZone)}, ${formatInZoneWithName(b.starts_at.getTime(), tenantOf(res).timeZone)}`,
        reason: parsed.data.reason,
      });
    }
    try {
      await cancelBooking(deps, tenantOf(res).id, actorOf(req), b.id, parsed.data.reason || null);
    } catch (err) {
      if (err instanceof BookingNotActive) return detail(req, res, statusOf(err), { actionError: err.message });
      throw err;
    }
    req.session.flash = `The booking is cancelled. ${customerTold(deps)}`;
    res.redirect(303, `/admin/bookings/${b.id}`);
  });

  // A request (a pending booking) is answered by an owner or admin, through the booking service.
  for (const answer of ['approve', 'decline'] as const) {
    r.post(`/bookings/:id/${answer}`, requireRole('owner', 'admin'), async (req, res) => {
      const b = await visible(req, res);
      const parsed = CancelForm.safeParse(req.body ?? {});
      if (!parsed.success) return detail(req, res, 422, { answerErrors: fieldErrors(parsed.error) });
      try {
        await answerRequest(deps, tenantOf(res).id, actorOf(req), b.id, answer, parsed.data.reason || null);
      } catch (err) {
        if (err instanceof NotPending || err instanceof RequestExpired) return detail(req, res, statusOf(err), { actionError: err.message });
        throw err;
      }
      req.session.flash = answer === 'approve' ? 'Approved: the booking is confirmed and the customer is being told.' : 'Declined: the time is free again and the customer is being told.';
      res.redirect(303, `/admin/bookings/${b.id}`);
    });
  }
  // Cancel an occurrence and the following ones, or the whole series; each under the same rules as one cancellation.
  r.post('/bookings/:id/cancel-series', async (req, res) => {
    const b = await visible(req, res);
    const parsed = SeriesReasonForm.safeParse(req.body ?? {});
    const scope = SeriesCancelForm.safeParse(req.body ?? {});
    if (!parsed.success) return detail(req, res, 422, { seriesErrors: fieldErrors(parsed.error) });
    if (!scope.success) return detail(req, res, 422, { actionError: fieldErrors(scope.error).scope ?? 'Choose which occurrences to cancel.' });
    const seriesId = b.series_id;
    if (!seriesId) return detail(req, res, 422, { actionError: 'This booking is not part of a series.' });
    let n = 0;
    try {
      n = (await cancelSeries(deps, tenantOf(res).id, actorOf(req), { seriesId, scope: scope.data.scope, fromBookingId: b.id, reason: parsed.data.seriesReason || null })).cancelled.length;
    } catch (err) {
      if (err instanceof DomainError && err.kind !== 'not_found') return detail(req, res, statusOf(err), { actionError: err.message });
      throw err;
    }
    req.session.flash = `${n === 1 ? '1 booking of the series is' : `${n} bookings of the series are`} cancelled. ${customerTold(deps)}`;
    res.redirect(303, `/admin/bookings/${b.id}`);
  });

  const moveFlow = (b: AdminBookingRow): PickerFlow => ({
    basePath: `/admin/bookings/${b.id}/reschedule`,
    timePath: `/admin/bookings/${b.id}/reschedule/confirm`,
    page: 'admin/bookings/reschedule',
    fixedResource: true,
    excludeBookingId: b.id,
    currentStart: b.starts_at.getTime(),
    extra: { booking: b },
  });
  const moveQuery = (req: Request, b: AdminBookingRow): PickerQuery => {
    const from = queryDate(req, 'from') ?? localDate(deps.now().getTime(), b.resource_time_zone);
    const date = queryDate(req, 'date') ?? localDate(b.starts_at.getTime(), b.resource_time_zone);
    return { serviceId: b.service_id, resource: b.resource_id, tz: b.resource_time_zone, from, date };
  };

  // Staff move a booking to a free time of the same resource (in its zone), through the one booking path.
  r.get('/bookings/:id/reschedule', async (req, res) => {
    const b = await visible(req, res);
    await renderPicker(deps, req, res, moveQuery(req, b), 200, undefined, moveFlow(b));
  });

  r.get('/bookings/:id/reschedule/confirm', async (req, res) => {
    const b = await visible(req, res);
    const start = Instant.safeParse(req.query.start ?? '');
    if (!start.success) return renderPicker(deps, req, res, moveQuery(req, b), 422, 'Choose one of the offered times.', moveFlow(b));
    const zone = b.resource_time_zone;
    res.render('admin/bookings/reschedule-confirm', {
      title: 'Move booking',
      booking: b,
      start: new Date(start.data).toISOString(),
      from: `${longDate(b.starts_at.getTime(), zone)}, ${formatInZoneWithName(b.starts_at.getTime(), zone)}`,
      to: `${longDate(start.data, zone)}, ${formatInZoneWithName(start.data, zone)}`,
    });
  });

  r.post('/bookings/:id/reschedule', async (req, res) => {
    const b = await visible(req, res);
    const start = Instant.safeParse(req.body?.start ?? '');
    if (!start.success) return renderPicker(deps, req, res, moveQuery(req, b), 422, 'Choose one of the offered times.', moveFlow(b));
    try {
      await rescheduleBooking(deps, tenantOf(res).id, actorOf(req), { bookingId: b.id, start: start.data });
    } catch (err) {
      if (err instanceof SlotRefused) {
        return renderPicker(deps, req, res, { ...moveQuery(req, b), date: localDate(start.data, b.resource_time_zone) }, statusOf(err), err.message, moveFlow(b));
      }
      throw err;
    }
    req.session.flash = `Moved. ${customerTold(deps)}`;
    res.redirect(303, `/admin/bookings/${b.id}`);
  });

  r.post('/bookings/:id/outcome', async (req, res) => {
    const b = await visible(req, res);
    const parsed = OutcomeForm.safeParse(req.body ?? {});
    if (!parsed.success) return detail(req, res, 422, { actionError: 'Choose completed or no-show.' });
    try {
      await recordOutcome(deps, tenantOf(res).id, actorOf(req), b.id, parsed.data.outcome);
    } catch (err) {
      if (err instanceof BookingNotActive || err instanceof NotStarted) return detail(req, res, statusOf(err), { actionError: err.message });
      throw err;
    }
    req.session.flash = parsed.data.outcome === 'completed' ? 'Marked as completed.' : 'Marked as a no-show.';
    res.redirect(303, `/admin/bookings/${b.id}`);
  });

  r.post('/bookings/:id/notes', async (req, res) => {
    const b = await visible(req, res);
    const parsed = NoteForm.safeParse(req.body ?? {});
    if (!parsed.success) return detail(req, res, 422, { noteErrors: fieldErrors(parsed.error) });
    await withTenant(deps.db, tenantOf(res).id, async (tx) => {
      await addBookingNote(tx, b.id, req.user!.id, parsed.data.body);
      await audit(tx, { userId: req.user!.id }, { action: 'booking.note', subjectType: 'booking', subjectId: b.id, after: { note: parsed.data.body } });
    });
    res.redirect(303, `/admin/bookings/${b.id}#notes`);
  });

  // Each resource in a column of its own, its closed hours shaded, all on one clock: the
  // business's. A resource in another zone shows its hours shifted (its own zone named in
  // its column's head), so 9 AM in one column is 9 AM in the next.
  r.get('/day', async (req, res) => {
    const tenant = tenantOf(res);
    const date = queryDate(req, 'date') ?? localDate(deps.now().getTime(), tenant.timeZone);
    const columns = await withTenant(deps.db, tenant.id, async (tx) => {
      const resources = await visibleResources(tx, viewerOf(req));
      const hours = await gridHours(tx, resources, date, date);
      // One query at a time: a transaction is one connection.
      const out = [];
      const zone = tenant.timeZone;
      for (const res0 of resources) {
        out.push({
          resource: res0,
          items: await gridItemsOn(tx, viewerOf(req), date, zone, res0),
          now: nowRow(deps.now().getTime(), date, zone),
          open: rowsTouched(openIntervals(hours.resources.filter((h) => h.resourceId === res0.id), hours.holidays, dayInstantRange(date, zone)), date, zone),
        });
      }
      return out;
    });
    const rows = visibleRows(columns.flatMap((c) => c.items), columns.map((c) => c.now), columns.flatMap((c) => [...c.open]));
    res.render('admin/day', {
      title: `Day — ${date}`, date, dateLabel: longDate(dayInstantRange(date, tenant.timeZone).start + 43_200_000, tenant.timeZone), prev: addDays(date, -1), next: addDays(date, 1), ...rows,
      zone: tenant.timeZone,
      columns: columns.map((c) => ({ ...c, bands: closedBands(c.open, date, tenant.timeZone, rows.offset, rows.end), ownZone: c.resource.time_zone === tenant.timeZone ? '' : c.resource.time_zone })),
    });
  });

  // One resource, or all of them (the default when there are several) side by side where they overlap,
  // always on the business's clock (a resource in another zone shows its hours shifted); shaded where
  // none of them is open.
  r.get('/week', async (req, res) => {
    const tenant = tenantOf(res);
    const date = queryDate(req, 'date') ?? localDate(deps.now().getTime(), tenant.timeZone);
    const monday = mondayOf(date);
    const data = await withTenant(deps.db, tenant.id, async (tx) => {
      const resources = await visibleResources(tx, viewerOf(req));
      const chosen = resources.find((x) => x.id === queryText(req, 'resource')) ?? (resources.length === 1 ? resources[0] : undefined);
      const zone = tenant.timeZone;
      // A resource's local dates run up to a day either side of the business's.
      const hours = await gridHours(tx, chosen ? [chosen] : resources, addDays(monday, -1), addDays(monday, 7));
      const open = openIntervals(hours.resources, hours.holidays, { start: dayInstantRange(monday, zone).start, end: dayInstantRange(addDays(monday, 6), zone).end });
      const days = [];
      for (let i = 0; i < 7; i++) {
        const day = addDays(monday, i);
        const noon = dayInstantRange(day, zone).start + 43_200_000;
        const items = withLanes(await gridItemsOn(tx, viewerOf(req), day, zone, chosen));
        days.push({ date: day, label: longDate(noon, zone).replace(/, \d{4}$/, ''), items, now: nowRow(deps.now().getTime(), day, zone), open: rowsTouched(open, day, zone) });
      }
      return { resources, chosen, zone, days };
    });
    const rows = visibleRows(data.days.flatMap((d) => d.items), data.days.map((d) => d.now), data.days.flatMap((d) => [...d.open]));
    const days = data.days.map((d) => ({ ...d, bands: closedBands(d.open, d.date, data.zone, rows.offset, rows.end) }));
    res.render('admin/week', { title: 'Week', monday, prev: addDays(monday, -7), next: addDays(monday, 7), ...rows, ...data, days });
  });

  return r;
}

/**
 * Bookings that overlap the local `date` in `zone`, placed on its grid (cancelled ones left out): of one
 * resource, or of every resource the viewer may see, each then named.
 */
async function gridItemsOn(tx: TenantTx, viewer: Viewer, date: string, zone: string, resource?: { id: string }): Promise<GridItem[]> {
  const { start, end } = dayInstantRange(date, zone);
  // From a day earlier: a booking that starts before midnight may run into this day.
  const rows = await listAdminBookings(tx, viewer, { from: new Date(start - 86_400_000), to: new Date(end), resourceId: resource?.id, limit: 500 });
  return rows
    .filter((b) => b.ends_at.getTime() > start && b.status !== 'cancelled')
    .map((b) => gridItem({
      id: b.id, start: b.starts_at.getTime(), end: b.ends_at.getTime(), status: b.status,
      title: resource ? `${b.customer_name} · ${b.service_name}` : `${b.customer_name} · ${b.service_name} · ${b.resource_name}`,
    }, zone, start, end));
}

/** What happens to the customer's message: sent by the mail provider, or, without one, kept in the outbox. */
export const customerTold = (deps: AppDeps): string =>
  deps.config.sendgridApiKey ? 'The customer is being told by email.' : 'The message to the customer is kept in the outbox (no mail provider is set up).';
