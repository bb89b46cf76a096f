import type { AppDeps } from '../deps.ts';
import type { TenantTx } from '../db/tenant.ts';
import { planBookingNotifications } from '../notifications/plan.ts';
import { emitEvent, type WebhookEvent } from '../webhooks/service.ts';
import { bookingJson } from './serialize.ts';
import type { Actor, BookingView } from './service.ts';
import type { Booking } from './queries.ts';

/**
 * Everything that follows a change to a booking, enqueued in the same
 * transaction as the change (DESIGN "Booking" step 5): a booking never
 * exists without its follow-ups, nor they without it.
 */
export async function bookingChanged(
  deps: AppDeps,
  tx: TenantTx,
  event: WebhookEvent,
  view: BookingView,
  reason: string | null = null,
  by?: Actor,
): Promise<void> {
  const change = event === 'booking.created' ? 'created' : event === 'booking.cancelled' ? 'cancelled' : 'rescheduled';
  const b = view.booking;
  await recordHistory(tx, b, change, by ?? { source: b.source, userId: null }, reason);
  await planBookingNotifications(deps, tx, change, view, reason);
  await emitEvent(tx, event, { booking: bookingJson(view) }, deps.now());
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
