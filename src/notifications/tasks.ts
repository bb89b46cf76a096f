import type { Task } from 'graphile-worker';
import { z } from 'zod';
import type { AppDeps } from '../deps.ts';
import { withTenant, type TenantTx } from '../db/tenant.ts';
import { log } from '../log.ts';
import { unseal } from '../auth/tokens.ts';
import { manageUrl } from '../bookings/manage-link.ts';
import { bookingById } from '../bookings/queries.ts';
import { describeBooking } from '../bookings/service.ts';
import { currentTenant } from '../tenancy/queries.ts';
import { MAX_SEND_ATTEMPTS, type NotificationRow } from './queries.ts';
import { renderBookingMessage, renderPasswordReset, renderStaffInvite, type BookingKind, type Rendered } from './render.ts';
import { isWebhookNotice, renderWebhookNotice } from '../webhooks/notices.ts';
import { PermanentMailError, transportFor, type MailTransport, type OutgoingMail } from './transport.ts';

declare global {
  // eslint-disable-next-line @typescript-eslint/no-namespace
  namespace GraphileWorker {
    interface Tasks {
      notifications__send: { tenantId: string; notificationId: string };
    }
  }
}

const Payload = z.object({ tenantId: z.uuid(), notificationId: z.uuid() });

/**
 * Send one notification, exactly once as far as the app can know.
 *
 * 1. In a transaction: lock the row; go on only if it is `queued` and still
 *    relevant (a reminder of a cancelled or moved booking is `skipped`);
 *    render; mark it `sending` and count the attempt. Commit.
 * 2. Hand it to the transport (SendGrid or the outbox), outside any
 *    transaction.
 * 3. Mark it `sent` with the provider's message id (and clear its payload).
 *
 * A row found in `sending` means a worker died between 1 and 3: the
 * provider may have accepted the message, so it is not sent again but marked
 * `failed` for the admin to see (at most once across crashes). Transient
 * provider failures put the row back to `queued` and throw, so
 * graphile-worker retries with backoff; permanent ones mark it `failed`.
 */
export function sendNotificationTask(deps: AppDeps, transport: MailTransport = transportFor(deps)): Task<'notifications__send'> {
  return async (raw, helpers) => {
    const { tenantId, notificationId } = Payload.parse(raw);
    const mail = await withTenant(deps.db, tenantId, (tx) => claim(deps, tx, notificationId));
    if (!mail) return;
    try {
      const sent = await transport.send(mail);
      await withTenant(deps.db, tenantId, (tx) =>
        tx('notifications')
          .where({ id: notificationId })
          .update({ status: 'sent', provider: sent.provider, provider_message_id: sent.messageId, sent_at: deps.now(), last_error: null, payload: '{}' }),
      );
    } catch (err) {
      const permanent = err instanceof PermanentMailError;
      const last = permanent || helpers.job.attempts >= Math.min(helpers.job.max_attempts, MAX_SEND_ATTEMPTS);
      const message = err instanceof Error ? err.message : String(err);
      await withTenant(deps.db, tenantId, (tx) =>
        tx('notifications').where({ id: notificationId }).update({ status: last ? 'failed' : 'queued', last_error: message.slice(0, 1000), provider: transport.name }),
      );
      log.warn('notification not sent', { tenantId, notificationId, kind: mail.kind, permanent, last, error: message });
      if (!last) throw err;
    }
  };
}

async function claim(deps: AppDeps, tx: TenantTx, id: string): Promise<OutgoingMail | undefined> {
  const n = await tx<NotificationRow>('notifications').where({ id }).forUpdate().first();
  if (!n) return undefined;
  if (n.status === 'sending') {
    await tx('notifications').where({ id }).update({
      status: 'failed',
      last_error: 'The worker stopped while sending; the provider may have delivered it, so it is not sent again.',
    });
    return undefined;
  }
  if (n.status !== 'queued') return undefined;
  const rendered = await render(deps, tx, n);
  if (!rendered) {
    await tx('notifications').where({ id }).update({ status: 'skipped' });
    return undefined;
  }
  await tx('notifications').where({ id }).update({ status: 'sending', attempts: n.attempts + 1 });
  return { tenantId: tx.tenantId, notificationId: id, kind: n.kind, to: n.to_address, ...rendered };
}

/** The message, or undefined when it no longer applies. */
async function render(deps: AppDeps, tx: TenantTx, n: NotificationRow): Promise<Rendered | undefined> {
  const tenant = await currentTenant(tx);
  if (isWebhookNotice(n.kind)) return renderWebhookNotice(deps.config, tenant, n.kind, n.payload);
  if (n.kind === 'password_reset' || n.kind === 'staff_invite') {
    const sealed = n.payload.sealedLink;
    if (typeof sealed !== 'string') return undefined;
    const link = unseal(deps.config.sessionSecret, sealed);
    return n.kind === 'password_reset'
      ? renderPasswordReset(tenant, String(n.payload.name ?? ''), link)
      : renderStaffInvite(tenant, String(n.payload.inviter ?? 'Your team'), String(n.payload.role ?? 'staff'), link);
  }
  const booking = n.booking_id ? await bookingById(tx, n.booking_id) : undefined;
  if (!booking) return undefined;
  const active = booking.status === 'confirmed' || booking.status === 'held';
  if (n.kind === 'booking_reminder') {
    const offset = Number(n.payload.offset);
    if (!active || booking.start.getTime() - offset * 60_000 !== n.scheduled_for.getTime()) return undefined;
  }
  // A confirmation or move notice overtaken by a cancellation is not worth sending.
  if ((n.kind === 'booking_confirmation' || n.kind === 'booking_rescheduled') && !active) return undefined;
  const view = await describeBooking(tx, booking);
  const forCustomer = n.kind.startsWith('booking_');
  return renderBookingMessage({
    kind: n.kind as BookingKind,
    tenant,
    view,
    ...(forCustomer ? { manageUrl: manageUrl(deps.config, tenant, booking) } : {}),
    cancelReason: typeof n.payload.reason === 'string' ? n.payload.reason : null,
    ...(n.kind === 'booking_reminder' ? { offsetMinutes: Number(n.payload.offset) } : {}),
    mailFrom: deps.config.mailFrom,
    now: deps.now(),
  });
}
