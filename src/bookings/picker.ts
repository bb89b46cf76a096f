import type { Request, Response } from 'express';
import type { AppDeps } from '../deps.ts';
import { dayInstantRange, localDate } from '../scheduling/index.ts';
import { TIME_ZONES } from '../tenancy/timezones.ts';
import type { Tenant } from '../tenancy/queries.ts';
import { addDays, dayStrip, formatDuration, formatMoney, longDate, timesOn } from './present.ts';
import { zoneLabel } from '../tenancy/timezones.ts';
import { findAvailability } from './service.ts';

export const STRIP_DAYS = 14;

export interface PickerQuery {
  serviceId: string;
  resource: string; // a resource id or 'any'
  tz: string;
  from: string;
  date: string | undefined;
}

/** Where the picker's links lead: the booking flow, or moving an existing booking. */
export interface PickerFlow {
  /** The page (and fragment) URL the day strip links to. */
  basePath: string;
  /** Where a chosen time goes (with ?start=…&tz=…). */
  timePath: string;
  /** The full-page template around the `_picker` fragment. */
  page: string;
  /** The resource is fixed by the flow (no `resource` parameter). */
  fixedResource?: boolean;
  /** A booking being moved does not block its own new time. */
  excludeBookingId?: string;
  /** The start of the booking being moved: its time is marked, not offered as a choice. */
  currentStart?: number;
  extra?: Record<string, unknown>;
}

export const bookingFlow = (serviceId: string): PickerFlow => ({ basePath: `/book/${serviceId}`, timePath: `/book/${serviceId}/details`, page: 'bookings/pick' });

/**
 * The day strip and the free times of a service in the customer's zone:
 * the full page, or only the `_picker` fragment for htmx.
 */
export async function renderPicker(
  deps: AppDeps,
  req: Request,
  res: Response,
  q: PickerQuery,
  status: number,
  message?: string,
  flow: PickerFlow = bookingFlow(q.serviceId),
): Promise<void> {
  const tenant = res.locals.tenant as Tenant;
  // Show the strip that contains the chosen date.
  const from = q.date && (q.date < q.from || q.date >= addDays(q.from, STRIP_DAYS)) ? q.date : q.from;
  const range = { start: dayInstantRange(from, q.tz).start, end: dayInstantRange(addDays(from, STRIP_DAYS - 1), q.tz).end };
  const avail = await findAvailability(deps, tenant.id, {
    serviceId: q.serviceId,
    resourceId: q.resource === 'any' ? null : q.resource,
    range,
    ...(flow.excludeBookingId ? { excludeBookingId: flow.excludeBookingId } : {}),
  });
  const firstFree = avail.slots[0] ? localDate(avail.slots[0].start, q.tz) : undefined;
  const date = q.date ?? firstFree ?? from;
  const days = dayStrip(from, STRIP_DAYS, avail.slots, q.tz, date);
  const dateStart = dayInstantRange(date, q.tz).start;
  const base = flow.basePath;
  const params = (extra: Record<string, string>) => new URLSearchParams({ ...(flow.fixedResource ? {} : { resource: q.resource }), tz: q.tz, ...extra }).toString();
  const resourceName = q.resource === 'any' ? 'Any available' : (avail.resources[0]?.name ?? '');
  const model = {
    title: `${avail.service.name} — ${tenant.name}`,
    service: { ...avail.service, duration: formatDuration(avail.service.durationMin), price: avail.service.priceMinor ? formatMoney(avail.service.priceMinor, avail.service.currency) : '' },
    resourceName,
    q: { ...q, from },
    tzLabel: zoneLabel(q.tz, dateStart),
    timeZones: TIME_ZONES,
    days: days.map((d) => ({ ...d, href: `${base}?${params({ from, date: d.date })}` })),
    date,
    dateLabel: longDate(dateStart + 12 * 3600_000, q.tz),
    times: timesOn(date, avail.slots, q.tz, avail.service.capacity).map((t) => ({ ...t, href: `${flow.timePath}?${params({ start: t.start })}`, current: Date.parse(t.start) === flow.currentStart })),
    basePath: base,
    fixedResource: flow.fixedResource ?? false,
    ...flow.extra,
    prevHref: from > localDate(deps.now().getTime(), q.tz) ? `${base}?${params({ from: addDays(from, -STRIP_DAYS) })}` : undefined,
    nextHref: `${base}?${params({ from: addDays(from, STRIP_DAYS) })}`,
    message,
    autoDetectTz: typeof req.query.tz !== 'string',
  };
  res.status(status); // Vary: HX-Request is set for every page in src/http/app.ts
  res.render(req.get('HX-Request') ? 'bookings/_picker' : flow.page, model);
}

