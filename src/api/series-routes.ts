import { Router, type Response } from 'express';
import type { AppDeps } from '../deps.ts';
import { notFound } from '../http/errors.ts';
import { uuidParam } from '../http/params.ts';
import { bookingJson } from '../bookings/serialize.ts';
import type { Actor, BookingView } from '../bookings/model.ts';
import { cancelSeries, createSeries, seriesView } from '../series/service.ts';
import type { Series } from '../series/queries.ts';
import type { Tenant } from '../tenancy/queries.ts';
import { parse, SeriesCancel, SeriesCreate } from './schemas.ts';

const API: Actor = { source: 'api', userId: null };

/** A series as the API shows it, with its occurrences (bookings, as /bookings shows them). */
function seriesJson(s: Series, bookings: BookingView[]) {
  return {
    id: s.id,
    object: 'series',
    service_id: s.serviceId,
    resource_id: s.resourceId,
    time_zone: s.timeZone,
    recurrence: { frequency: s.recurrence.frequency, interval: s.recurrence.interval, ...(s.recurrence.count ? { count: s.recurrence.count } : { until: s.recurrence.until }) },
    customer: { name: s.customer.name, email: s.customer.email, phone: s.customer.phone, time_zone: s.customer.timeZone },
    created_at: s.createdAt.toISOString(),
    bookings: bookings.map(bookingJson),
  };
}

/** Recurring bookings: decided and written by the one booking service (src/series/service.ts). */
export function seriesApi(deps: AppDeps): Router {
  const r = Router();
  const tenantId = (res: Response) => (res.locals.tenant as Tenant).id;
  const idParam = (v: unknown) => uuidParam(v, 'No such series.');

  r.post('/series', async (req, res) => {
    const b = parse(SeriesCreate, req.body);
    const created = await createSeries(deps, tenantId(res), API, {
      serviceId: b.service_id,
      resourceId: b.resource_id,
      start: b.start,
      recurrence: b.recurrence,
      customer: { name: b.customer.name, email: b.customer.email, phone: b.customer.phone ?? null, timeZone: b.customer.time_zone },
      notes: b.notes ?? null,
    }, b.on_conflict);
    res.status(201).json({ ...seriesJson(created.series, created.bookings), skipped: created.skipped });
  });

  r.get('/series/:id', async (req, res) => {
    const view = await seriesView(deps, tenantId(res), idParam(req.params.id));
    if (!view) throw notFound('No such series.');
    res.json(seriesJson(view.series, view.occurrences));
  });

  r.post('/series/:id/cancel', async (req, res) => {
    const b = parse(SeriesCancel, req.body);
    const done = await cancelSeries(deps, tenantId(res), API, { seriesId: idParam(req.params.id), scope: b.scope, fromBookingId: b.from_booking_id ?? null, reason: b.reason ?? null });
    res.json({ ...seriesJson(done.series, done.occurrences), cancelled: done.cancelled.map((v) => v.booking.id) });
  });

  return r;
}
