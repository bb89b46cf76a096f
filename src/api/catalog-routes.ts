import { pricingErrors, type ServicePricing } from '../payments/money.ts';
import { Router, type Request, type Response } from 'express';
import type { AppDeps } from '../deps.ts';
import { withTenant, type TenantTx } from '../db/tenant.ts';
import { notFound } from '../http/errors.ts';
import { uuidParam } from '../http/params.ts';
import {
  insertHoliday, insertResource, insertService, listHolidays, listResources, listServices, resourceById, resourceIdsOfServices, rowVersion,
  serviceById, setServiceResources, updateResourceRow, updateServiceRow,
} from '../catalog/queries.ts';
import { deleteRow, replaceSchedule, scheduleOf } from '../catalog/service.ts';
import { localDate, validateServiceRules, type Weekday } from '../scheduling/index.ts';
import { validationFailed } from '../http/errors.ts';
import type { Tenant } from '../tenancy/queries.ts';
import { DAYS, HolidayCreate, ListQuery, parse, ResourceCreate, ResourcePatch, ScheduleBody, ServiceCreate, ServicePatch } from './schemas.ts';
import { holidayJson, list, resourceJson, scheduleJson, serviceJson } from './serialize.ts';
import { checkIfMatch, setEtag } from './preconditions.ts';

const idParam = (v: unknown) => uuidParam(v);

