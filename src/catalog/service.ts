import type { AppDeps } from '../deps.ts';
import { withTenant } from '../db/tenant.ts';
import { validationFailed } from '../http/errors.ts';
import { canonicalTimeZone, validateServiceRules, validateWindows, type DateOverride, type WeeklyWindow } from '../scheduling/index.ts';
import {
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
  if (Object.keys(errors).length) throw validationFailed(errors);
  return withTenant(deps.db, tenantId, async (tx) => {
    const resource = await insertResource(tx, { name: r.name.trim(), kind: r.kind, timeZone: zone!, position: r.position ?? 0 });
    await replaceWeeklyHours(tx, resource.id, r.weekly);
    for (const o of r.overrides ?? []) await replaceOverride(tx, resource.id, o);
    return resource;
  });
}

export type NewService = Omit<Service, 'id' | 'active' | 'position' | 'description' | 'depositMinor'> & {
  description?: string;
  depositMinor?: number;
  position?: number;
  resourceIds: string[];
};

export async function createService(deps: AppDeps, tenantId: string, s: NewService): Promise<Service> {
  const problems = validateServiceRules(s);
  if (problems.length) throw validationFailed({ rules: problems.join('; ') });
  return withTenant(deps.db, tenantId, async (tx) => {
    const service = await insertService(tx, { ...s, description: s.description ?? '', depositMinor: s.depositMinor ?? 0, position: s.position ?? 0 });
    await setServiceResources(tx, service.id, s.resourceIds);
    return service;
  });
}

export async function addHoliday(deps: AppDeps, tenantId: string, h: { name: string; start: string; end: string }): Promise<void> {
  await withTenant(deps.db, tenantId, (tx) => insertHoliday(tx, h));
}
