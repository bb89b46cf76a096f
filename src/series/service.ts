import { randomUUID } from 'node:crypto';
import { Temporal } from 'temporal-polyfill';
import type { AppDeps } from '../deps.ts';
import { isUuid, withTenant, type TenantTx } from '../db/tenant.ts';
import { cancelInTransaction, describeBooking, insertOccurrence, judgeStarts, loadOffer, type Created } from '../bookings/service.ts';
import { bookingsOfSeries, bookingsOfSeriesForUpdate, customerDayBookings, lockCustomer } from '../bookings/queries.ts';
import { isActive, type Actor, type Booking, type BookingView, type Customer } from '../bookings/model.ts';
import { customerDayFull, customerMay } from '../bookings/policy.ts';
import { NotOffered } from '../bookings/errors.ts';
import { isoInZone } from '../bookings/present.ts';
import { onlineCharge } from '../payments/plan.ts';
import { currentTenant } from '../tenancy/queries.ts';
import { localDate } from '../scheduling/index.ts';
import type { Resource, Service } from '../catalog/queries.ts';
import { expandRecurrence, type Recurrence } from './recurrence.ts';
import { insertSeries, seriesById, type Series } from './queries.ts';
import {
  InvalidRecurrence, NotAnOccurrence, NothingToCancel, SeriesConflict, SeriesNeedsResource, SeriesNotAllowed, SeriesNotForService, SeriesNotFound, SeriesNotPayable,
  type OccurrenceReason, type Refusal,
} from './errors.ts';
import { planSeriesMessages } from './messages.ts';

/**
 * Recurring bookings (see CONTEXT.md). A series is decided and written by
 * the one booking service's own steps (src/bookings/service.ts): its
 * occurrences are judged by the engine under the resource's lock
 * (`judgeStarts`, one read of the inputs for the whole span) and written
 * as ordinary bookings (`insertOccurrence`), all in ONE transaction, so a
 * series is booked whole, or as the free part of it, or not at all.
 * Locks in the fixed order of every writer: the customer's (online), then
 * the resource's.
 */
export interface SeriesRequest {
  serviceId: string;
  /** A series names its resource: "any available" could change hands each week. */
  resourceId: string | null;
  start: number;
  recurrence: Recurrence;
  customer: Customer;
  notes: string | null;
}

/** `fail`: all or nothing; `skip`: book the free ones, list the others. */
export type OnConflict = 'fail' | 'skip';

export interface PlannedOccurrence {
  index: number;
  localDate: string;
  localTime: string;
  /** Its instant, or null when that local time does not exist that day. */
  start: number | null;
  /** Why it cannot be booked; null: bookable. */
  reason: OccurrenceReason | null;
}

export interface SeriesPlan {
  service: Service;
  resource: Resource;
  occurrences: PlannedOccurrence[];
}

/** How an occurrence is named to the caller: its instant with the resource's offset, or the wall time asked for. */
function occurrenceLabel(o: PlannedOccurrence, zone: string): string {
  return o.start === null ? `${o.localDate}T${o.localTime}` : isoInZone(o.start, zone);
}

const refusals = (plan: SeriesPlan): Refusal[] =>
  plan.occurrences.filter((o) => o.reason).map((o) => ({ start: occurrenceLabel(o, plan.resource.timeZone), reason: o.reason! }));

/** The last local date the service may be booked on (its horizon), in `zone`. */
function horizonDate(service: Service, zone: string, now: Date): string {
  return Temporal.PlainDate.from(localDate(now.getTime(), zone)).add({ days: service.horizonDays }).toString();
}

/**
 * Every occurrence of the request with whether it can be booked and why
 * not, in the caller's transaction. `lock`: under the customer's (online)
 * and the resource's locks, to write next; otherwise a preview.
 */
