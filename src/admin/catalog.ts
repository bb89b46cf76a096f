import { DEFAULT_APPROVAL_HOLD_HOURS } from '../catalog/service.ts';
import { isZeroDecimal } from '../payments/money.ts';
import { venueReason } from '../payments/plan.ts';
import { Router, type Request, type Response } from 'express';
import type { AppDeps } from '../deps.ts';
import { uuidParam } from '../http/params.ts';
import { withTenant, type TenantTx } from '../db/tenant.ts';
import { DomainError } from '../errors.ts';
import { notFound } from '../http/errors.ts';
import { formValues } from '../http/forms.ts';
import { requireRole } from '../http/guards.ts';
import { audit } from '../audit/log.ts';
import {
  deleteOverride, insertHoliday, insertResource, insertService, overridesOf, replaceOverride, replaceWeeklyHours, resourceById, rowVersion,
  serviceById, setServiceResources, updateResourceRow, updateServiceRow, weeklyHoursOf, resourceIdsOfServices,
} from '../catalog/queries.ts';
import { dayInstantRange, formatInZone, localDate } from '../scheduling/index.ts';
import { addDays, formatMoney, longDate } from '../bookings/present.ts';
import { NotOffered } from '../bookings/errors.ts';
import { findAvailability } from '../bookings/service.ts';
import { TIME_ZONES } from '../tenancy/timezones.ts';
import type { Tenant } from '../tenancy/queries.ts';
import {
  checkHolidayForm, checkOverrideForm, checkResourceForm, checkServiceForm, checkWeekForm, FORM_LABELS, formatWindows, WEEKDAYS, type Checked,
} from './catalog-forms.ts';

const stale = () =>
  new DomainError('conflict', 'stale_edit', 'Changed by someone else', 'Someone else saved changes since you opened this page. Your changes were not saved: here is the current version.');

/**
 * htmx, as a form is typed: the problems so far (422) or that it can be
 * saved (200), from the same check* function its save route calls. Only the
 * message region is answered, never the inputs (a late answer must not
 * overwrite what is being typed), and nothing is read or written.
 */
const answerCheck = (res: Response, checked: Checked<unknown>, labels: Record<string, string>) =>
  res.status(checked.ok ? 200 : 422).render('admin/catalog/_check', { errors: checked.ok ? {} : checked.errors, labels });
/** A new resource is bookable from the start; the create form has no such box. */
const newResourceBody = (req: Request) => ({ ...req.body, active: 'on' });

/**
 * Resources, their hours and date overrides, services and holidays, edited
 * by owners and admins. Every save is one transaction; a save over a
 * version someone else changed in the meantime is refused (409), not
 * silently overwritten.
 */
