import type { TenantTx } from '../db/tenant.ts';
import { pageOf } from '../db/paging.ts';
import type { PaymentMode } from '../payments/money.ts';
import type { DateOverride, ServiceRules, WallWindow, WeeklyWindow, Weekday } from '../scheduling/index.ts';

export type ResourceKind = 'staff' | 'room' | 'table' | 'equipment';

export interface Resource {
  id: string;
  name: string;
  kind: ResourceKind;
  timeZone: string;
  userId: string | null;
  position: number;
  active: boolean;
}

export interface Service extends ServiceRules {
  id: string;
  name: string;
  description: string;
  priceMinor: number;
  depositMinor: number;
  currency: string;
  /** What is paid online when booking (src/payments/money.ts): nothing, a deposit, or the price. */
  paymentMode: PaymentMode;
  /** A deposit as a percentage of the price, instead of `depositMinor`. */
  depositPercent: number | null;
  /** Bookings are requests (`pending`) until an owner or admin approves them, for at most `approvalHoldHours`. */
  requiresApproval: boolean;
  approvalHoldHours: number;
  /** Seats per slot: above 1, a class (src/bookings/seats.ts). */
  capacity: number;
  /** Whether it may be booked as a weekly series (src/series/). */
  allowSeries: boolean;
  position: number;
  active: boolean;
}

interface ResourceRow {
  id: string;
  name: string;
  kind: ResourceKind;
  time_zone: string;
  user_id: string | null;
  position: number;
  active: boolean;
}

interface ServiceRow {
  id: string;
  name: string;
  description: string;
  duration_min: number;
  interval_min: number;
  buffer_before_min: number;
  buffer_after_min: number;
  min_notice_min: number;
  horizon_days: number;
  max_per_day: number | null;
  price_minor: number;
  deposit_minor: number;
  currency: string;
  payment_mode: PaymentMode;
  deposit_percent: number | null;
  requires_approval: boolean;
  approval_hold_hours: number;
  capacity: number;
  allow_series: boolean;
  position: number;
  active: boolean;
}

const toResource = (r: ResourceRow): Resource => ({
  id: r.id, name: r.name, kind: r.kind, timeZone: r.time_zone, userId: r.user_id, position: r.position, active: r.active,
});

const toService = (r: ServiceRow): Service => ({
  id: r.id,
  name: r.name,
  description: r.description,
  durationMin: r.duration_min,
  intervalMin: r.interval_min,
  bufferBeforeMin: r.buffer_before_min,
  bufferAfterMin: r.buffer_after_min,
  minNoticeMin: r.min_notice_min,
  horizonDays: r.horizon_days,
  maxPerDay: r.max_per_day,
  priceMinor: r.price_minor,
  depositMinor: r.deposit_minor,
  currency: r.currency,
  paymentMode: r.payment_mode,
  depositPercent: r.deposit_percent,
  requiresApproval: r.requires_approval,
  approvalHoldHours: r.approval_hold_hours,
  capacity: r.capacity,
  allowSeries: r.allow_series,
  position: r.position,
  active: r.active,
});

/** Minutes after local midnight ↔ 'HH:MM' ('24:00' is the end of the day). */
export const minuteToHHMM = (m: number): string => `${String(Math.floor(m / 60)).padStart(2, '0')}:${String(m % 60).padStart(2, '0')}`;
export const hhmmToMinute = (s: string): number => Number(s.slice(0, 2)) * 60 + Number(s.slice(3, 5));

export async function activeServices(tx: TenantTx): Promise<Service[]> {
  const rows = await tx<ServiceRow>('services').where({ active: true }).orderBy([{ column: 'position' }, { column: 'name' }, { column: 'id' }]);
  return rows.map(toService);
}

export async function serviceById(tx: TenantTx, id: string): Promise<Service | undefined> {
  const row = await tx<ServiceRow>('services').where({ id }).first();
  return row && toService(row);
}

export async function resourceById(tx: TenantTx, id: string): Promise<Resource | undefined> {
  const row = await tx<ResourceRow>('resources').where({ id }).first();
  return row && toResource(row);
}

