import type { AppDeps } from '../deps.ts';
import type { TenantTx } from '../db/tenant.ts';
import type { BookingView } from '../bookings/model.ts';
import { planMessages, staffRecipients } from '../notifications/plan.ts';
import { queueNotifications, resourceMessageSettings, skipPendingReminders, type NewNotification } from '../notifications/queries.ts';
import type { Series } from './queries.ts';

/**
 * The messages of a series change, queued in its transaction: ONE message
 * to the customer and one to each staff recipient for the whole series
 * (listing its occurrences, the .ics with one event each), rather than one
 * per booking; each occurrence keeps its own reminders, as any booking.
 * The payload names the occurrences concerned; the renderer reads them
 * as they are when it sends (src/notifications/tasks.ts).
 */
export async function planSeriesMessages(
  deps: AppDeps,
  tx: TenantTx,
  change: 'created' | 'cancelled',
  series: Series,
  views: BookingView[],
  reason: string | null = null,
): Promise<void> {
  if (!views.length) return;
  const now = deps.now();
  const settings = await resourceMessageSettings(tx, series.resourceId);
  const queue: NewNotification[] = [];
  for (const view of views) {
    if (change === 'cancelled') await skipPendingReminders(tx, view.booking.id);
    else queue.push(...planMessages(settings, 'created', view, now).queue.filter((n) => n.kind === 'booking_reminder'));
  }
  const payload = { seriesId: series.id, bookingIds: views.map((v) => v.booking.id), ...(reason ? { reason } : {}) };
  const first = views[0]!.booking;
  queue.push({ bookingId: first.id, kind: change === 'created' ? 'series_confirmation' : 'series_cancelled', to: series.customer.email, scheduledFor: now, payload });
  for (const to of staffRecipients(settings)) {
    queue.push({ bookingId: first.id, kind: change === 'created' ? 'staff_series_created' : 'staff_series_cancelled', to, scheduledFor: now, payload });
  }
  await queueNotifications(tx, queue);
}
