import type { TenantTx } from '../db/tenant.ts';
import type { Database } from '../db/database.ts';
import { taskName } from '../jobs/enqueue.ts';
import type { Payment, PaymentStatus } from '../bookings/model.ts';

interface PaymentRow {
  booking_id: string;
  mode: 'deposit' | 'full';
  currency: string;
  price_minor: number;
  amount_due: number;
  amount_paid: number;
  amount_refunded: number;
  status: PaymentStatus;
  stripe_account_id: string;
  checkout_session_id: string | null;
  checkout_url: string | null;
  payment_intent_id: string | null;
  paid_at: Date | null;
}

const toPayment = (r: PaymentRow): Payment => ({
  bookingId: r.booking_id,
  mode: r.mode,
  currency: r.currency,
  priceMinor: r.price_minor,
  amountDue: r.amount_due,
  amountPaid: r.amount_paid,
  amountRefunded: r.amount_refunded,
  status: r.status,
  stripeAccountId: r.stripe_account_id,
  checkoutSessionId: r.checkout_session_id,
  checkoutUrl: r.checkout_url,
  paymentIntentId: r.payment_intent_id,
  paidAt: r.paid_at,
});

export async function insertPayment(
  tx: TenantTx,
  p: { bookingId: string; mode: 'deposit' | 'full'; currency: string; priceMinor: number; amountDue: number; stripeAccountId: string; now: Date },
): Promise<Payment> {
  const [row] = await tx('payments')
    .insert({
      tenant_id: tx.tenantId, booking_id: p.bookingId, mode: p.mode, currency: p.currency, price_minor: p.priceMinor, amount_due: p.amountDue,
      stripe_account_id: p.stripeAccountId, created_at: p.now, updated_at: p.now,
    })
    .returning<PaymentRow[]>('*');
  return toPayment(row!);
}

export async function paymentOf(tx: TenantTx, bookingId: string): Promise<Payment | null> {
  const row = await tx<PaymentRow>('payments').where({ booking_id: bookingId }).first();
  return row ? toPayment(row) : null;
}

/** The payment's row locked: what is paid and refunded changes one at a time. */
export async function paymentForUpdate(tx: TenantTx, bookingId: string): Promise<Payment | null> {
  const row = await tx<PaymentRow>('payments').where({ booking_id: bookingId }).forUpdate().first();
  return row ? toPayment(row) : null;
}

/** The payments of a page of bookings, by booking id, in one read. */
export async function paymentsOf(tx: TenantTx, bookingIds: string[]): Promise<Map<string, Payment>> {
  if (!bookingIds.length) return new Map();
  const rows = await tx<PaymentRow>('payments').whereIn('booking_id', bookingIds);
  return new Map(rows.map((r) => [r.booking_id, toPayment(r)]));
}

export async function recordCheckoutSession(tx: TenantTx, bookingId: string, session: { id: string; url: string }, now: Date): Promise<void> {
  await tx('payments')
    .where({ booking_id: bookingId })
    .whereNull('checkout_session_id')
    .update({ checkout_session_id: session.id, checkout_url: session.url, updated_at: now });
}

export async function markPaid(tx: TenantTx, bookingId: string, p: { amount: number; paymentIntentId: string | null; now: Date }): Promise<void> {
  await tx('payments')
    .where({ booking_id: bookingId })
    .update({ amount_paid: p.amount, payment_intent_id: p.paymentIntentId, status: 'paid', paid_at: p.now, updated_at: p.now });
}

export async function markPaymentFailed(tx: TenantTx, bookingId: string, now: Date): Promise<void> {
  await tx('payments').where({ booking_id: bookingId, status: 'pending' }).update({ status: 'failed', updated_at: now });
}

/** The checkout link is no use once the session is expired or paid. */
export async function forgetCheckoutUrl(tx: TenantTx, bookingId: string, now: Date): Promise<void> {
  await tx('payments').where({ booking_id: bookingId }).update({ checkout_url: null, updated_at: now });
}

