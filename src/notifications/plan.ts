import type { AppDeps } from '../deps.ts';
import type { TenantTx } from '../db/tenant.ts';
import { dequeue } from '../jobs/enqueue.ts';
import type { BookingView } from '../bookings/service.ts';
import { currentTenant } from '../tenancy/queries.ts';
import { queueNotification, skipPendingReminders, type NotificationKind } from './queries.ts';

export type BookingChange = 'created' | 'cancelled' | 'rescheduled';

const CUSTOMER: Record<BookingChange, NotificationKind> = {
  created: 'booking_confirmation', cancelled: 'booking_cancelled', rescheduled: 'booking_rescheduled',
};
const STAFF: Record<BookingChange, NotificationKind> = {
  created: 'staff_booking_created', cancelled: 'staff_booking_cancelled', rescheduled: 'staff_booking_rescheduled',
};

const reminderKey = (bookingId: string, offset: number) => `reminder:${bookingId}:${offset}`;

/**
 * The messages a booking change causes, queued in the change's own
 * transaction: the customer's notice now, the staff's notice now, and the
 * reminders at start − each of the tenant's offsets (never one whose time
 * has already passed). A reschedule moves the reminders (same job key,
 * replaced); a cancellation removes them.
 */
export async function planBookingNotifications(deps: AppDeps, tx: TenantTx, change: BookingChange, view: BookingView, reason: string | null = null): Promise<void> {
  const tenant = await currentTenant(tx);
  const now = deps.now();
  const b = view.booking;
  const payload = reason ? { reason } : {};
  await queueNotification(tx, { bookingId: b.id, kind: CUSTOMER[change], to: b.customer.email, scheduledFor: now, payload: { ...payload, sequence: b.sequence } });
  for (const to of await staffRecipients(tx, view, tenant.notificationEmail)) {
    await queueNotification(tx, { bookingId: b.id, kind: STAFF[change], to, scheduledFor: now, payload: { ...payload, sequence: b.sequence } });
  }
  if (change !== 'created') await skipPendingReminders(tx, b.id);
  if (change === 'cancelled') return;
  for (const offset of tenant.reminderOffsets) {
    const at = new Date(b.start.getTime() - offset * 60_000);
    if (at <= now) {
      await dequeue(tx, reminderKey(b.id, offset));
      continue;
    }
    await queueNotification(tx, { bookingId: b.id, kind: 'booking_reminder', to: b.customer.email, scheduledFor: at, payload: { offset }, jobKey: reminderKey(b.id, offset) });
  }
}

/** The staff member linked to the resource, and the tenant's notification address; each once. */
async function staffRecipients(tx: TenantTx, view: BookingView, notificationEmail: string | null): Promise<string[]> {
  const out = new Set<string>();
  if (view.resource.userId) {
    const user = await tx('users').where({ id: view.resource.userId }).first('email');
    if (user) out.add(user.email as string);
  }
  if (notificationEmail) out.add(notificationEmail.toLowerCase());
  return [...out];
}
