import type { Task } from 'graphile-worker';
import { z } from 'zod';
import type { AppDeps } from '../deps.ts';
import { isUuid, tenantCall, withTenant, type TenantTx } from '../db/tenant.ts';
import { log } from '../log.ts';
import { unseal } from '../auth/tokens.ts';
import { manageUrl } from '../bookings/manage-link.ts';
import { bookingById, bookingsOfSeries } from '../bookings/queries.ts';
import { resourceById, serviceById } from '../catalog/queries.ts';
import { seriesById } from '../series/queries.ts';
import { renderSeriesMessage, SERIES_KINDS, type SeriesKind } from './series-render.ts';
import { isActive } from '../bookings/model.ts';
import { describeBooking } from '../bookings/service.ts';
import { tenantOrigin } from '../config.ts';
import { currentTenant, type Tenant } from '../tenancy/queries.ts';
import { mailVerdict } from './budget.ts';
import { MAX_SEND_ATTEMPTS, SEND_TASK, type NotificationRow } from './queries.ts';
import {
  renderApiKeyCreated, renderBookingMessage, renderEmailVerification, renderPasswordReset, renderStaffInvite, type BookingKind, type Rendered,
} from './render.ts';
import { renderCalendarBroken } from '../calendars/health.ts';
import { renderWaitlistMail } from '../waitlist/mail.ts';
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
 * 1. In a transaction: lock the row; go on only if it is `queued` (or
 *    `held`) and still relevant (a reminder of a cancelled or moved booking
 *    is `skipped`); render; ask the business's mail budget (a message it
 *    does not allow now is `held`, see budget.ts); mark it `sending` and
 *    count the attempt. Commit.
 * 2. Hand it to the transport (SendGrid or the outbox), outside any
 *    transaction.
 * 3. Mark it `sent` with the provider's message id (and clear its payload),
 *    in one statement (migrations/functions/notification_sent.sql).
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
      await tenantCall(deps.db, tenantId, 'slotwise_notification_sent', 'select notification_sent(?::uuid, ?::uuid, ?, ?, ?::timestamptz)', [
        notificationId, sent.provider, sent.messageId, deps.now(),
      ]);
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
  // A held message's job runs when its wait may be over (the next day for the daily cap).
  if (n.status !== 'queued' && n.status !== 'held') return undefined;
  const rendered = await render(deps, tx, n);
  if (!rendered) {
    await tx('notifications').where({ id }).update({ status: 'skipped' });
    return undefined;
  }
  const verdict = await mailVerdict(deps, tx, n.kind);
  if (!verdict.send) {
    await tx('notifications').where({ id }).update({ status: 'held', last_error: verdict.reason });
    if (verdict.retryAt) await sendLater(tx, id, verdict.retryAt);
    return undefined;
  }
  await tx('notifications').where({ id }).update({ status: 'sending', attempts: n.attempts + 1, claimed_at: deps.now(), last_error: null });
  return { tenantId: tx.tenantId, notificationId: id, kind: n.kind, to: n.to_address, ...rendered };
}

/** A new send job for a held message (the running job loses its key, so this one takes it). */
async function sendLater(tx: TenantTx, id: string, at: Date): Promise<void> {
  await tx.raw('select app_private.add_job(?, ?::jsonb, ?::timestamptz, ?, max_attempts => ?)', [SEND_TASK, JSON.stringify({ notificationId: id }), at, `notify:${id}`, MAX_SEND_ATTEMPTS]);
}

/** The message, or undefined when it no longer applies. */
async function render(deps: AppDeps, tx: TenantTx, n: NotificationRow): Promise<Rendered | undefined> {
  const tenant = await currentTenant(tx);
  if (isWebhookNotice(n.kind)) return renderWebhookNotice(deps.config, tenant, n.kind, n.payload);
  if (n.kind === 'calendar_broken') return renderCalendarBroken(deps, tenant, n.payload);
  if (n.kind === 'waitlist_joined' || n.kind === 'waitlist_offer') return renderWaitlistMail(deps, tx, tenant, n);
  // Made from a sealed link: secret mail, whatever its kind (see secretLink).
  const sealed = n.payload.sealedLink;
  const link = typeof sealed === 'string' ? unseal(deps.config.sessionSecret, sealed) : undefined;
  const secret = (r: Rendered): Rendered => ({ ...r, secrets: [...new Set([...r.secrets, link!])] });
  switch (n.kind) {
    case 'password_reset':
      return link ? secret(renderPasswordReset(tenant, String(n.payload.name ?? ''), link)) : undefined;
    case 'staff_invite':
      return link ? secret(renderStaffInvite(tenant, String(n.payload.inviter ?? 'Your team'), String(n.payload.role ?? 'staff'), link)) : undefined;
    case 'email_verification':
      // Once the business is verified (by this link or another), an older link is not worth sending.
      return link && !(await isOwnerEmailVerified(tx)) ? secret(renderEmailVerification(tenant, String(n.payload.name ?? ''), link)) : undefined;
    case 'api_key_created':
      return renderApiKeyCreated(tenant, {
        keyName: String(n.payload.keyName ?? ''),
        prefix: String(n.payload.prefix ?? ''),
        createdBy: typeof n.payload.createdBy === 'string' ? n.payload.createdBy : null,
        createdAt: `${n.scheduled_for.toISOString().slice(0, 16).replace('T', ' ')} UTC`,
        developersUrl: `${tenantOrigin(deps.config, tenant.slug)}/admin/developers`,
      });
    default:
      if (SERIES_KINDS.includes(n.kind) && !link) return renderSeries(deps, tx, tenant, n);
      if (link) throw new Error(`notification ${n.id} of kind ${n.kind} carries a sealed link its renderer does not know`);
      return renderBooking(deps, tx, tenant, n);
  }
}