export type PaymentEventKind =
  | 'session_created' | 'paid' | 'late_paid' | 'hold_expired' | 'refund_requested' | 'refund_succeeded' | 'refund_failed' | 'payment_failed';

export interface PaymentEvent {
  kind: PaymentEventKind;
  amount: number | null;
  detail: string | null;
  created_at: Date;
}

export async function recordPaymentEvent(tx: TenantTx, bookingId: string, kind: PaymentEventKind, now: Date, amount: number | null = null, detail: string | null = null) {
  await tx('payment_events').insert({ tenant_id: tx.tenantId, booking_id: bookingId, kind, amount, detail, created_at: now });
}

export async function paymentTimeline(tx: TenantTx, bookingId: string): Promise<PaymentEvent[]> {
  return tx('payment_events').where({ booking_id: bookingId }).orderBy([{ column: 'created_at' }, { column: 'id' }]).select<PaymentEvent[]>('kind', 'amount', 'detail', 'created_at');
}

export const EXPIRE_HOLD_TASK = taskName('payments__expire_hold');
export const REFUND_TASK = taskName('payments__refund');
export const holdJobKey = (bookingId: string) => `hold:${bookingId}`;
export const refundKey = (bookingId: string, n: number) => `refund:${bookingId}:${n}`;
export const REFUND_MAX_ATTEMPTS = 10;

/**
 * The expiry job of a held booking, at its end of hold, in the booking's
 * transaction. `again`: the job ran before the hold's end by our clock (the
 * database's is ahead): run it again then, but no sooner than a few
 * seconds from the database's now, so a skew between the two clocks makes
 * it wait, not spin.
 */
export async function scheduleHoldExpiry(tx: TenantTx, bookingId: string, at: Date, again = false): Promise<void> {
  await tx.raw(`select app_private.add_job(?, ?::jsonb, ${again ? "greatest(?::timestamptz, now() + interval '5 seconds')" : '?::timestamptz'}, ?, 'replace', 25)`,
    [EXPIRE_HOLD_TASK, JSON.stringify({ bookingId }), at.toISOString(), holdJobKey(bookingId)]);
}

/** Removes the job that ends a booking's hold: a payment's (above), or a request's (src/bookings/queries.ts), which share its key. */
export async function cancelHoldExpiry(tx: TenantTx, bookingId: string): Promise<void> {
  await tx.raw('select app_private.remove_job(?)', [holdJobKey(bookingId)]);
}

export type RefundStatus = 'queued' | 'pending' | 'succeeded' | 'failed' | 'canceled';

export interface Refund {
  booking_id: string;
  n: number;
  amount: number;
  currency: string;
  reason: string;
  status: RefundStatus;
  stripe_refund_id: string | null;
  last_error: string | null;
  requested_by: string;
  created_at: Date;
}

export async function refundsOf(tx: TenantTx, bookingId: string): Promise<Refund[]> {
  return tx<Refund>('refunds').where({ booking_id: bookingId }).orderBy('n');
}

/**
 * Queue a refund: its row, numbered after the booking's others, and its
 * job keyed `refund:<booking>:<n>` (the same key Stripe gets), in the
 * caller's transaction. Call with the payment row locked.
 */
export async function insertRefund(
  tx: TenantTx,
  r: { bookingId: string; amount: number; currency: string; reason: string; requestedBy: string; userId: string | null; now: Date },
): Promise<Refund> {
  const { rows } = await tx.raw<{ rows: { next: number }[] }>('select coalesce(max(n), 0) + 1 as next from refunds where booking_id = ?', [r.bookingId]);
  const next = rows[0]!.next;
  const [row] = await tx('refunds')
    .insert({
      tenant_id: tx.tenantId, booking_id: r.bookingId, n: next, amount: r.amount, currency: r.currency, reason: r.reason,
      requested_by: r.requestedBy, requested_by_user_id: r.userId, created_at: r.now, updated_at: r.now,
    })
    .returning<Refund[]>('*');
  await tx.raw(`select app_private.add_job(?, ?::jsonb, null, ?, 'replace', ?)`, [
    REFUND_TASK, JSON.stringify({ bookingId: r.bookingId, n: next }), refundKey(r.bookingId, next), REFUND_MAX_ATTEMPTS,
  ]);
  return row!;
}

