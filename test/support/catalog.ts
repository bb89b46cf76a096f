import type { AppDeps } from '../../src/deps.ts';
import { createResource, createService, type NewService } from '../../src/catalog/service.ts';
import type { WeeklyWindow, Weekday } from '../../src/scheduling/index.ts';

export const weekdays = (windows: [string, string][], days: Weekday[] = [1, 2, 3, 4, 5, 6, 7]): WeeklyWindow[] =>
  days.flatMap((weekday) => windows.map(([start, end]) => ({ weekday, start, end })));

export async function makeResource(deps: AppDeps, tenantId: string, name: string, timeZone: string, windows: [string, string][] = [['09:00', '12:00'], ['13:00', '17:00']], position = 0) {
  return createResource(deps, tenantId, { name, kind: 'staff', timeZone, position, weekly: weekdays(windows) });
}

export async function makeService(deps: AppDeps, tenantId: string, resourceIds: string[], over: Partial<NewService> = {}) {
  return createService(deps, tenantId, {
    name: 'Haircut',
    durationMin: 30,
    intervalMin: 30,
    bufferBeforeMin: 0,
    bufferAfterMin: 0,
    minNoticeMin: 0,
    horizonDays: 60,
    maxPerDay: null,
    priceMinor: 4500,
    currency: 'USD',
    resourceIds,
    ...over,
  });
}