/**
 * A series' one message: the occurrences it names (payload), as they are
 * now. A confirmation leaves out those cancelled since, and is not sent
 * when none is left.
 */
async function renderSeries(deps: AppDeps, tx: TenantTx, tenant: Tenant, n: NotificationRow): Promise<Rendered | undefined> {
  const series = typeof n.payload.seriesId === 'string' && isUuid(n.payload.seriesId) ? await seriesById(tx, n.payload.seriesId) : undefined;
  if (!series) return undefined;
  const named = new Set(Array.isArray(n.payload.bookingIds) ? n.payload.bookingIds.map(String) : []);
  const confirming = n.kind === 'series_confirmation' || n.kind === 'staff_series_created';
  const occurrences = (await bookingsOfSeries(tx, series.id)).filter((b) => named.has(b.id) && (!confirming || b.status === 'confirmed' || b.status === 'held'));
  if (!occurrences.length) return undefined;
  const service = await serviceById(tx, series.serviceId);
  const resource = await resourceById(tx, series.resourceId);
  if (!service || !resource) return undefined;
  const forCustomer = !n.kind.startsWith('staff_');
  return renderSeriesMessage({
    kind: n.kind as SeriesKind,
    tenant,
    service,
    resource,
    customer: series.customer,
    occurrences,
    interval: series.recurrence.interval,
    ...(forCustomer && confirming ? { manageUrl: manageUrl(deps.config, tenant, occurrences[0]!) } : {}),
    cancelReason: typeof n.payload.reason === 'string' ? n.payload.reason : null,
    mailFrom: deps.config.mailFrom,
    now: deps.now(),
  });
}

async function isOwnerEmailVerified(tx: TenantTx): Promise<boolean> {
  const row = await tx('tenants').where({ id: tx.tenantId }).first<{ owner_email_verified_at: Date | null }>('owner_email_verified_at');
  return Boolean(row?.owner_email_verified_at);
}

async function renderBooking(deps: AppDeps, tx: TenantTx, tenant: Tenant, n: NotificationRow): Promise<Rendered | undefined> {
  const booking = n.booking_id ? await bookingById(tx, n.booking_id) : undefined;
  if (!booking) return undefined;
  const active = isActive(booking);
  if (n.kind === 'booking_reminder') {
    const offset = Number(n.payload.offset);
    if (!active || booking.start.getTime() - offset * 60_000 !== n.scheduled_for.getTime()) return undefined;
    // Held back past the start (by the mail budget), a reminder has nothing left to remind of.
    if (booking.start.getTime() <= deps.now().getTime()) return undefined;
  }
  // A confirmation or move notice overtaken by a cancellation is not worth sending, nor a request already answered.
  if ((n.kind === 'booking_confirmation' || n.kind === 'booking_rescheduled') && !active) return undefined;
  if ((n.kind === 'booking_requested' || n.kind === 'staff_booking_requested') && booking.status !== 'pending') return undefined;
  const view = await describeBooking(tx, booking);
  const forCustomer = !n.kind.startsWith('staff_');
  return renderBookingMessage({
    kind: n.kind as BookingKind,
    tenant,
    view,
    ...(forCustomer ? { manageUrl: manageUrl(deps.config, tenant, booking) } : {}),
    cancelReason: typeof n.payload.reason === 'string' ? n.payload.reason : null,
    ...(n.kind === 'booking_reminder' ? { offsetMinutes: Number(n.payload.offset) } : {}),
    ...(typeof n.payload.amount === 'number' ? { refundAmount: n.payload.amount } : {}),
    ...(n.kind === 'staff_booking_requested' ? { approvalUrl: `${tenantOrigin(deps.config, tenant.slug)}/admin/bookings/${booking.id}` } : {}),
    mailFrom: deps.config.mailFrom,
    now: deps.now(),
  });
}
