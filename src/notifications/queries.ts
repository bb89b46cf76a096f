import type { TenantTx } from '../db/tenant.ts';
import { dequeue, enqueue } from '../jobs/enqueue.ts';

export type NotificationKind =
  | 'booking_confirmation' | 'booking_reminder' | 'booking_cancelled' | 'booking_rescheduled'
  | 'staff_booking_created' | 'staff_booking_cancelled' | 'staff_booking_rescheduled' | 'password_reset' | 'staff_invite';
export type NotificationStatus = 'queued' | 'sending' | 'sent' | 'failed' | 'skipped';

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
  created_at: Date;
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
 * Record a message and enqueue its send job in the caller's transaction.
 * Re-planning the same (booking, kind, recipient, instant) revives a skipped
 * row rather than adding a second one; a row in any other state stays as it
 * is and nothing is enqueued, so nothing is sent twice.
 */
export async function queueNotification(tx: TenantTx, n: NewNotification): Promise<string | undefined> {
  const payload = { ...(n.payload ?? {}), ...(n.jobKey ? { jobKey: n.jobKey } : {}) };
  const rows = await tx('notifications')
    .insert({ tenant_id: tx.tenantId, booking_id: n.bookingId, kind: n.kind, to_address: n.to, scheduled_for: n.scheduledFor, payload: JSON.stringify(payload) })
    .onConflict(['tenant_id', 'booking_id', 'kind', 'to_address', 'scheduled_for'])
    .merge({ status: 'queued', attempts: 0, last_error: null, payload: JSON.stringify(payload) })
    .where('notifications.status', 'skipped')
    .returning<{ id: string }[]>('id');
  const id = rows[0]?.id;
  if (!id) return undefined;
  await enqueue(tx, 'notifications__send', { notificationId: id }, { jobKey: n.jobKey ?? `notify:${id}`, runAt: n.scheduledFor, maxAttempts: MAX_SEND_ATTEMPTS });
  return id;
}

/** Skip a booking's reminders that have not gone out, and drop their jobs. */
export async function skipPendingReminders(tx: TenantTx, bookingId: string): Promise<void> {
  const rows = await tx('notifications')
    .where({ booking_id: bookingId, kind: 'booking_reminder', status: 'queued' })
    .update({ status: 'skipped', last_error: null })
    .returning<{ payload: { jobKey?: string } }[]>('payload');
  for (const key of new Set(rows.map((r) => r.payload.jobKey).filter((k): k is string => Boolean(k)))) await dequeue(tx, key);
}

export async function notificationsOfBooking(tx: TenantTx, bookingId: string): Promise<NotificationRow[]> {
  return tx<NotificationRow>('notifications').where({ booking_id: bookingId }).orderBy([{ column: 'scheduled_for' }, { column: 'kind' }]);
}

export async function recentNotifications(tx: TenantTx, limit = 50): Promise<NotificationRow[]> {
  return tx<NotificationRow>('notifications').whereNot({ status: 'skipped' }).orderBy('created_at', 'desc').limit(limit);
}
