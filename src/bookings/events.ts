import type { AppDeps } from '../deps.ts';
import type { TenantTx } from '../db/tenant.ts';
import { planBookingNotifications, type BookingChange } from '../notifications/plan.ts';
import { emitEvent } from '../webhooks/service.ts';
import { enqueueBookingPush } from '../calendars/queries.ts';
import type { Actor, Booking, BookingView } from './model.ts';
import { bookingJson } from './serialize.ts';
import { cancelHoldExpiry, scheduleHoldExpiry } from '../payments/queries.ts';
import { scheduleRequestExpiry } from './queries.ts';

/**
 * Everything that follows a change to a booking, written in the same
 * transaction as the change (DESIGN "Booking" step 5): a booking never
 * exists without its follow-ups, nor they without it. The status history
 * line, the messages (and their jobs), the webhook event, and the write to
 * the resource's synced calendar (a job, only when it has one).
 */
export async function bookingChanged(
  deps: AppDeps,
  tx: TenantTx,
  change: BookingChange | 'held' | 'confirmed',
  view: BookingView,
  reason: string | null,
  by: Actor,
  /** `messages: false`: a series sends one message for all its occurrences (src/series/messages.ts) instead of one per booking. */
  opts: { messages?: boolean } = {},
): Promise<void> {
  await recordHistory(tx, view.booking, change === 'held' ? 'created' : change, by, reason);
  // The resource's synced calendar shows held and pending bookings too: their time is taken.
  await enqueueBookingPush(tx, view.booking.id, view.booking.resourceId);
  if (change === 'held') {
    // Awaiting payment: no messages yet (they go when it is confirmed), and
    // the job that releases the time if it is not paid by then.
    await scheduleHoldExpiry(tx, view.booking.id, view.booking.holdExpiresAt!);
    return;
  }
  // Awaiting approval: the job that declines it if nobody answers by then.
  if (change === 'requested') await scheduleRequestExpiry(tx, view.booking.id, view.booking.holdExpiresAt!);
  // Answered (or paid): the expiry job has nothing left to do.
  if (change === 'confirmed' || change === 'declined') await cancelHoldExpiry(tx, view.booking.id);
  // A held booking confirmed is, to the customer, the staff and integrators, a new booking.
  const told = change === 'confirmed' ? 'created' : change;
  if (opts.messages !== false) await planBookingNotifications(deps, tx, told, view, reason);
  await emitEvent(tx, `booking.${told}`, { booking: bookingJson(view) }, deps.now());
}

/** Who made a change, as the status history names them. */
export const ACTOR: Record<Actor['source'], 'customer' | 'staff' | 'api' | 'system'> = {
  public: 'customer', admin: 'staff', api: 'api', waitlist: 'system', series: 'system',
};

/** One line of the booking's status history (shown on its dashboard page). */
export async function recordHistory(
  tx: TenantTx,
  b: Booking,
  event: 'created' | 'cancelled' | 'rescheduled' | 'completed' | 'no_show' | 'confirmed' | 'requested' | 'declined',
  by: Actor,
  detail: string | null = null,
): Promise<void> {
  await tx('booking_history').insert({
    tenant_id: tx.tenantId, booking_id: b.id, event, status: b.status, actor: ACTOR[by.source], actor_user_id: by.userId, detail, starts_at: b.start,
  });
}
