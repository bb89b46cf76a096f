import { pricingErrors } from '../payments/money.ts';
import type { AppDeps } from '../deps.ts';
import { savepoint, withTenant, type TenantTx } from '../db/tenant.ts';
import { InUse, InvalidFields } from '../errors.ts';
import { canonicalTimeZone, validateServiceRules, validateWindows, type DateOverride, type WeeklyWindow } from '../scheduling/index.ts';
import {
  deleteOverridesFrom,
  futureOverridesOf,
  weeklyHoursOf,
  insertHoliday,
  insertResource,
  insertService,
  replaceOverride,
  replaceWeeklyHours,
  setServiceResources,
  type Resource,
  type ResourceKind,
  type Service,
} from './queries.ts';

/**
 * Writers of the catalog: resources with their hours, services, holidays.
 * The admin dashboard and the JSON API call these; rules are checked here
 * with the engine's own validators, so the engine never sees what it cannot
 * mean.
 */
export interface NewResource {
  name: string;
  kind: ResourceKind;
  timeZone: string;
  position?: number;
  weekly: WeeklyWindow[];
  overrides?: DateOverride[];
}

export async function createResource(deps: AppDeps, tenantId: string, r: NewResource): Promise<Resource> {
  const zone = canonicalTimeZone(r.timeZone);
  const errors: Record<string, string> = {};
  if (!r.name.trim()) errors.name = 'Enter a name.';
  if (!zone) errors.timeZone = 'Choose a time zone from the list.';
  const weekly = validateWindows(r.weekly);
  if (weekly.length) errors.weekly = weekly.join('; ');
  for (const o of r.overrides ?? []) {
    const problems = validateWindows(o.windows);
    if (problems.length) errors[`overrides.${o.date}`] = problems.join('; ');
  }
  if (Object.keys(errors).length) throw new InvalidFields(errors);
  return withTenant(deps.db, tenantId, async (tx) => {
    const resource = await insertResource(tx, { name: r.name.trim(), kind: r.kind, timeZone: zone!, position: r.position ?? 0 });
    await replaceWeeklyHours(tx, resource.id, r.weekly);
    for (const o of r.overrides ?? []) await replaceOverride(tx, resource.id, o);
    return resource;
  });
}

/** How long a booking request holds its time when the service does not say (the column's default too). */
export const DEFAULT_APPROVAL_HOLD_HOURS = 24;

export type NewService = Omit<Service, 'id' | 'active' | 'position' | 'description' | 'depositMinor' | 'paymentMode' | 'depositPercent' | 'requiresApproval' | 'approvalHoldHours' | 'capacity' | 'allowSeries'> & {
  capacity?: number;
  requiresApproval?: boolean;
  approvalHoldHours?: number;
  description?: string;
  allowSeries?: boolean;
  depositMinor?: number;
  paymentMode?: Service['paymentMode'];
  depositPercent?: number | null;
  position?: number;
  resourceIds: string[];
};

export async function createService(deps: AppDeps, tenantId: string, s: NewService): Promise<Service> {
  const problems = validateServiceRules(s);
  if (problems.length) throw new InvalidFields({ rules: problems.join('; ') });
  const money = pricingErrors({ priceMinor: s.priceMinor, currency: s.currency, paymentMode: s.paymentMode ?? 'none', depositMinor: s.depositMinor ?? 0, depositPercent: s.depositPercent ?? null, requiresApproval: s.requiresApproval ?? false });
  if (Object.keys(money).length) throw new InvalidFields(money);
  return withTenant(deps.db, tenantId, async (tx) => {
    const service = await insertService(tx, {
      ...s, description: s.description ?? '', depositMinor: s.depositMinor ?? 0, position: s.position ?? 0,
      paymentMode: s.paymentMode ?? 'none', depositPercent: s.depositPercent ?? null,
      requiresApproval: s.requiresApproval ?? false, approvalHoldHours: s.approvalHoldHours ?? DEFAULT_APPROVAL_HOLD_HOURS, capacity: s.capacity ?? 1, allowSeries: s.allowSeries ?? false,
    });
    await setServiceResources(tx, service.id, s.resourceIds);
    return service;
  });
}

export async function addHoliday(deps: AppDeps, tenantId: string, h: { name: string; start: string; end: string }): Promise<void> {
  await withTenant(deps.db, tenantId, (tx) => insertHoliday(tx, h));
}

export interface Schedule {
  weekly: WeeklyWindow[];
  overrides: DateOverride[];
}

function checkSchedule(s: Schedule): void {
  const errors: Record<string, string> = {};
  const weekly = validateWindows(s.weekly);
  if (weekly.length) errors.weekly = weekly.join('; ');
  const seen = new Set<string>();
  s.overrides.forEach((o, i) => {
    if (seen.has(o.date)) errors[`overrides.${i}.date`] = `${o.date} appears twice.`;
    seen.add(o.date);
    const problems = validateWindows(o.windows);
    if (problems.length) errors[`overrides.${i}.windows`] = problems.join('; ');
  });
  if (Object.keys(errors).length) throw new InvalidFields(errors);
}

/** Replace a resource's weekly hours and its overrides from `today` on, atomically. */
export async function replaceSchedule(tx: TenantTx, resourceId: string, s: Schedule, today: string): Promise<void> {
  checkSchedule(s);
  await replaceWeeklyHours(tx, resourceId, s.weekly);
  await deleteOverridesFrom(tx, resourceId, today);
  for (const o of s.overrides) await replaceOverride(tx, resourceId, o);
}

export async function scheduleOf(tx: TenantTx, resourceId: string, today: string): Promise<Schedule> {
  const weekly = (await weeklyHoursOf(tx, [resourceId])).get(resourceId) ?? [];
  return { weekly, overrides: await futureOverridesOf(tx, resourceId, today) };
}

/** Delete a resource or service; one with bookings cannot go (deactivate it instead). */
export async function deleteRow(tx: TenantTx, table: 'resources' | 'services' | 'holidays', id: string): Promise<boolean> {
  try {
    return (await savepoint(tx, (sp) => sp(table).where({ id }).del())) > 0;
  } catch (err) {
    // A booking's foreign key is ON DELETE RESTRICT (23001); NO ACTION would be 23503.
    if ((err as { code?: string }).code === '23001' || (err as { code?: string }).code === '23503') {
      throw new InUse();
    }
    throw err;
  }
}
