import type { AppDeps } from '../deps.ts';
import type { TenantTx } from '../db/tenant.ts';
import { enqueue } from '../jobs/enqueue.ts';
import { emitEvent, type WebhookEvent } from '../webhooks/service.ts';
import { bookingJson } from './serialize.ts';
import type { BookingView } from './service.ts';

/**
 * Everything that follows a change to a booking, enqueued in the same
 * transaction as the change (DESIGN "Booking" step 5): a booking never
 * exists without its follow-ups, nor they without it.
 */
export async function bookingChanged(deps: AppDeps, tx: TenantTx, event: WebhookEvent, view: BookingView): Promise<void> {
  if (event === 'booking.created') {
    await enqueue(tx, 'bookings__send_confirmation', { bookingId: view.booking.id }, { jobKey: `booking:${view.booking.id}:confirmation` });
  }
  await emitEvent(tx, event, { booking: bookingJson(view) }, deps.now());
}
