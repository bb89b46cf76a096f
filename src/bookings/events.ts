import type { AppDeps } from '../deps.ts';
import type { TenantTx } from '../db/tenant.ts';
import { planBookingNotifications, type BookingChange } from '../notifications/plan.ts';
import { emitEvent } from '../webhooks/service.ts';
import type { Actor, Booking, BookingView } from './model.ts';
import { bookingJson } from './serialize.ts';

/**
 * Everything that follows a change to a booking, written in the same
 * transaction as the change (DESIGN "Booking" step 5): a booking never
 * exists without its follow-ups, nor they without it. The status history
 * line, the messages (and their jobs) and the webhook event.
 */
export async function bookingChanged(deps: AppDeps, tx: TenantTx, change: BookingChange, view: BookingView, reason: string | null, by: Actor): Promise<void> {
  await recordHistory(tx, view.booking, change, by, reason);
  await planBookingNotifications(deps, tx, change, view, reason);
  await emitEvent(tx, `booking.${change}`, { booking: bookingJson(view) }, deps.now());
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
