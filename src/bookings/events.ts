import type { AppDeps } from '../deps.ts';
import type { TenantTx } from '../db/tenant.ts';
import { planBookingNotifications } from '../notifications/plan.ts';
import { emitEvent, type WebhookEvent } from '../webhooks/service.ts';
import { bookingJson } from './serialize.ts';
import type { BookingView } from './service.ts';

/**
 * Everything that follows a change to a booking, enqueued in the same
 * transaction as the change (DESIGN "Booking" step 5): a booking never
 * exists without its follow-ups, nor they without it.
 */
export async function bookingChanged(deps: AppDeps, tx: TenantTx, event: WebhookEvent, view: BookingView, reason: string | null = null): Promise<void> {
  const change = event === 'booking.created' ? 'created' : event === 'booking.cancelled' ? 'cancelled' : 'rescheduled';
  await planBookingNotifications(deps, tx, change, view, reason);
  await emitEvent(tx, event, { booking: bookingJson(view) }, deps.now());
}