/** The active resources offering a service, in the stable order "any available" tries them. */
export async function resourcesForService(tx: TenantTx, serviceId: string): Promise<Resource[]> {
  const rows = await tx<ResourceRow>('resources as r')
    .join('service_resources as sr', function () {
      this.on('sr.tenant_id', 'r.tenant_id').andOn('sr.resource_id', 'r.id');
    })
    .where({ 'sr.service_id': serviceId, 'r.active': true })
    .orderBy([{ column: 'r.position' }, { column: 'r.name' }, { column: 'r.id' }])
    .select('r.*');
  return rows.map(toResource);
}

/** What the SQL function `service_offer` returns: rows of `services` and `resources` as JSON. */
export interface OfferJson {
  service: ServiceRow | null;
  resources: ResourceRow[];
}

export const offerFromJson = (o: OfferJson): { service: Service | undefined; resources: Resource[] } => ({
  service: o.service ? toService(o.service) : undefined,
  resources: o.resources.map(toResource),
});

/**
 * A service and, in one round trip, its active resources as
 * `resourcesForService` orders them; only `resourceId` among them if given.
 * The statement is the SQL function `service_offer`, which the list of free
 * times (`availability_context`) uses too.
 */
export async function serviceWithResources(
  tx: TenantTx,
  serviceId: string,
  resourceId: string | null,
): Promise<{ service: Service | undefined; resources: Resource[] }> {
  // Named: prepared once per connection, as the booking path's other statements (src/bookings/queries.ts).
  const { rows } = await tx.raw<{ rows: { offer: OfferJson }[] }>('select service_offer(?::uuid, ?::uuid) as offer', [serviceId, resourceId])
    .options({ name: 'slotwise_offer' });
  return offerFromJson(rows[0]!.offer);
}

export async function insertResource(tx: TenantTx, r: Omit<Resource, 'id' | 'active' | 'userId'> & { userId?: string | null }): Promise<Resource> {
  const [row] = await tx('resources')
    .insert({ tenant_id: tx.tenantId, name: r.name, kind: r.kind, time_zone: r.timeZone, position: r.position, user_id: r.userId ?? null })
    .returning<ResourceRow[]>('*');
  return toResource(row!);
}

export async function insertService(tx: TenantTx, s: Omit<Service, 'id' | 'active'>): Promise<Service> {
  const [row] = await tx('services')
    .insert({
      tenant_id: tx.tenantId,
      name: s.name,
      description: s.description,
      duration_min: s.durationMin,
      interval_min: s.intervalMin,
      buffer_before_min: s.bufferBeforeMin,
      buffer_after_min: s.bufferAfterMin,
      min_notice_min: s.minNoticeMin,
      horizon_days: s.horizonDays,
      max_per_day: s.maxPerDay,
      price_minor: s.priceMinor,
      deposit_minor: s.depositMinor,
      currency: s.currency,
      payment_mode: s.paymentMode,
      deposit_percent: s.depositPercent,
      requires_approval: s.requiresApproval,
      approval_hold_hours: s.approvalHoldHours,
      capacity: s.capacity,
      allow_series: s.allowSeries,
      position: s.position,
    })
    .returning<ServiceRow[]>('*');
  return toService(row!);
}

export async function setServiceResources(tx: TenantTx, serviceId: string, resourceIds: string[]): Promise<void> {
  await tx('service_resources').where({ service_id: serviceId }).del();
  if (resourceIds.length) {
    await tx('service_resources').insert(resourceIds.map((resource_id) => ({ tenant_id: tx.tenantId, service_id: serviceId, resource_id })));
  }
}

export async function replaceWeeklyHours(tx: TenantTx, resourceId: string, weekly: WeeklyWindow[]): Promise<void> {
  await tx('weekly_hours').where({ resource_id: resourceId }).del();
  if (weekly.length) {
    await tx('weekly_hours').insert(
      weekly.map((w) => ({ tenant_id: tx.tenantId, resource_id: resourceId, weekday: w.weekday, start_minute: hhmmToMinute(w.start), end_minute: hhmmToMinute(w.end) })),
    );
  }
  await touchResource(tx, resourceId);
}

