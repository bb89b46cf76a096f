import { Router, type Response } from 'express';
import { z } from 'zod';
import type { AppDeps } from '../deps.ts';
import { withTenant } from '../db/tenant.ts';
import { notFound } from '../http/errors.ts';
import { uuidParam } from '../http/params.ts';
import { minuteToHHMM } from '../catalog/queries.ts';
import { parseHHMM } from '../scheduling/index.ts';
import type { Tenant } from '../tenancy/queries.ts';
import { joinWaitlist, leaveWaitlist } from '../waitlist/service.ts';
import { listEntries, type WaitlistEntry } from '../waitlist/queries.ts';
import { ListQuery, parse, WaitlistCreate } from './schemas.ts';
import { list } from './serialize.ts';

const waitlistJson = (e: WaitlistEntry) => ({
  id: e.id,
  object: 'waitlist_entry',
  service_id: e.serviceId,
  resource_id: e.resourceId,
  from_date: e.fromDate,
  to_date: e.toDate,
  window: e.window && { start: minuteToHHMM(e.window.start), end: minuteToHHMM(e.window.end) },
  customer: { name: e.customer.name, email: e.customer.email, phone: e.customer.phone, time_zone: e.customer.timeZone },
  status: e.status,
  created_at: e.createdAt.toISOString(),
});

const WaitlistQuery = ListQuery.extend({
  service_id: z.uuid().optional(),
  status: z.enum(['waiting', 'offered', 'booked', 'passed', 'left', 'expired']).optional(),
});

/** The waitlist through the API: join for a customer, list, and remove an entry (as the customer leaving). */
export function waitlistApi(deps: AppDeps): Router {
  const r = Router();
  const tenantId = (res: Response) => (res.locals.tenant as Tenant).id;

  r.post('/waitlist', async (req, res) => {
    const b = parse(WaitlistCreate, req.body);
    const { entry } = await joinWaitlist(deps, tenantId(res), 'api', {
      serviceId: b.service_id, resourceId: b.resource_id ?? null, fromDate: b.from_date, toDate: b.to_date,
      window: b.window ? { start: parseHHMM(b.window.start)!, end: parseHHMM(b.window.end)! } : null,
      customer: { name: b.customer.name, email: b.customer.email, phone: b.customer.phone ?? null, timeZone: b.customer.time_zone },
    });
    res.status(201).json(waitlistJson(entry));
  });

  r.get('/waitlist', async (req, res) => {
    const q = parse(WaitlistQuery, req.query);
    const page = await withTenant(deps.db, tenantId(res), (tx) => listEntries(tx, { serviceId: q.service_id, status: q.status, limit: q.limit, startingAfter: q.starting_after }));
    res.json(list(page.data.map(waitlistJson), page.hasMore));
  });

  r.delete('/waitlist/:id', async (req, res) => {
    const left = await leaveWaitlist(deps, tenantId(res), uuidParam(req.params.id, 'No such waitlist entry.'));
    if (!left) throw notFound('No such waitlist entry.');
    res.status(204).end();
  });
  return r;
}
