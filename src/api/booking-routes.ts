import { Router, type Response } from 'express';
import type { AppDeps } from '../deps.ts';
import { withTenant } from '../db/tenant.ts';
import { notFound, validationFailed } from '../http/errors.ts';
import { uuidParam } from '../http/params.ts';
import { dayInstantRange } from '../scheduling/index.ts';
import { isoInZone } from '../bookings/present.ts';
import { answerRequest, bookingView, cancelBooking, rescheduleBooking } from '../bookings/service.ts';
import { listBookings } from '../bookings/queries.ts';
import { resourceById, serviceById, type Resource, type Service } from '../catalog/queries.ts';
import { bookingJson } from '../bookings/serialize.ts';
import { createBooking, findAvailability, type Actor } from '../bookings/service.ts';
import type { Tenant } from '../tenancy/queries.ts';
import { ApproveBody, AvailabilityQuery, BookingCreate, BookingListQuery, CancelBody, MAX_AVAILABILITY_DAYS, parse, RefundBody, RescheduleBody } from './schemas.ts';
import { refundBooking, refundJson } from '../payments/refunds.ts';
import { list } from './serialize.ts';
import { paymentsOf } from '../payments/queries.ts';

const API: Actor = { source: 'api', userId: null };

/** Availability and bookings: the same engine and the same booking service as the public pages. */
export function bookingApi(deps: AppDeps): Router {
  const r = Router();
  const tenantId = (res: Response) => (res.locals.tenant as Tenant).id;
  const idParam = (v: unknown) => uuidParam(v, 'No such booking.');

  r.get('/availability', async (req, res) => {
    const q = parse(AvailabilityQuery, req.query);
    const days = Math.round((Date.parse(q.to) - Date.parse(q.from)) / 86_400_000) + 1;
    if (days > MAX_AVAILABILITY_DAYS) throw validationFailed({ to: `the range may span at most ${MAX_AVAILABILITY_DAYS} days` });
    const range = { start: dayInstantRange(q.from, q.time_zone).start, end: dayInstantRange(q.to, q.time_zone).end };
    const avail = await findAvailability(deps, tenantId(res), { serviceId: q.service_id, resourceId: q.resource_id ?? null, range });
    res.json({
      object: 'availability',
      service_id: q.service_id,
      time_zone: q.time_zone,
      slots: avail.slots.map((s) => ({
        start: isoInZone(s.start, q.time_zone), end: isoInZone(s.end, q.time_zone), resource_id: s.resourceIds[0], resource_ids: s.resourceIds,
        // A class: the seats left at that time, over the resources listed.
        ...(avail.service.capacity > 1 && { seats_left: s.seatsLeft }),
      })),
    });
  });

  r.post('/bookings', async (req, res) => {
    const b = parse(BookingCreate, req.body);
    const created = await createBooking(deps, tenantId(res), API, {
      serviceId: b.service_id,
      resourceId: b.resource_id ?? null,
      start: b.start,
      customer: { name: b.customer.name, email: b.customer.email, phone: b.customer.phone ?? null, timeZone: b.customer.time_zone },
      notes: b.notes ?? null,
    });
    res.status(201).json(bookingJson(created));
  });

  r.get('/bookings', async (req, res) => {
    const q = parse(BookingListQuery, req.query);
    const page = await withTenant(deps.db, tenantId(res), async (tx) => {
      const p = await listBookings(tx, { from: q.from, to: q.to, status: q.status, resourceId: q.resource_id, serviceId: q.service_id, startingAfter: q.starting_after, limit: q.limit });
      // Each service and resource read once per page, one query at a time (a transaction is one connection).
      const services = new Map<string, Service>();
      const resources = new Map<string, Resource>();
      for (const b of p.data) {
        if (!services.has(b.serviceId)) services.set(b.serviceId, (await serviceById(tx, b.serviceId))!);
        if (!resources.has(b.resourceId)) resources.set(b.resourceId, (await resourceById(tx, b.resourceId))!);
      }
      const payments = await paymentsOf(tx, p.data.map((b) => b.id));
      const data = p.data.map((b) => bookingJson({ booking: b, service: services.get(b.serviceId)!, resource: resources.get(b.resourceId)!, payment: payments.get(b.id) ?? null }));
      return { data, hasMore: p.hasMore };
    });
    res.json(list(page.data, page.hasMore));
  });

  r.get('/bookings/:id', async (req, res) => {
    const view = await bookingView(deps, tenantId(res), idParam(req.params.id));
    if (!view) throw notFound('No such booking.');
    res.json(bookingJson(view));
  });

  r.post('/bookings/:id/cancel', async (req, res) => {
    const b = parse(CancelBody, req.body);
    res.json(bookingJson(await cancelBooking(deps, tenantId(res), API, idParam(req.params.id), b.reason ?? null)));
  });

  r.post('/bookings/:id/approve', async (req, res) => {
    parse(ApproveBody, req.body);
    res.json(bookingJson(await answerRequest(deps, tenantId(res), API, idParam(req.params.id), 'approve')));
  });

  r.post('/bookings/:id/decline', async (req, res) => {
    const b = parse(CancelBody, req.body);
    res.json(bookingJson(await answerRequest(deps, tenantId(res), API, idParam(req.params.id), 'decline', b.reason ?? null)));
  });

  r.post('/bookings/:id/refunds', async (req, res) => {
    const b = parse(RefundBody, req.body);
    const refund = await refundBooking(deps, tenantId(res), API, { bookingId: idParam(req.params.id), amount: b.amount, reason: b.reason });
    res.status(201).json(refundJson(refund));
  });

  r.post('/bookings/:id/reschedule', async (req, res) => {
    const b = parse(RescheduleBody, req.body);
    res.json(bookingJson(await rescheduleBooking(deps, tenantId(res), API, { bookingId: idParam(req.params.id), start: b.start, resourceId: b.resource_id ?? null })));
  });

  return r;
}
