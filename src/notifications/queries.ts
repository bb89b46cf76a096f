import type { TenantTx } from '../db/tenant.ts';
import { seal } from '../auth/tokens.ts';
import { taskName } from '../jobs/enqueue.ts';

export type NotificationKind =
  | 'booking_confirmation' | 'booking_reminder' | 'booking_cancelled' | 'booking_rescheduled'
  | 'staff_booking_created' | 'staff_booking_cancelled' | 'staff_booking_rescheduled' | 'password_reset' | 'staff_invite'
  | 'webhook_endpoint_created' | 'webhook_endpoint_disabled' | 'email_verification' | 'api_key_created'
  | 'payment_refunded' | 'late_payment_refunded' | 'calendar_broken'
  | 'booking_requested' | 'staff_booking_requested' | 'booking_declined'
  | 'waitlist_joined' | 'waitlist_offer'

  | 'series_confirmation' | 'staff_series_created' | 'series_cancelled' | 'staff_series_cancelled';
/** `held`: kept back by the business's mail budget (src/notifications/budget.ts); `last_error` says why and until when. */
export type NotificationStatus = 'queued' | 'sending' | 'sent' | 'failed' | 'skipped' | 'held';

export interface NotificationRow {
  id: string;
  tenant_id: string;
  booking_id: string | null;
  kind: NotificationKind;
  to_address: string;
  scheduled_for: Date;
  payload: Record<string, unknown>;
  status: NotificationStatus;
  attempts: number;
  provider: string | null;
  provider_message_id: string | null;
  last_error: string | null;
  sent_at: Date | null;
  claimed_at: Date | null;
  created_at: Date;
}

/**
 * The payload part of a message that carries a link granting access (a
 * password reset, an invitation, an email verification, any later one).
 * The link waits in the queue sealed (AES-256-GCM), and every message made
 * from a sealed link is secret mail: the transport sends it to its
 * recipient and never keeps it readable (the outbox stores it redacted,
 * src/mail/outbox.ts).
 */
export function secretLink(sessionSecret: string, link: string): { sealedLink: string } {
  return { sealedLink: seal(sessionSecret, link) };
}

export const MAX_SEND_ATTEMPTS = 10;

export interface NewNotification {
  bookingId: string | null;
  kind: NotificationKind;
  to: string;
  scheduledFor: Date;
  payload?: Record<string, unknown>;
  /** Reminders pass `reminder:<booking>:<offset>`, so a reschedule replaces the job and a cancel removes it. */
  jobKey?: string;
}

/**
 * Record a message and enqueue its send job in the caller's transaction
 * (see `queueNotifications`); its id, or undefined when nothing was queued.
 */
export async function queueNotification(tx: TenantTx, n: NewNotification): Promise<string | undefined> {
  return (await queueNotifications(tx, [n]))[0];
}

/**
 * Record messages and enqueue their send jobs in the caller's transaction,
 * in one statement whatever their number (a booking change queues several).
 * Re-planning the same (booking, kind, recipient, instant) revives a skipped
 * row rather than adding a second one; a row in any other state stays as it
 * is and nothing is enqueued, so nothing is sent twice. Within one call the
 * first of such duplicates wins, as with one call each. Each job runs at the
 * row's scheduled time, keyed `jobKey` if given (reminders), else
 * `notify:<id>`. Returns the ids of the rows queued.
 */
export async function queueNotifications(tx: TenantTx, list: NewNotification[]): Promise<string[]> {
  if (!list.length) return [];
  // Named: prepared once per connection, as the booking path's other statements (src/bookings/queries.ts).
  const { rows } = await tx.raw<{ rows: { ids: string[] }[] }>(
    'select queue_notifications(?::jsonb, ?, ?) as ids',
    [JSON.stringify(notificationInput(list)), SEND_TASK, MAX_SEND_ATTEMPTS],
  ).options({ name: 'slotwise_queue_notifications' });
  return rows[0]?.ids ?? [];
}

export const SEND_TASK = taskName('notifications__send');

/** The input of the SQL function `queue_notifications` (migrations/functions/). */
export function notificationInput(list: NewNotification[]) {
  return list.map((n) => ({
    booking_id: n.bookingId,
    kind: n.kind,
    to_address: n.to,
    scheduled_for: n.scheduledFor.toISOString(),
    payload: { ...(n.payload ?? {}), ...(n.jobKey ? { jobKey: n.jobKey } : {}) },
    job_key: n.jobKey ?? null,
  }));
}

export interface ResourceMessageSettings {
  /** Minutes before a booking's start at which the customer gets a reminder. */
  reminderOffsets: number[];
  /** The tenant's front-desk address for staff notices. */
  notificationEmail: string | null;
  /** The address of the staff member linked to the booked resource. */
  staffEmail: string | null;
}

/** What planning a booking's messages needs of the tenant and the resource's staff member, in one read. */
export async function resourceMessageSettings(tx: TenantTx, resourceId: string): Promise<ResourceMessageSettings> {
  const { rows } = await tx.raw<{ rows: { s: MessageSettings | null }[] }>(`select message_settings(array[?::uuid]) as s`, [resourceId])
    .options({ name: 'slotwise_message_settings' }); // named, as above
  const s = rows[0]?.s;
  if (!s) throw new Error(`tenant ${tx.tenantId} not visible in its own transaction`);
  return settingsFor(s, resourceId);
}

/** The settings of one resource's booking messages, from what `message_settings` read for several. */
export const settingsFor = (s: MessageSettings, resourceId: string): ResourceMessageSettings => ({
  reminderOffsets: s.reminder_offsets, notificationEmail: s.notification_email, staffEmail: s.staff_emails[resourceId] ?? null,
});

/** What `message_settings` returns: the tenant's, and the staff e-mail of each resource that has a staff member. */
export interface MessageSettings {
  reminder_offsets: number[];
  notification_email: string | null;
  staff_emails: Record<string, string>;
}

/**
 * Skip a booking's reminders that have not gone out and drop their jobs,
 * and the jobs of `moreKeys` (reminders whose time has passed), in one
 * statement.
 */
export async function skipPendingReminders(tx: TenantTx, bookingId: string, moreKeys: string[] = []): Promise<void> {
  await tx.raw(
    `with skipped as (
       update notifications set status = 'skipped', last_error = null
       where booking_id = ? and kind = 'booking_reminder' and status = 'queued'
       returning payload ->> 'jobKey' as job_key
     )
     select app_private.remove_job(k.job_key)
     from (select job_key from skipped where job_key is not null and job_key <> '' union select unnest(?::text[])) as k (job_key)`,
    [bookingId, moreKeys],
  );
}

export async function notificationsOfBooking(tx: TenantTx, bookingId: string): Promise<NotificationRow[]> {
  return tx<NotificationRow>('notifications').where({ booking_id: bookingId }).orderBy([{ column: 'scheduled_for' }, { column: 'kind' }]);
}

export async function recentNotifications(tx: TenantTx, limit = 50): Promise<NotificationRow[]> {
  return tx<NotificationRow>('notifications').whereNot({ status: 'skipped' }).orderBy('created_at', 'desc').limit(limit);
}
