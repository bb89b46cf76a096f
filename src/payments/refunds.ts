import type { AppDeps } from '../deps.ts';
import { withTenant, type TenantTx } from '../db/tenant.ts';
import { audit } from '../audit/log.ts';
import { DomainError } from '../errors.ts';
import { BookingNotFound } from '../bookings/errors.ts';
import { bookingById } from '../bookings/queries.ts';
import { ACTOR } from '../bookings/events.ts';
import type { Actor, Booking, Payment } from '../bookings/model.ts';
import { currentTenant } from '../tenancy/queries.ts';
import { insertRefund, paymentForUpdate, recordPaymentEvent, refundable, type Refund } from './queries.ts';
import { refundDue } from './refund-policy.ts';
import { formatMinor } from './money.ts';

/** The late payment's refund is announced with its own message when queued (`paymentReceived`), not again when made. */
export const LATE_REFUND_REASON = 'Paid after the hold expired; the time was no longer free';

/** A refund asked for more than what remains, or for a booking that took no payment. */
export class RefundRefused extends DomainError {
  constructor(detail: string) {
    super('invalid', 'refund_refused', 'Refund not possible', detail, 'amount');
  }
}

/**
 * Queue a refund of `amount` in the caller's transaction, with the payment
 * row locked: refused when it exceeds what remains (paid, less refunds that
 * have not failed). The job `payments__refund` then makes it at Stripe.
 */
export async function queueRefund(tx: TenantTx, payment: Payment, r: { amount: number; reason: string; by: Actor; now: Date }): Promise<Refund> {
  const remaining = await refundable(tx, payment);
  if (!Number.isInteger(r.amount) || r.amount <= 0) throw new RefundRefused('Enter an amount above zero, in minor units.');
  if (r.amount > remaining) throw new RefundRefused(`At most ${formatMinor(remaining, payment.currency)} remains to refund.`);
  const refund = await insertRefund(tx, {
    bookingId: payment.bookingId, amount: r.amount, currency: payment.currency, reason: r.reason, requestedBy: ACTOR[r.by.source], userId: r.by.userId, now: r.now,
  });
  await recordPaymentEvent(tx, payment.bookingId, 'refund_requested', r.now, r.amount, r.reason);
  return refund;
}

/**
 * The refund a cancellation gives, queued in the cancellation's
 * transaction: a customer's by the business's policy (measured from the
 * booking's start as it is now, so a reschedule moves the tiers), the
 * business's own (staff, the API, the system) in full. Returns the amount.
 */
export async function refundOnCancel(tx: TenantTx, booking: Booking, by: Actor, now: Date): Promise<number> {
  const payment = await paymentForUpdate(tx, booking.id);
  if (!payment || payment.amountPaid === 0) return 0;
  const amount = await refundPreview(tx, booking, payment, by, now);
  if (amount > 0) {
    await queueRefund(tx, payment, { amount, reason: by.source === 'public' ? 'Cancelled by the customer' : 'Cancelled by the business', by, now });
  }
  return amount;
}

/** What cancelling now would refund (the manage link shows it before the customer confirms). */
export async function refundPreview(tx: TenantTx, booking: Booking, payment: Payment, by: Actor, now: Date): Promise<number> {
  const remaining = await refundable(tx, payment);
  if (by.source !== 'public') return remaining;
  const tenant = await currentTenant(tx);
  return refundDue(tenant.cancellationPolicy, payment.amountPaid, payment.amountPaid - remaining, booking.start.getTime(), now.getTime(), tenant.timeZone);
}

/**
 * An owner's, an admin's or an integrator's refund of any amount up to what
 * remains, with a reason (who may is checked at the router: staff may
 * not). Its own transaction, under the payment row's lock.
 */
export async function refundBooking(
  deps: AppDeps,
  tenantId: string,
  by: Actor,
  r: { bookingId: string; amount: number; reason: string },
): Promise<Refund> {
  return withTenant(deps.db, tenantId, async (tx) => {
    const payment = await paymentForUpdate(tx, r.bookingId);
    if (!payment && !(await bookingById(tx, r.bookingId))) throw new BookingNotFound();
    if (!payment || payment.amountPaid === 0) throw new RefundRefused('This booking has no online payment to refund.');
    const refund = await queueRefund(tx, payment, { amount: r.amount, reason: r.reason, by, now: deps.now() });
    if (by.source === 'admin') {
      await audit(tx, { userId: by.userId }, { action: 'booking.refund', subjectType: 'booking', subjectId: r.bookingId, after: { amount: r.amount, currency: payment.currency, reason: r.reason, n: refund.n } });
    }
    return refund;
  });
}

export const refundJson = (r: Refund) => ({
  object: 'refund', booking_id: r.booking_id, number: r.n, amount: r.amount, currency: r.currency, reason: r.reason, status: r.status,
  stripe_refund_id: r.stripe_refund_id, created_at: r.created_at.toISOString(),
});
