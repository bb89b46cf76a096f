import type { AppDeps } from '../deps.ts';
import type { TenantTx } from '../db/tenant.ts';
import { planBookingNotifications, planMessages } from '../notifications/plan.ts';
import { MAX_SEND_ATTEMPTS, notificationInput, SEND_TASK, type ResourceMessageSettings } from '../notifications/queries.ts';
import { DELIVER_TASK, emitEvent, MAX_ATTEMPTS as WEBHOOK_MAX_ATTEMPTS, webhookEvent } from '../webhooks/service.ts';
import { bookingJson } from './serialize.ts';
import type { Actor, BookingView } from './service.ts';
import type { BookFollowUps, Booking } from './queries.ts';

/**
 * Everything that follows a change to a booking, enqueued in the same
 * transaction as the change (DESIGN "Booking" step 5): a booking never
 * exists without its follow-ups, nor they without it. A new booking's are
 * written by `book` in the booking's own statement (`createdFollowUps`).
 */
export async function bookingChanged(
  deps: AppDeps,
  tx: TenantTx,
  event: 'booking.cancelled' | 'booking.rescheduled',
  view: BookingView,
  reason: string | null,
  by: Actor,
): Promise<void> {
  const change = event === 'booking.cancelled' ? 'cancelled' : 'rescheduled';
  await recordHistory(tx, view.booking, change, by, reason);
  await planBookingNotifications(deps, tx, change, view, reason);
  await emitEvent(tx, event, { booking: bookingJson(view) }, deps.now());
}

/**
 * The follow-ups of a new booking, as the SQL function `book` takes them:
 * the same history line, messages and webhook event `bookingChanged` writes
 * for later changes, decided here, written in the booking's statement.
 */
export function createdFollowUps(view: BookingView, by: Actor, settings: ResourceMessageSettings, now: Date): BookFollowUps {
  const { queue } = planMessages(settings, 'created', view, now);
  const event = webhookEvent('booking.created', { booking: bookingJson(view) }, now);
  return {
    history: { event: 'created', actor: ACTOR[by.source], actor_user_id: by.userId, detail: null },
    notify: { task: SEND_TASK, max_attempts: MAX_SEND_ATTEMPTS, input: notificationInput(queue) },
    event: { task: DELIVER_TASK, max_attempts: WEBHOOK_MAX_ATTEMPTS, ...event },
  };
}

/** Who made a change, as the status history names them. */
export const ACTOR: Record<Actor['source'], 'customer' | 'staff' | 'api' | 'system'> = {
  public: 'customer', admin: 'staff', api: 'api', waitlist: 'system', series: 'system',
};

/** One line of the booking's status history (shown on its dashboard page). */
export async function recordHistory(
  tx: TenantTx,
  b: Booking,
  event: 'created' | 'cancelled' | 'rescheduled' | 'completed' | 'no_show',
  by: Actor,
  detail: string | null = null,
): Promise<void> {
  await tx('booking_history').insert({
    tenant_id: tx.tenantId, booking_id: b.id, event, status: b.status, actor: ACTOR[by.source], actor_user_id: by.userId, detail, starts_at: b.start,
  });
}