/** Resources (with their schedule), services and holidays, through the catalog's own writers. */
export function catalogApi(deps: AppDeps): Router {
  const r = Router();
  const tx = <T>(res: Response, fn: (tx: TenantTx) => Promise<T>) => withTenant(deps.db, (res.locals.tenant as Tenant).id, fn);

  r.get('/resources', async (req, res) => {
    const q = parse(ListQuery, req.query);
    const page = await tx(res, (t) => listResources(t, { limit: q.limit, startingAfter: q.starting_after }));
    res.json(list(page.data.map(resourceJson), page.hasMore));
  });
  r.post('/resources', async (req, res) => {
    const b = parse(ResourceCreate, req.body);
    const created = await tx(res, (t) => insertResource(t, { name: b.name, kind: b.kind, timeZone: b.time_zone, position: b.position }));
    res.status(201).json(resourceJson(created));
  });
  r.get('/resources/:id', async (req, res) => {
    const id = idParam(req.params.id);
    const { found, version } = await tx(res, async (t) => ({ found: await resourceById(t, id), version: await rowVersion(t, 'resources', id) }));
    if (!found || !version) throw notFound('No such resource.');
    setEtag(res, version);
    res.json(resourceJson(found));
  });
  r.patch('/resources/:id', async (req, res) => {
    const id = idParam(req.params.id);
    const b = parse(ResourcePatch, req.body);
    const { updated, version } = await tx(res, async (t) => {
      await ifMatches(t, req, 'resources', id, 'No such resource.');
      const updated = await updateResourceRow(t, id, { name: b.name, kind: b.kind, timeZone: b.time_zone, position: b.position, active: b.active });
      return { updated: updated!, version: (await rowVersion(t, 'resources', id))! };
    });
    setEtag(res, version);
    res.json(resourceJson(updated));
  });
  r.delete('/resources/:id', async (req, res) => {
    if (!(await tx(res, (t) => deleteRow(t, 'resources', idParam(req.params.id))))) throw notFound('No such resource.');
    res.status(204).end();
  });
  r.get('/resources/:id/schedule', async (req, res) => {
    const id = idParam(req.params.id);
    const { out, version } = await tx(res, async (t) => {
      const resource = await resourceById(t, id);
      if (!resource) throw notFound('No such resource.');
      return { out: await scheduleOf(t, id, localDate(deps.now().getTime(), resource.timeZone)), version: (await rowVersion(t, 'resources', id))! };
    });
    setEtag(res, version); // the resource's: a schedule change moves it
    res.json(scheduleJson(id, out));
  });
  r.put('/resources/:id/schedule', async (req, res) => {
    const id = idParam(req.params.id);
    const b = parse(ScheduleBody, req.body);
    const schedule = {
      weekly: b.weekly.map((w) => ({ weekday: (DAYS.indexOf(w.day) + 1) as Weekday, start: w.start, end: w.end })),
      overrides: b.overrides.map((o) => ({ date: o.date, windows: 'windows' in o ? o.windows : [] })),
    };
    const { saved, version } = await tx(res, async (t) => {
      await ifMatches(t, req, 'resources', id, 'No such resource.');
      const resource = (await resourceById(t, id))!;
      const today = localDate(deps.now().getTime(), resource.timeZone);
      await replaceSchedule(t, id, schedule, today);
      return { saved: await scheduleOf(t, id, today), version: (await rowVersion(t, 'resources', id))! };
    });
    setEtag(res, version);
    res.json(scheduleJson(id, saved));
  });

  /** The row locked, and the request's If-Match checked against its version; 404 when there is no such row. */
  const ifMatches = async (t: TenantTx, req: Request, table: 'services' | 'resources', id: string, missing: string) => {
    const version = await rowVersion(t, table, id, { lock: true });
    if (!version) throw notFound(missing);
    checkIfMatch(req, version);
  };
  const serviceOut = async (t: TenantTx, id: string) => {
    const s = await serviceById(t, id);
    if (!s) throw notFound('No such service.');
    return serviceJson(s, (await resourceIdsOfServices(t, [id])).get(id) ?? []);
  };
  const checkResources = async (t: TenantTx, ids: string[]) => {
    for (const [i, id] of ids.entries()) if (!(await resourceById(t, id))) throw validationFailed({ [`resource_ids.${i}`]: 'no such resource' });
  };

  r.get('/services', async (req, res) => {
    const q = parse(ListQuery, req.query);
    const out = await tx(res, async (t) => {
      const page = await listServices(t, { limit: q.limit, startingAfter: q.starting_after });
      const ids = await resourceIdsOfServices(t, page.data.map((s) => s.id));
      return list(page.data.map((s) => serviceJson(s, ids.get(s.id) ?? [])), page.hasMore);
    });
    res.json(out);
  });
  r.post('/services', async (req, res) => {
    const b = parse(ServiceCreate, req.body);
    const rules = {
      durationMin: b.duration_minutes, intervalMin: b.interval_minutes ?? b.duration_minutes, bufferBeforeMin: b.buffer_before_minutes,
      bufferAfterMin: b.buffer_after_minutes, minNoticeMin: b.min_notice_minutes, horizonDays: b.horizon_days, maxPerDay: b.max_per_day,
    };
    const out = await tx(res, async (t) => {
      await checkResources(t, b.resource_ids);
      const money = {
        priceMinor: b.price, depositMinor: b.deposit_amount ?? b.deposit, currency: b.currency, paymentMode: b.payment_mode, depositPercent: b.deposit_percent,
        requiresApproval: b.requires_approval,
      };
      checkPricing(money);
      const s = await insertService(t, { ...rules, ...money, approvalHoldHours: b.approval_hold_hours, capacity: b.capacity, allowSeries: b.allow_series, name: b.name, description: b.description, position: 0 });
      await setServiceResources(t, s.id, b.resource_ids);
      return serviceOut(t, s.id);
    });
    res.status(201).json(out);
  });
  r.get('/services/:id', async (req, res) => {
    const id = idParam(req.params.id);
    const { out, version } = await tx(res, async (t) => ({ out: await serviceOut(t, id), version: (await rowVersion(t, 'services', id))! }));
    setEtag(res, version);
    res.json(out);
  });
  r.patch('/services/:id', async (req, res) => {
    const id = idParam(req.params.id);
    const b = parse(ServicePatch, req.body);
    const { out, version } = await tx(res, async (t) => {
      await ifMatches(t, req, 'services', id, 'No such service.');
      const current = (await serviceById(t, id))!;
      const next = {
        ...current,
        ...(b.name !== undefined && { name: b.name }),
        ...(b.description !== undefined && { description: b.description }),
        ...(b.duration_minutes !== undefined && { durationMin: b.duration_minutes }),
        ...(b.interval_minutes !== undefined && { intervalMin: b.interval_minutes }),
        ...(b.buffer_before_minutes !== undefined && { bufferBeforeMin: b.buffer_before_minutes }),
        ...(b.buffer_after_minutes !== undefined && { bufferAfterMin: b.buffer_after_minutes }),
        ...(b.min_notice_minutes !== undefined && { minNoticeMin: b.min_notice_minutes }),
        ...(b.horizon_days !== undefined && { horizonDays: b.horizon_days }),
        ...(b.max_per_day !== undefined && { maxPerDay: b.max_per_day }),
        ...(b.price !== undefined && { priceMinor: b.price }),
        ...(b.deposit !== undefined && { depositMinor: b.deposit }),
        ...(b.deposit_amount !== undefined && { depositMinor: b.deposit_amount, depositPercent: null }),
        ...(b.deposit_percent !== undefined && { depositPercent: b.deposit_percent, ...(b.deposit_percent !== null && { depositMinor: 0 }) }),
        ...(b.payment_mode !== undefined && { paymentMode: b.payment_mode }),
        ...(b.currency !== undefined && { currency: b.currency }),
        ...(b.active !== undefined && { active: b.active }),
        ...(b.requires_approval !== undefined && { requiresApproval: b.requires_approval }),
        ...(b.approval_hold_hours !== undefined && { approvalHoldHours: b.approval_hold_hours }),
        ...(b.capacity !== undefined && { capacity: b.capacity }),
        ...(b.allow_series !== undefined && { allowSeries: b.allow_series }),
      };
      if (next.depositMinor > next.priceMinor) throw validationFailed({ deposit: 'must not exceed price' });
      checkPricing(next);
      const problems = validateServiceRules(next);
      if (problems.length) throw validationFailed({ rules: problems.join('; ') });
      const { id: _id, ...patch } = next;
      await updateServiceRow(t, id, patch);
      if (b.resource_ids) {
        await checkResources(t, b.resource_ids);
        await setServiceResources(t, id, b.resource_ids);
      }
      return { out: await serviceOut(t, id), version: (await rowVersion(t, 'services', id))! };
    });
    setEtag(res, version);
    res.json(out);
  });
  r.delete('/services/:id', async (req, res) => {
    if (!(await tx(res, (t) => deleteRow(t, 'services', idParam(req.params.id))))) throw notFound('No such service.');
    res.status(204).end();
  });

  r.get('/holidays', async (req, res) => {
    const q = parse(ListQuery, req.query);
    const page = await tx(res, (t) => listHolidays(t, { limit: q.limit, startingAfter: q.starting_after }));
    res.json(list(page.data.map(holidayJson), page.hasMore));
  });
  r.post('/holidays', async (req, res) => {
    const b = parse(HolidayCreate, req.body);
    const h = { name: b.name, start: b.start_date, end: b.end_date ?? b.start_date };
    const id = await tx(res, (t) => insertHoliday(t, h));
    res.status(201).json(holidayJson({ id, ...h }));
  });
  r.delete('/holidays/:id', async (req, res) => {
    if (!(await tx(res, (t) => deleteRow(t, 'holidays', idParam(req.params.id))))) throw notFound('No such holiday.');
    res.status(204).end();
  });
  return r;
}

/** Payment settings Stripe could not charge (below its minimum, no deposit) are refused, named by the API's fields. */
function checkPricing(s: ServicePricing): void {
  const errors = pricingErrors(s);
  const names: Record<string, string> = { priceMinor: 'price', depositMinor: 'deposit_amount', depositPercent: 'deposit_percent', requiresApproval: 'requires_approval' };
  if (Object.keys(errors).length) throw validationFailed(Object.fromEntries(Object.entries(errors).map(([k, v]) => [names[k] ?? k, v])));
}