export async function replaceOverride(tx: TenantTx, resourceId: string, o: DateOverride): Promise<void> {
  await tx('date_overrides').where({ resource_id: resourceId, date: o.date }).del();
  await tx('date_overrides').insert({ tenant_id: tx.tenantId, resource_id: resourceId, date: o.date });
  if (o.windows.length) {
    await tx('date_override_windows').insert(
      o.windows.map((w) => ({ tenant_id: tx.tenantId, resource_id: resourceId, date: o.date, start_minute: hhmmToMinute(w.start), end_minute: hhmmToMinute(w.end) })),
    );
  }
  await touchResource(tx, resourceId);
}

/** Drop one date's override; false when there was none. */
export async function deleteOverride(tx: TenantTx, resourceId: string, date: string): Promise<boolean> {
  const deleted = await tx('date_overrides').where({ resource_id: resourceId, date }).del();
  if (deleted) await touchResource(tx, resourceId);
  return deleted > 0;
}

export async function insertHoliday(tx: TenantTx, h: { name: string; start: string; end: string }): Promise<string> {
  const [row] = await tx('holidays').insert({ tenant_id: tx.tenantId, name: h.name, start_date: h.start, end_date: h.end }).returning<{ id: string }[]>('id');
  return row!.id;
}

export async function weeklyHoursOf(tx: TenantTx, resourceIds: string[]): Promise<Map<string, WeeklyWindow[]>> {
  const rows = await tx('weekly_hours').whereIn('resource_id', resourceIds).orderBy(['weekday', 'start_minute']);
  const out = new Map<string, WeeklyWindow[]>(resourceIds.map((id) => [id, []]));
  for (const r of rows) {
    out.get(r.resource_id)!.push({ weekday: r.weekday as Weekday, start: minuteToHHMM(r.start_minute), end: minuteToHHMM(r.end_minute) });
  }
  return out;
}

/** Overrides of the given resources for dates in [from, to] (ISO dates, inclusive). */
export async function overridesOf(tx: TenantTx, resourceIds: string[], from: string, to: string): Promise<Map<string, DateOverride[]>> {
  const days = await tx('date_overrides')
    .whereIn('resource_id', resourceIds)
    .whereBetween('date', [from, to])
    .select('resource_id', tx.raw(`to_char(date, 'YYYY-MM-DD') as date`));
  const windows = await tx('date_override_windows')
    .whereIn('resource_id', resourceIds)
    .whereBetween('date', [from, to])
    .orderBy('start_minute')
    .select('resource_id', 'start_minute', 'end_minute', tx.raw(`to_char(date, 'YYYY-MM-DD') as date`));
  const out = new Map<string, DateOverride[]>(resourceIds.map((id) => [id, []]));
  const byKey = new Map<string, WallWindow[]>();
  for (const d of days) {
    const o: DateOverride = { date: d.date, windows: [] };
    out.get(d.resource_id)!.push(o);
    byKey.set(`${d.resource_id}|${d.date}`, o.windows);
  }
  for (const w of windows) byKey.get(`${w.resource_id}|${w.date}`)?.push({ start: minuteToHHMM(w.start_minute), end: minuteToHHMM(w.end_minute) });
  return out;
}

export async function holidaysBetween(tx: TenantTx, from: string, to: string): Promise<{ start: string; end: string }[]> {
  return tx('holidays')
    .where('start_date', '<=', to)
    .where('end_date', '>=', from)
    .select(tx.raw(`to_char(start_date, 'YYYY-MM-DD') as start`), tx.raw(`to_char(end_date, 'YYYY-MM-DD') as "end"`));
}

export async function listResources(tx: TenantTx, opts: { limit: number; startingAfter?: string | undefined }) {
  const { rows, hasMore } = await pageOf<ResourceRow>(tx, 'resources', opts);
  return { data: rows.map(toResource), hasMore };
}

export async function listServices(tx: TenantTx, opts: { limit: number; startingAfter?: string | undefined }) {
  const { rows, hasMore } = await pageOf<ServiceRow>(tx, 'services', opts);
  return { data: rows.map(toService), hasMore };
}

export async function resourceIdsOfServices(tx: TenantTx, serviceIds: string[]): Promise<Map<string, string[]>> {
  const rows = await tx('service_resources').whereIn('service_id', serviceIds).orderBy('resource_id');
  const out = new Map<string, string[]>(serviceIds.map((id) => [id, []]));
  for (const r of rows) out.get(r.service_id)?.push(r.resource_id);
  return out;
}