/** What may still be refunded: paid, less every refund that has not failed. */
export async function refundable(tx: TenantTx, p: Payment): Promise<number> {
  const { rows } = await tx.raw<{ rows: { sum: string | null }[] }>(
    `select sum(amount) as sum from refunds where booking_id = ? and status not in ('failed', 'canceled')`, [p.bookingId]);
  return Math.max(0, p.amountPaid - Number(rows[0]?.sum ?? 0));
}

const RANK: Record<RefundStatus, number> = { queued: 0, pending: 1, succeeded: 2, failed: 2, canceled: 2 };

/**
 * Move a refund to what Stripe says of it, never backwards (events arrive
 * out of order), and the payment's refunded amount and status with it.
 * Returns the status it moved to, or undefined when nothing changed.
 */
export async function applyRefundStatus(
  tx: TenantTx,
  bookingId: string,
  n: number,
  s: { status: RefundStatus; stripeRefundId: string | null; error?: string | null; now: Date },
): Promise<RefundStatus | undefined> {
  const row = await tx<Refund>('refunds').where({ booking_id: bookingId, n }).forUpdate().first();
  if (!row) return undefined;
  const moves = RANK[s.status] > RANK[row.status];
  const id = row.stripe_refund_id ?? s.stripeRefundId;
  if (!moves && id === row.stripe_refund_id) return undefined;
  await tx('refunds').where({ booking_id: bookingId, n }).update({
    status: moves ? s.status : row.status, stripe_refund_id: id, last_error: s.error ?? row.last_error, updated_at: s.now,
  });
  if (!moves) return undefined;
  await tx.raw(
    `update payments p set amount_refunded = r.total,
       status = case when r.total = 0 then p.status when r.total >= p.amount_paid then 'refunded' else 'partially_refunded' end,
       updated_at = ?
     from (select coalesce(sum(amount), 0)::int as total from refunds where booking_id = ? and status = 'succeeded') r
     where p.booking_id = ?`,
    [s.now, bookingId, bookingId],
  );
  return s.status;
}

/** Record a Stripe event as applied; false when it already was (Stripe sends events again). */
export async function firstTimeEvent(tx: TenantTx, eventId: string, type: string, now: Date): Promise<boolean> {
  const rows = await tx('stripe_events').insert({ tenant_id: tx.tenantId, event_id: eventId, type, received_at: now }).onConflict(['tenant_id', 'event_id']).ignore().returning('event_id');
  return rows.length > 0;
}

/** The business paid into a connected account: the one cross-tenant read of Stripe's webhook. */
export async function tenantByStripeAccount(db: Database, account: string): Promise<string | undefined> {
  const { rows } = await db.app.raw<{ rows: { id: string | null }[] }>('select app_private.tenant_by_stripe_account(?) as id', [account]);
  return rows[0]?.id ?? undefined;
}

/** This week's takings and refunds, for the dashboard's overview. */
export async function takings(tx: TenantTx, from: Date, to: Date): Promise<{ currency: string; paid: number; refunded: number }[]> {
  const { rows } = await tx.raw<{ rows: { currency: string; paid: string; refunded: string }[] }>(
    `select currency, sum(paid)::bigint as paid, sum(refunded)::bigint as refunded from (
       select currency, amount_paid as paid, 0 as refunded from payments where paid_at >= ? and paid_at < ?
       union all
       select currency, 0, amount from refunds where status = 'succeeded' and updated_at >= ? and updated_at < ?
     ) t group by currency order by currency`,
    [from, to, from, to],
  );
  return rows.map((r) => ({ currency: r.currency, paid: Number(r.paid), refunded: Number(r.refunded) }));
}
