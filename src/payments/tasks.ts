import type { Task } from 'graphile-worker';
import { z } from 'zod';
import type { AppDeps } from '../deps.ts';
import { withTenant } from '../db/tenant.ts';
import { bookingById } from '../bookings/queries.ts';
import { expireHold, paymentReceived } from '../bookings/service.ts';
import { queueNotification } from '../notifications/queries.ts';
import { LATE_REFUND_REASON } from './refunds.ts';
import { applyRefundStatus, paymentOf, scheduleHoldExpiry, recordPaymentEvent, refundKey, REFUND_MAX_ATTEMPTS, type RefundStatus } from './queries.ts';
import { isTransient, onAccount, Stripe, stripeClient } from './stripe.ts';

declare global {
  // eslint-disable-next-line @typescript-eslint/no-namespace
  namespace GraphileWorker {
    interface Tasks {
      payments__expire_hold: { tenantId: string; bookingId: string };
      payments__refund: { tenantId: string; bookingId: string; n: number };
    }
  }
}

const HoldPayload = z.object({ tenantId: z.uuid(), bookingId: z.uuid() });
const RefundPayload = z.object({ tenantId: z.uuid(), bookingId: z.uuid(), n: z.number().int().min(1) });

/**
 * At a held booking's end of hold: first the Checkout Session is expired at
 * Stripe, so no payment can complete after this point; then the booking is
 * cancelled and its time freed (`expireHold`, under the booking's row
 * lock). If Stripe says the session is no longer open because it was paid,
 * the payment is applied here (as its webhook would, which then finds it
 * applied): the booking is confirmed, not expired. Either way exactly one
 * outcome. A cancelled held booking's session is expired too.
 */
export function expireHoldTask(deps: AppDeps): Task<'payments__expire_hold'> {
  return async (raw) => {
    const { tenantId, bookingId } = HoldPayload.parse(raw);
    const found = await withTenant(deps.db, tenantId, async (tx) => ({ booking: await bookingById(tx, bookingId), payment: await paymentOf(tx, bookingId) }));
    const { booking, payment } = found;
    if (!booking) return;
    // Run early (the database's clock ahead of ours): not yet; again at the end of the hold.
    if (booking.status === 'held' && booking.holdExpiresAt && booking.holdExpiresAt > deps.now()) {
      await withTenant(deps.db, tenantId, (tx) => scheduleHoldExpiry(tx, bookingId, booking.holdExpiresAt!, true));
      return;
    }
    const stripe = stripeClient(deps.config);
    if (stripe && payment?.checkoutSessionId && payment.amountPaid === 0) {
      const opts = onAccount(payment.stripeAccountId);
      try {
        await stripe.checkout.sessions.expire(payment.checkoutSessionId, {}, opts);
      } catch (err) {
        if (isTransient(err)) throw err;
        // Not open any more: expired already, or completed. Ask which.
        const session = await stripe.checkout.sessions.retrieve(payment.checkoutSessionId, {}, opts);
        if (session.payment_status === 'paid') {
          await withTenant(deps.db, tenantId, (tx) => paymentReceived(deps, tx, {
            bookingId, amount: session.amount_total ?? payment.amountDue, paymentIntentId: paymentIntentOf(session), sessionId: session.id,
          }));
          return;
        }
      }
    }
    await expireHold(deps, tenantId, bookingId);
  };
}

export const paymentIntentOf = (s: Stripe.Checkout.Session): string | null => (typeof s.payment_intent === 'string' ? s.payment_intent : (s.payment_intent?.id ?? null));

/** Stripe's refund status in ours. */
export const refundStatus = (s: string | null | undefined): RefundStatus =>
  s === 'succeeded' ? 'succeeded' : s === 'failed' ? 'failed' : s === 'canceled' ? 'canceled' : 'pending';

/**
 * Make one queued refund at Stripe, with the idempotency key
 * `refund:<booking>:<n>`: a retried job, or one that ran twice, refunds
 * once. Transient failures are retried (graphile-worker's backoff) up to
 * REFUND_MAX_ATTEMPTS; a refusal, or the last attempt, marks it failed.
 * Stripe's id and status are recorded; `refund.updated` / `charge.refunded`
 * move it on later. The customer is mailed when it has succeeded.
 */
export function refundTask(deps: AppDeps): Task<'payments__refund'> {
  return async (raw, helpers) => {
    const { tenantId, bookingId, n } = RefundPayload.parse(raw);
    const stripe = stripeClient(deps.config);
    const found = await withTenant(deps.db, tenantId, async (tx) => {
      const refund = await tx('refunds').where({ booking_id: bookingId, n }).first();
      return refund && { refund, payment: (await paymentOf(tx, bookingId))! };
    });
    if (!found || found.refund.status !== 'queued') return;
    const { refund, payment } = found;
    let result: { status: RefundStatus; id: string | null; error: string | null };
    try {
      if (!stripe) throw new Error('Stripe is not configured on this platform');
      if (!payment.paymentIntentId) throw new Error('the payment has no PaymentIntent to refund');
      const made = await stripe.refunds.create(
        { payment_intent: payment.paymentIntentId, amount: refund.amount, metadata: { booking_id: bookingId, refund_n: String(n) } },
        onAccount(payment.stripeAccountId, refundKey(bookingId, n)),
      );
      result = { status: refundStatus(made.status), id: made.id, error: null };
    } catch (err) {
      const last = helpers.job.attempts >= Math.min(helpers.job.max_attempts, REFUND_MAX_ATTEMPTS);
      if (stripe && isTransient(err) && !last) throw err;
      result = { status: 'failed', id: null, error: err instanceof Error ? err.message : String(err) };
    }
    await withTenant(deps.db, tenantId, (tx) => refundMoved(deps, tx, bookingId, n, result));
  };
}

/** A refund's new status recorded, its timeline line, and the customer's message once it has succeeded. */
export async function refundMoved(
  deps: AppDeps,
  tx: Parameters<typeof applyRefundStatus>[0],
  bookingId: string,
  n: number,
  r: { status: RefundStatus; id: string | null; error: string | null },
): Promise<void> {
  const now = deps.now();
  const moved = await applyRefundStatus(tx, bookingId, n, { status: r.status, stripeRefundId: r.id, error: r.error, now });
  if (moved !== 'succeeded' && moved !== 'failed') return;
  const refund = await tx('refunds').where({ booking_id: bookingId, n }).first();
  await recordPaymentEvent(tx, bookingId, moved === 'succeeded' ? 'refund_succeeded' : 'refund_failed', now, refund.amount, r.error ?? r.id);
  if (moved === 'succeeded' && refund.reason !== LATE_REFUND_REASON) {
    const booking = (await bookingById(tx, bookingId))!;
    await queueNotification(tx, { bookingId, kind: 'payment_refunded', to: booking.customer.email, scheduledFor: now, payload: { amount: refund.amount, n } });
  }
}