/**
 * A service's or resource's version for stale-edit checks: its updated_at to
 * the microsecond, which every change of the row (and of a resource's
 * schedule) moves. With `lock`, the row is locked for the rest of the
 * transaction, so the version cannot move between the check and the write.
 * Undefined when there is no such row.
 */
export async function rowVersion(tx: TenantTx, table: 'services' | 'resources', id: string, opts: { lock?: boolean } = {}): Promise<string | undefined> {
  const q = tx(table).where({ id }).first<{ version: string } | undefined>(tx.raw(`to_char(updated_at, 'YYYY-MM-DD"T"HH24:MI:SS.US') as version`));
  const row = await (opts.lock ? q.forUpdate() : q);
  return row?.version;
}

/** Move a resource's version after a change that is not to its own row (its schedule). */
export async function touchResource(tx: TenantTx, id: string): Promise<void> {
  await tx('resources').where({ id }).update({ updated_at: tx.fn.now() });
}

export async function updateResourceRow(tx: TenantTx, id: string, patch: Partial<Pick<Resource, 'name' | 'kind' | 'timeZone' | 'position' | 'active'>>): Promise<Resource | undefined> {
  const [row] = await tx('resources')
    .where({ id })
    .update({
      ...(patch.name !== undefined && { name: patch.name }),
      ...(patch.kind !== undefined && { kind: patch.kind }),
      ...(patch.timeZone !== undefined && { time_zone: patch.timeZone }),
      ...(patch.position !== undefined && { position: patch.position }),
      ...(patch.active !== undefined && { active: patch.active }),
      updated_at: tx.fn.now(),
    })
    .returning<ResourceRow[]>('*');
  return row && toResource(row);
}

const SERVICE_COLUMNS: Record<string, string> = {
  name: 'name', description: 'description', durationMin: 'duration_min', intervalMin: 'interval_min', bufferBeforeMin: 'buffer_before_min',
  bufferAfterMin: 'buffer_after_min', minNoticeMin: 'min_notice_min', horizonDays: 'horizon_days', maxPerDay: 'max_per_day',
  priceMinor: 'price_minor', depositMinor: 'deposit_minor', currency: 'currency', position: 'position', active: 'active',
  paymentMode: 'payment_mode', depositPercent: 'deposit_percent', requiresApproval: 'requires_approval', approvalHoldHours: 'approval_hold_hours', capacity: 'capacity', allowSeries: 'allow_series',
};

export async function updateServiceRow(tx: TenantTx, id: string, patch: Partial<Omit<Service, 'id'>>): Promise<Service | undefined> {
  const values: Record<string, unknown> = { updated_at: tx.fn.now() };
  for (const [k, v] of Object.entries(patch)) if (v !== undefined && SERVICE_COLUMNS[k]) values[SERVICE_COLUMNS[k]] = v;
  const [row] = await tx('services').where({ id }).update(values).returning<ServiceRow[]>('*');
  return row && toService(row);
}

export async function futureOverridesOf(tx: TenantTx, resourceId: string, fromDate: string): Promise<DateOverride[]> {
  return (await overridesOf(tx, [resourceId], fromDate, '9999-12-31')).get(resourceId) ?? [];
}

export async function deleteOverridesFrom(tx: TenantTx, resourceId: string, fromDate: string): Promise<void> {
  await tx('date_overrides').where({ resource_id: resourceId }).where('date', '>=', fromDate).del();
  await touchResource(tx, resourceId);
}

export interface Holiday {
  id: string;
  name: string;
  start: string;
  end: string;
}

export async function listHolidays(tx: TenantTx, opts: { limit: number; startingAfter?: string | undefined }): Promise<{ data: Holiday[]; hasMore: boolean }> {
  const { rows, hasMore } = await pageOf<Holiday>(
    tx,
    'holidays',
    opts,
    // Dates as the calendar strings they are (node-pg would make them local-midnight Date objects).
    ['id', 'name', tx.raw(`to_char(start_date, 'YYYY-MM-DD') as start`), tx.raw(`to_char(end_date, 'YYYY-MM-DD') as "end"`)],
  );
  return { data: rows, hasMore };
}