async function planSeries(deps: AppDeps, tx: TenantTx, by: Actor, req: SeriesRequest, lock: boolean): Promise<SeriesPlan> {
  if (!isUuid(req.serviceId)) throw new NotOffered('That service does not exist.', false);
  if (!req.resourceId) throw new SeriesNeedsResource();
  const { service, resources } = await loadOffer(tx, req.serviceId, req.resourceId);
  const resource = resources[0]!;
  if (!service.allowSeries) throw new SeriesNotAllowed();
  if (service.requiresApproval) throw new SeriesNotForService('approval');
  if (service.capacity > 1) throw new SeriesNotForService('class');
  // Checkout of many occurrences is not offered: a service paid online is
  // refused to customers and the API; staff take payment at the venue.
  if (service.paymentMode !== 'none' && onlineCharge(deps.config, await currentTenant(tx), service, by.source)) throw new SeriesNotPayable();
  const now = deps.now();
  const expanded = expandRecurrence(req.start, resource.timeZone, req.recurrence, horizonDate(service, resource.timeZone, now));
  if (!expanded.ok) throw new InvalidRecurrence(expanded.field === 'recurrence' ? 'recurrence' : `recurrence.${expanded.field}`, expanded.message);
  const occurrences: PlannedOccurrence[] = expanded.occurrences.map((o) => ({ ...o, reason: o.start === null ? 'nonexistent_local_time' : null }));
  const real = occurrences.filter((o) => o.start !== null);
  if (by.source === 'public') {
    // The business's daily cap per customer, as for one booking: counted under the customer's lock, taken first.
    if (lock) await lockCustomer(tx, req.customer.email);
    for (const o of real) if (customerDayFull(await customerDayBookings(tx, req.customer.email, o.start!))) o.reason = 'customer_day_full';
  }
  const verdicts = await judgeStarts(tx, service, resource, real.map((o) => o.start!), now, { lock });
  real.forEach((o, i) => (o.reason ??= verdicts[i]!));
  return { service, resource, occurrences };
}

/** Every occurrence and whether it can be booked now, writing nothing (the customer sees this before confirming). */
export async function previewSeries(deps: AppDeps, tenantId: string, by: Actor, req: SeriesRequest): Promise<SeriesPlan> {
  return withTenant(deps.db, tenantId, (tx) => planSeries(deps, tx, by, req, false));
}

export interface SeriesCreated {
  series: Series;
  /** The occurrences booked, by start; each with its own manage link (any of them manages the series). */
  bookings: Created[];
  skipped: Refusal[];
}

/**
 * Book a series in one transaction: every occurrence judged under the
 * locks, then `fail` refuses the whole series if any cannot be booked
 * (nothing written, the conflicts named), `skip` books the free ones and
 * lists the others. None free is refused either way. One message for the
 * series (src/series/messages.ts); each occurrence has its history,
 * webhook event, calendar write and reminders as any booking.
 */
export async function createSeries(deps: AppDeps, tenantId: string, by: Actor, req: SeriesRequest, onConflict: OnConflict): Promise<SeriesCreated> {
  return withTenant(deps.db, tenantId, async (tx) => {
    const plan = await planSeries(deps, tx, by, req, true);
    const skipped = refusals(plan);
    const free = plan.occurrences.filter((o) => !o.reason);
    if (!free.length) throw new SeriesConflict(skipped, true);
    if (onConflict === 'fail' && skipped.length) throw new SeriesConflict(skipped, false);
    const now = deps.now();
    const series = await insertSeries(tx, {
      id: randomUUID(), serviceId: plan.service.id, resourceId: plan.resource.id, recurrence: req.recurrence, firstStart: req.start,
      timeZone: plan.resource.timeZone, customer: req.customer, source: by.source, createdBy: by.userId, now,
    });
    const bookings: Created[] = [];
    for (const o of free) {
      bookings.push(await insertOccurrence(deps, tx, by, {
        service: plan.service, resource: plan.resource, start: o.start!, customer: req.customer, notes: req.notes, seriesId: series.id, now,
      }));
    }
    await planSeriesMessages(deps, tx, 'created', series, bookings);
    return { series, bookings, skipped };
  });
}