export function catalogRoutes(deps: AppDeps): Router {
  const r = Router();
  r.use(requireRole('owner', 'admin'));
  const tenantOf = (res: Response) => res.locals.tenant as Tenant;
  const tx = <T>(res: Response, fn: (t: TenantTx) => Promise<T>) => withTenant(deps.db, tenantOf(res).id, fn);
  const idOf = (req: Request) => uuidParam(req.params.id);
  const auditAs = (req: Request) => ({ userId: req.user!.id });

  // ---- resources -------------------------------------------------------------------------
  r.get('/resources', async (_req, res) => {
    const resources = await tx(res, (t) => t('resources').orderBy(['position', 'name']).select('id', 'name', 'kind', 'time_zone', 'active'));
    res.render('admin/catalog/resources', { title: 'Resources', resources, values: { timeZone: tenantOf(res).timeZone, kind: 'staff' }, errors: {}, timeZones: TIME_ZONES });
  });

  r.post('/resources/check', (req, res) => answerCheck(res, checkResourceForm(newResourceBody(req)), FORM_LABELS.resource));
  r.post('/resources', async (req, res) => {
    const checked = checkResourceForm(newResourceBody(req));
    if (!checked.ok) {
      const resources = await tx(res, (t) => t('resources').orderBy(['position', 'name']).select('id', 'name', 'kind', 'time_zone', 'active'));
      return res.status(422).render('admin/catalog/resources', { title: 'Resources', resources, values: formValues(req.body), errors: checked.errors, timeZones: TIME_ZONES });
    }
    const form = checked.value;
    const created = await tx(res, async (t) => {
      const row = await insertResource(t, { name: form.name, kind: form.kind, timeZone: form.timeZone, position: form.position });
      await audit(t, auditAs(req), { action: 'resource.create', subjectType: 'resource', subjectId: row.id, after: form });
      return row;
    });
    req.session.flash = 'Resource added. Now set its hours.';
    res.redirect(303, `/admin/resources/${created.id}`);
  });

  async function resourcePage(req: Request, res: Response, status = 200, extra: Record<string, unknown> = {}) {
    const id = idOf(req);
    const data = await tx(res, async (t) => {
      const resource = await resourceById(t, id);
      if (!resource) throw notFound('No such resource.');
      const today = localDate(deps.now().getTime(), resource.timeZone);
      const weekly = (await weeklyHoursOf(t, [id])).get(id) ?? [];
      const overrides = (await overridesOf(t, [id], today, '9999-12-31')).get(id) ?? [];
      return { resource, weekly, overrides, version: await rowVersion(t, 'resources', id) };
    });
    const days = WEEKDAYS.map((name, i) => formatWindows(data.weekly.filter((w) => w.weekday === i + 1)));
    res.status(status).render('admin/catalog/resource', {
      title: data.resource.name,
      resource: data.resource,
      version: data.version,
      values: { name: data.resource.name, kind: data.resource.kind, timeZone: data.resource.timeZone, position: String(data.resource.position), active: data.resource.active ? 'on' : '' },
      days,
      weekdays: WEEKDAYS,
      overrides: data.overrides.map((o) => ({ date: o.date, text: o.windows.length ? formatWindows(o.windows) : 'Closed' })),
      errors: {}, hourErrors: {}, overrideErrors: {}, overrideValues: {},
      timeZones: TIME_ZONES,
      ...extra,
    });
  }

  r.get('/resources/:id', (req, res) => resourcePage(req, res));

  r.post('/resources/:id/check', (req, res) => {
    idOf(req); // a malformed id is a 404 here too, as for the save
    answerCheck(res, checkResourceForm(req.body), FORM_LABELS.resource);
  });
  r.post('/resources/:id', async (req, res) => {
    const id = idOf(req);
    const checked = checkResourceForm(req.body);
    if (!checked.ok) return resourcePage(req, res, 422, { values: formValues(req.body), errors: checked.errors });
    try {
      await tx(res, async (t) => {
        const current = await resourceById(t, id);
        const version = await rowVersion(t, 'resources', id, { lock: true });
        if (!current || !version) throw notFound('No such resource.');
        if (req.body?.version !== version) throw stale();
        await updateResourceRow(t, id, checked.value);
        await audit(t, auditAs(req), { action: 'resource.update', subjectType: 'resource', subjectId: id, before: current, after: checked.value });
      });
    } catch (err) {
      if (err instanceof DomainError && err.kind === 'conflict') return resourcePage(req, res, 409, { actionError: err.message });
      throw err;
    }
    req.session.flash = 'Saved.';
    res.redirect(303, `/admin/resources/${id}`);
  });

  r.post('/resources/:id/hours/check', (req, res) => {
    idOf(req); // a malformed id is a 404 here too, as for the save
    answerCheck(res, checkWeekForm(req.body), FORM_LABELS.hours);
  });
  r.post('/resources/:id/hours', async (req, res) => {
    const id = idOf(req);
    const checked = checkWeekForm(req.body);
    if (!checked.ok) return resourcePage(req, res, 422, { hourErrors: checked.errors, days: WEEKDAYS.map((_, i) => String(req.body?.[`day${i}`] ?? '')) });
    const weekly = checked.value;
    await tx(res, async (t) => {
      if (!(await resourceById(t, id))) throw notFound('No such resource.');
      const before = (await weeklyHoursOf(t, [id])).get(id);
      await replaceWeeklyHours(t, id, weekly);
      await audit(t, auditAs(req), { action: 'resource.hours', subjectType: 'resource', subjectId: id, before, after: weekly });
    });
    req.session.flash = 'Weekly hours saved.';
    res.redirect(303, `/admin/resources/${id}`);
  });

  r.post('/resources/:id/overrides/check', (req, res) => {
    idOf(req); // a malformed id is a 404 here too, as for the save
    answerCheck(res, checkOverrideForm(req.body), FORM_LABELS.override);
  });
  r.post('/resources/:id/overrides', async (req, res) => {
    const id = idOf(req);
    const checked = checkOverrideForm(req.body);
    if (!checked.ok) return resourcePage(req, res, 422, { overrideErrors: checked.errors, overrideValues: formValues(req.body) });
    const override = checked.value;
    await tx(res, async (t) => {
      if (!(await resourceById(t, id))) throw notFound('No such resource.');
      await replaceOverride(t, id, override);
      await audit(t, auditAs(req), { action: 'resource.override', subjectType: 'resource', subjectId: id, after: override });
    });
    req.session.flash = `Hours for ${override.date} saved.`;
    res.redirect(303, `/admin/resources/${id}`);
  });

  r.post('/resources/:id/overrides/:date/delete', async (req, res) => {
    const id = idOf(req);
    const date = String(req.params.date);
    const n = await tx(res, async (t) => {
      const deleted = await deleteOverride(t, id, date);
      if (deleted) await audit(t, auditAs(req), { action: 'resource.override_delete', subjectType: 'resource', subjectId: id, before: { date } });
      return deleted;
    });
    if (!n) throw notFound('No such date.');
    res.redirect(303, `/admin/resources/${id}`);
  });

  // ---- services --------------------------------------------------------------------------
  const serviceValues = (s: Awaited<ReturnType<typeof serviceById>> & object, resourceIds: string[]) => ({
    name: s.name, description: s.description, durationMin: String(s.durationMin), intervalMin: String(s.intervalMin),
    bufferBeforeMin: String(s.bufferBeforeMin), bufferAfterMin: String(s.bufferAfterMin), minNoticeMin: String(s.minNoticeMin),
    horizonDays: String(s.horizonDays), maxPerDay: s.maxPerDay === null ? '' : String(s.maxPerDay), price: majorUnits(s.priceMinor, s.currency),
    deposit: majorUnits(s.depositMinor, s.currency), currency: s.currency, resourceIds, active: s.active ? 'on' : '',
    paymentMode: s.paymentMode, depositPercent: s.depositPercent === null ? '' : String(s.depositPercent),
    requiresApproval: s.requiresApproval ? 'on' : '', approvalHoldHours: String(s.approvalHoldHours), capacity: String(s.capacity), allowSeries: s.allowSeries ? 'on' : '',
  });
  const majorUnits = (minor: number, currency: string) => (isZeroDecimal(currency) ? String(minor) : (minor / 100).toFixed(2));
  const NEW_SERVICE = { name: '', description: '', durationMin: '30', intervalMin: '30', bufferBeforeMin: '0', bufferAfterMin: '0', minNoticeMin: '60', horizonDays: '60', maxPerDay: '', price: '0.00', deposit: '0.00', currency: 'USD', resourceIds: [] as string[], active: 'on', paymentMode: 'none', depositPercent: '', requiresApproval: '', approvalHoldHours: String(DEFAULT_APPROVAL_HOLD_HOURS), capacity: '1', allowSeries: '' };

  r.get('/services', async (_req, res) => {
    const services = await tx(res, (t) => t('services').orderBy(['position', 'name']));
    res.render('admin/catalog/services', { title: 'Services', services: services.map((s) => ({ ...s, price: formatMoney(s.price_minor, s.currency) })) });
  });

  async function servicePage(req: Request, res: Response, id: string | undefined, status = 200, extra: Record<string, unknown> = {}) {
    const tenant = tenantOf(res);
    const data = await tx(res, async (t) => {
      const resources = await t('resources').where({ active: true }).orderBy(['position', 'name']).select('id', 'name');
      if (!id) return { resources, service: undefined, values: NEW_SERVICE, version: undefined };
      const service = await serviceById(t, id);
      if (!service) throw notFound('No such service.');
      const ids = (await resourceIdsOfServices(t, [id])).get(id) ?? [];
      return { resources, service, values: serviceValues(service, ids), version: await rowVersion(t, 'services', id) };
    });
    const preview = data.service ? await previewWeek(deps, tenant, data.service.id) : [];
    // Why a paid service would be paid at the venue now (no Stripe, not connected), said where it is set.
    const paymentNote = venueReason(deps.config, tenant);
    res.status(status).render('admin/catalog/service', { title: data.service?.name ?? 'New service', ...data, preview, paymentNote, errors: {}, ...extra });
  }

  r.get('/services/new', (req, res) => servicePage(req, res, undefined));
  r.get('/services/:id', (req, res) => servicePage(req, res, idOf(req)));

  const submitted = (req: Request) => ({ ...formValues(req.body), resourceIds: [req.body?.resourceIds ?? []].flat() });
  const checkService = (req: Request, res: Response) => answerCheck(res, checkServiceForm(req.body), FORM_LABELS.service);

  async function saveService(req: Request, res: Response, id: string | undefined) {
    const rerender = (status: number, extra: Record<string, unknown>) => servicePage(req, res, id, status, { values: submitted(req), ...extra });
    const checked = checkServiceForm(req.body);
    if (!checked.ok) return rerender(422, { errors: checked.errors });
    const { form: f, rules } = checked.value;
    const fields = {
      ...rules, name: f.name, description: f.description, priceMinor: f.price, depositMinor: f.depositPercent === null ? f.deposit : 0, currency: f.currency, active: f.active,
      paymentMode: f.paymentMode, depositPercent: f.depositPercent, requiresApproval: f.requiresApproval, approvalHoldHours: f.approvalHoldHours, capacity: f.capacity, allowSeries: f.allowSeries,
    };
    try {
      const savedId = await tx(res, async (t) => {
        for (const rid of f.resourceIds) if (!(await resourceById(t, rid))) throw notFound('No such resource.');
        let sid = id;
        if (!sid) {
          sid = (await insertService(t, { ...fields, position: 0 })).id;
          if (!f.active) await updateServiceRow(t, sid, { active: false });
          await audit(t, auditAs(req), { action: 'service.create', subjectType: 'service', subjectId: sid, after: { ...fields, resourceIds: f.resourceIds } });
        } else {
          const before = await serviceById(t, sid);
          const version = await rowVersion(t, 'services', sid, { lock: true });
          if (!before || !version) throw notFound('No such service.');
          if (f.version !== version) throw stale();
          await updateServiceRow(t, sid, fields);
          await audit(t, auditAs(req), { action: 'service.update', subjectType: 'service', subjectId: sid, before, after: { ...fields, resourceIds: f.resourceIds } });
        }
        await setServiceResources(t, sid, f.resourceIds);
        return sid;
      });
      req.session.flash = 'Service saved.';
      res.redirect(303, `/admin/services/${savedId}`);
    } catch (err) {
      if (err instanceof DomainError && err.kind === 'conflict') return servicePage(req, res, id, 409, { actionError: err.message });
      throw err;
    }
  }

  r.post('/services/check', checkService);
  r.post('/services/:id/check', (req, res) => {
    idOf(req); // a malformed id is a 404 here too, as for the save
    checkService(req, res);
  });
  r.post('/services', (req, res) => saveService(req, res, undefined));
  r.post('/services/:id', (req, res) => saveService(req, res, idOf(req)));

  // ---- holidays --------------------------------------------------------------------------
  const holidayPage = async (res: Response, status: number, extra: Record<string, unknown> = {}) => {
    const holidays = await tx(res, (t) => t('holidays').orderBy('start_date').select('id', 'name', t.raw(`to_char(start_date, 'YYYY-MM-DD') as start`), t.raw(`to_char(end_date, 'YYYY-MM-DD') as "end"`)));
    res.status(status).render('admin/catalog/holidays', { title: 'Holidays and closures', holidays, values: {}, errors: {}, ...extra });
  };
  r.get('/holidays', (_req, res) => holidayPage(res, 200));
  r.post('/holidays/check', (req, res) => answerCheck(res, checkHolidayForm(req.body), FORM_LABELS.holiday));
  r.post('/holidays', async (req, res) => {
    const checked = checkHolidayForm(req.body);
    if (!checked.ok) return holidayPage(res, 422, { values: formValues(req.body), errors: checked.errors });
    const holiday = checked.value;
    await tx(res, async (t) => {
      const hid = await insertHoliday(t, holiday);
      await audit(t, auditAs(req), { action: 'holiday.create', subjectType: 'holiday', subjectId: hid, after: holiday });
    });
    res.redirect(303, '/admin/holidays');
  });
  r.post('/holidays/:id/delete', async (req, res) => {
    const id = idOf(req);
    const n = await tx(res, async (t) => {
      const before = await t('holidays').where({ id }).first();
      const deleted = await t('holidays').where({ id }).del();
      if (deleted) await audit(t, auditAs(req), { action: 'holiday.delete', subjectType: 'holiday', subjectId: id, before });
      return deleted;
    });
    if (!n) throw notFound('No such holiday.');
    res.redirect(303, '/admin/holidays');
  });

  return r;
}

/** The next 7 days of free slots of a service, in the business's zone, for the editing page. */
async function previewWeek(deps: AppDeps, tenant: Tenant, serviceId: string) {
  const zone = tenant.timeZone;
  const today = localDate(deps.now().getTime(), zone);
  const range = { start: dayInstantRange(today, zone).start, end: dayInstantRange(addDays(today, 6), zone).end };
  try {
    const { slots } = await findAvailability(deps, tenant.id, { serviceId, resourceId: null, range });
    return Array.from({ length: 7 }, (_, i) => {
      const date = addDays(today, i);
      const day = slots.filter((s) => localDate(s.start, zone) === date);
      return { label: longDate(dayInstantRange(date, zone).start + 43_200_000, zone).replace(/, \d{4}$/, ''), count: day.length, first: day.slice(0, 6).map((s) => formatInZone(s.start, zone)) };
    });
  } catch (err) {
    if (err instanceof NotOffered) return []; // inactive, or no resources yet
    throw err;
  }
}
