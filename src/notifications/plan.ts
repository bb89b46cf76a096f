import type { AppDeps } from '../deps.ts';
import type { TenantTx } from '../db/tenant.ts';
import type { BookingView } from '../bookings/model.ts';
import { resourceMessageSettings, queueNotifications, skipPendingReminders, type NewNotification, type NotificationKind, type ResourceMessageSettings } from './queries.ts';

/** `requested`: a booking that waits for the business's approval; `declined`: the business said no to it. */
export type BookingChange = 'created' | 'cancelled' | 'rescheduled' | 'requested' | 'declined';

const CUSTOMER: Record<BookingChange, NotificationKind> = {
  created: 'booking_confirmation', cancelled: 'booking_cancelled', rescheduled: 'booking_rescheduled',
  requested: 'booking_requested', declined: 'booking_declined',
};
/** Staff who declined a request need no notice of it. */
const STAFF: Record<BookingChange, NotificationKind | null> = {
  created: 'staff_booking_created', cancelled: 'staff_booking_cancelled', rescheduled: 'staff_booking_rescheduled',
  requested: 'staff_booking_requested', declined: null,
};
/** Reminders are for bookings that will happen: not for a request (they are planned once it is approved), nor for what is called off. */
const REMINDED: ReadonlySet<BookingChange> = new Set(['created', 'rescheduled']);

const reminderKey = (bookingId: string, offset: number) => `reminder:${bookingId}:${offset}`;

/**
 * The messages a booking change causes, queued in the change's own
 * transaction: the customer's notice now, the staff's notice now, and the
 * reminders at start − each of the tenant's offsets (never one whose time
 * has already passed). A reschedule moves the reminders (same job key,
 * replaced); a cancellation removes them. Three statements at most: the
 * settings, dropping the old reminders (not for a new booking), and one
 * batch of rows and jobs.
 */
export async function planBookingNotifications(deps: AppDeps, tx: TenantTx, change: BookingChange, view: BookingView, reason: string | null = null): Promise<void> {
  const settings = await resourceMessageSettings(tx, view.resource.id);
  const { queue, passed } = planMessages(settings, change, view, deps.now(), reason);
  // Before queueing: a reminder at an unchanged instant must find its old
  // row skipped, to revive it. A booking created in this transaction has no
  // reminders or jobs yet, so there is nothing to drop.
  if (change !== 'created' && change !== 'requested') await skipPendingReminders(tx, view.booking.id, passed);
  await queueNotifications(tx, queue);
}

/**
 * The messages of one change, decided from the settings alone: what to
 * queue, and the job keys of reminders whose time has already passed.
 * Used by `planBookingNotifications`; pure, so tests can plan without a database.
 */
export function planMessages(
  settings: ResourceMessageSettings,
  change: BookingChange,
  view: BookingView,
  now: Date,
  reason: string | null = null,
): { queue: NewNotification[]; passed: string[] } {
  const b = view.booking;
  const payload = reason ? { reason } : {};
  const queue: NewNotification[] = [{ bookingId: b.id, kind: CUSTOMER[change], to: b.customer.email, scheduledFor: now, payload: { ...payload, sequence: b.sequence } }];
  const staffKind = STAFF[change];
  for (const to of staffKind ? staffRecipients(settings) : []) {
    queue.push({ bookingId: b.id, kind: staffKind!, to, scheduledFor: now, payload: { ...payload, sequence: b.sequence } });
  }
  const passed: string[] = [];
  // A pending booking that is moved keeps no reminders either: `b.status` says whether it is still a request.
  if (REMINDED.has(change) && b.status !== 'pending') {
    for (const offset of settings.reminderOffsets) {
      const at = new Date(b.start.getTime() - offset * 60_000);
      if (at <= now) passed.push(reminderKey(b.id, offset));
      else queue.push({ bookingId: b.id, kind: 'booking_reminder', to: b.customer.email, scheduledFor: at, payload: { offset }, jobKey: reminderKey(b.id, offset) });
    }
  }
  return { queue, passed };
}

/** The staff member linked to the resource, and the tenant's notification address; each once. */
export function staffRecipients(s: ResourceMessageSettings): string[] {
  const out = new Set<string>();
  if (s.staffEmail) out.add(s.staffEmail);
  if (s.notificationEmail) out.add(s.notificationEmail.toLowerCase());
  return [...out];
}