export interface SeriesView {
  series: Series;
  /** Every occurrence booked, cancelled ones included, by start. */
  occurrences: BookingView[];
}

export async function seriesView(deps: AppDeps, tenantId: string, seriesId: string): Promise<SeriesView | undefined> {
  if (!isUuid(seriesId)) return undefined;
  return withTenant(deps.db, tenantId, async (tx) => {
    const series = await seriesById(tx, seriesId);
    return series && { series, occurrences: await describeAll(tx, await bookingsOfSeries(tx, seriesId)) };
  });
}

async function describeAll(tx: TenantTx, list: Awaited<ReturnType<typeof bookingsOfSeries>>): Promise<BookingView[]> {
  const out: BookingView[] = [];
  for (const b of list) out.push(await describeBooking(tx, b)); // one query at a time: a transaction is one connection
  return out;
}

/** The series a booking is an occurrence of, with all its occurrences by start, in the caller's transaction. */
export async function seriesOfBooking(tx: TenantTx, booking: { seriesId: string | null }): Promise<{ series: Series; occurrences: Booking[] } | undefined> {
  if (!booking.seriesId) return undefined;
  const series = await seriesById(tx, booking.seriesId);
  return series && { series, occurrences: await bookingsOfSeries(tx, series.id) };
}

export type CancelScope = 'all' | 'following';

export interface SeriesCancelled extends SeriesView {
  cancelled: BookingView[];
  /** Occurrences the customer may no longer cancel online (the business's cutoff), left as they are. */
  kept: { booking: BookingView; reason: string }[];
}

/**
 * Cancel a series' occurrences that have not started: all of them, or
 * `fromBookingId` and those after it. Each goes through the one
 * cancellation (`cancelInTransaction`: its row lock, the refund policy,
 * history, webhook, calendar), all in one transaction under the
 * occurrences' row locks taken in start order; one
 * message for all. Through the manage link, the customer's cutoff keeps
 * the occurrences too close to cancel online, and says so.
 */
export async function cancelSeries(
  deps: AppDeps,
  tenantId: string,
  by: Actor,
  c: { seriesId: string; scope: CancelScope; fromBookingId?: string | null; reason: string | null },
): Promise<SeriesCancelled> {
  if (!isUuid(c.seriesId)) throw new SeriesNotFound();
  return withTenant(deps.db, tenantId, async (tx) => {
    const series = await seriesById(tx, c.seriesId);
    if (!series) throw new SeriesNotFound();
    // Its occurrences' row locks, in start order, serialize the changes of one series (and each with its bookings' own changes).
    const all = await bookingsOfSeriesForUpdate(tx, series.id);
    let from = Number.NEGATIVE_INFINITY;
    if (c.scope === 'following') {
      const first = c.fromBookingId ? all.find((b) => b.id === c.fromBookingId) : undefined;
      if (!first) throw new NotAnOccurrence();
      from = first.start.getTime();
    }
    const now = deps.now();
    const targets = all.filter((b) => isActive(b) && b.start.getTime() >= from && b.start.getTime() > now.getTime());
    if (!targets.length) throw new NothingToCancel();
    const tenant = by.source === 'public' ? await currentTenant(tx) : undefined;
    const cancelled: BookingView[] = [];
    const kept: SeriesCancelled['kept'] = [];
    for (const b of targets) {
      const verdict = tenant ? customerMay(tenant, b, 'cancel', now) : { ok: true as const };
      if (!verdict.ok) kept.push({ booking: await describeBooking(tx, b), reason: verdict.reason });
      else cancelled.push(await cancelInTransaction(deps, tx, by, b.id, c.reason, { messages: false }));
    }
    await planSeriesMessages(deps, tx, 'cancelled', series, cancelled, c.reason);
    return { series, occurrences: await describeAll(tx, await bookingsOfSeries(tx, series.id)), cancelled, kept };
  });
}
