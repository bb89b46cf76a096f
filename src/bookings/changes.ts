import type { AppDeps } from '../deps.ts';
import { savepoint, withTenant, type TenantTx } from '../db/tenant.ts';
import { HttpError, notFound } from '../http/errors.ts';
import { explainSlot, type RejectReason } from '../scheduling/index.ts';
import { slotRefused } from './errors.ts';
import { bookingChanged, recordHistory } from './events.ts';
import { audit } from '../audit/log.ts';
import { bookingById, bookingForUpdate, loadSlotQuery, lockResource, markCancelled, moveBooking, type Booking } from './queries.ts';
import { describeBooking, loadOffer, mostRelevant, type Actor, type BookingView } from './service.ts';

const MINUTE = 60_000;

/** What the audit log keeps of a booking before and after a change. */
const snapshot = (b: Booking) => ({ status: b.status, resource_id: b.resourceId, start: b.start.toISOString(), end: b.end.toISOString() });

/** Dashboard users' changes are audited in the change's own transaction. */
async function auditIfStaff(tx: TenantTx, by: Actor, action: string, before: Booking, after: Booking, extra: Record<string, unknown> = {}): Promise<void> {
  if (by.source !== 'admin') return;
  await audit(tx, { userId: by.userId }, { action, subjectType: 'booking', subjectId: after.id, before: snapshot(before), after: { ...snapshot(after), ...extra } });
}
const ACTIVE = new Set(['held', 'confirmed']);

/**
 * Cancelling and moving a booking: the same path for every caller (API,
 * dashboard, the customer's manage link), in one tenant transaction with the
 * booking row locked, follow-ups enqueued in that transaction. Policy checks
 * that depend on who asks (the customer's cutoff) happen before these are
 * called.
 */
export const notActive = (b: Booking) =>
  new HttpError(409, 'booking_not_active', 'Booking not active', `This booking is ${b.status.replace('_', ' ')} and cannot be changed.`);

export async function cancelBooking(deps: AppDeps, tenantId: string, by: Actor, bookingId: string, reason: string | null): Promise<BookingView> {
  return withTenant(deps.db, tenantId, async (tx) => {
    const current = await bookingForUpdate(tx, bookingId);
    if (!current) throw notFound('That booking does not exist.');
    if (!ACTIVE.has(current.status)) throw notActive(current);
    const booking = await markCancelled(tx, bookingId, deps.now(), reason);
    await auditIfStaff(tx, by, 'booking.cancel', current, booking, { reason });
    const view = await describeBooking(tx, booking);
    await bookingChanged(deps, tx, 'booking.cancelled', view, reason, by);
    return view;
  });
}

/**
 * Move a booking to `start` (optionally on another resource of its
 * service). The old time is freed only if the new one is won: the row is
 * updated in place, so a lost race leaves it as it was.
 */
export async function rescheduleBooking(
  deps: AppDeps,
  tenantId: string,
  by: Actor,
  cmd: { bookingId: string; start: number; resourceId?: string | null },
): Promise<BookingView> {
  return withTenant(deps.db, tenantId, async (tx) => {
    const current = await bookingForUpdate(tx, cmd.bookingId);
    if (!current) throw notFound('That booking does not exist.');
    if (!ACTIVE.has(current.status)) throw notActive(current);
    const { service, resources } = await loadOffer(tx, current.serviceId, cmd.resourceId ?? current.resourceId);
    const resource = resources[0]!;
    // Two resources: lock in a fixed order, as every writer does.
    for (const id of [...new Set([current.resourceId, resource.id])].sort()) await lockResource(tx, id);
    const query = await loadSlotQuery(tx, service, [resource], { start: cmd.start, end: cmd.start + 1 }, deps.now().getTime(), current.id);
    const verdict = explainSlot(query, resource.id, cmd.start);
    if (!verdict.ok) throw slotRefused(verdict.reason);
    const end = cmd.start + service.durationMin * MINUTE;
    const moved = await moveUnlessTaken(tx, current.id, {
      resourceId: resource.id,
      start: cmd.start,
      end,
      blocked: { start: cmd.start - service.bufferBeforeMin * MINUTE, end: end + service.bufferAfterMin * MINUTE },
      now: deps.now(),
    });
    if (!moved) throw slotRefused(mostRelevant(['busy'] as RejectReason[]));
    await auditIfStaff(tx, by, 'booking.reschedule', current, moved);
    const view = { booking: moved, service, resource };
    await bookingChanged(deps, tx, 'booking.rescheduled', view, null, by);
    return view;
  });
}

async function moveUnlessTaken(tx: TenantTx, id: string, m: Parameters<typeof moveBooking>[2]): Promise<Booking | undefined> {
  try {
    return await savepoint(tx, (sp) => moveBooking(sp, id, m));
  } catch (err) {
    if ((err as { code?: string }).code === '23P01') return undefined;
    throw err;
  }
}

export async function bookingView(deps: AppDeps, tenantId: string, bookingId: string): Promise<BookingView | undefined> {
  return withTenant(deps.db, tenantId, async (tx) => {
    const booking = await bookingById(tx, bookingId);
    return booking && describeBooking(tx, booking);
  });
}

/**
 * After (or during) the appointment, staff record how it went: completed or
 * a no-show. Either frees nothing (the time is in the past) and sends nothing.
 */
export async function recordOutcome(deps: AppDeps, tenantId: string, by: Actor, bookingId: string, outcome: 'completed' | 'no_show'): Promise<BookingView> {
  return withTenant(deps.db, tenantId, async (tx) => {
    const current = await bookingForUpdate(tx, bookingId);
    if (!current) throw notFound('That booking does not exist.');
    if (current.status !== 'confirmed') throw notActive(current);
    if (current.start.getTime() > deps.now().getTime()) {
      throw new HttpError(409, 'not_started', 'Not started yet', 'A booking can be marked completed or no-show once it has started.');
    }
    const [row] = await tx('bookings').where({ id: bookingId }).update({ status: outcome, updated_at: deps.now() }).returning('id');
    const booking = (await bookingById(tx, row!.id))!;
    await recordHistory(tx, booking, outcome, by);
    await auditIfStaff(tx, by, `booking.${outcome}`, current, booking);
    return describeBooking(tx, booking);
  });
}
