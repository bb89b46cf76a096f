import type { BookingView } from '../bookings/model.ts';
import { formatInZoneWithName } from '../scheduling/index.ts';
import type { Tenant } from '../tenancy/queries.ts';
import type { Config } from '../config.ts';
import type { Service } from '../catalog/queries.ts';
import { formatMinor } from './money.ts';
import { onlineCharge } from './plan.ts';
import { refundDue } from './refund-policy.ts';

/**
 * A booking's money in words, for the customer's pages and messages: what
 * was paid online, what remains to pay at the venue, what was refunded,
 * and, for a booking that may still be cancelled, what cancelling now
 * would refund. `state` says what the payment part of the page shows.
 */
export interface PaymentSummary {
  state: 'none' | 'awaiting' | 'confirming' | 'paid' | 'expired';
  lines: string[];
  amountDue: string;
  holdUntil: string;
  /** The refund if cancelled now, in words; null when nothing was paid. */
  refundIfCancelled: string | null;
}

export function paymentSummary(v: BookingView, tenant: Tenant, now: Date, returning: boolean): PaymentSummary {
  const { booking, service, payment: p } = v;
  const zone = booking.customer.timeZone;
  const money = (n: number) => formatMinor(n, p?.currency ?? service.currency);
  if (!p) {
    const lines = service.priceMinor > 0 ? [`To pay at the venue: ${money(service.priceMinor)}`] : [];
    return { state: 'none', lines, amountDue: '', holdUntil: '', refundIfCancelled: null };
  }
  const lines: string[] = [];
  if (p.amountPaid > 0) lines.push(`Paid online: ${money(p.amountPaid)}`);
  const atVenue = p.priceMinor - (p.amountPaid > 0 ? p.amountPaid : p.amountDue);
  if (booking.status !== 'cancelled' && atVenue > 0) lines.push(`To pay at the venue: ${money(atVenue)}`);
  if (p.amountRefunded > 0) lines.push(`Refunded: ${money(p.amountRefunded)}`);
  let refundIfCancelled: string | null = null;
  if (p.amountPaid > 0 && booking.status === 'confirmed') {
    const back = refundDue(tenant.cancellationPolicy, p.amountPaid, p.amountRefunded, booking.start.getTime(), now.getTime(), tenant.timeZone);
    refundIfCancelled = back > 0 ? `If you cancel now, you get ${money(back)} back.` : 'If you cancel now, nothing is refunded.';
  }
  const state = booking.status === 'held'
    ? (returning ? 'confirming' : 'awaiting')
    : p.amountPaid > 0 ? 'paid' : p.status === 'failed' ? 'expired' : 'none';
  return {
    state,
    lines,
    amountDue: money(p.amountDue),
    holdUntil: booking.holdExpiresAt ? formatInZoneWithName(booking.holdExpiresAt.getTime(), zone) : '',
    refundIfCancelled,
  };
}

/** What booking this service costs now, on the details page: paid online (and how long the time is held), or at the venue. */
export function bookingPaymentNote(config: Pick<Config, 'stripe'>, tenant: Tenant, service: Service): string {
  if (service.paymentMode === 'none' || service.priceMinor === 0) return '';
  const charge = onlineCharge(config, tenant, service, 'public');
  const money = (n: number) => formatMinor(n, service.currency);
  if (!charge) return `Pay at the venue: ${money(service.priceMinor)}.`;
  const held = `Your time is held for ${tenant.holdMinutes} minutes while you pay with Stripe.`;
  return charge.mode === 'deposit' && charge.amountDue < charge.priceMinor
    ? `A deposit of ${money(charge.amountDue)} is paid online to confirm; the rest (${money(charge.priceMinor - charge.amountDue)}) at the venue. ${held}`
    : `The full price (${money(charge.amountDue)}) is paid online to confirm. ${held}`;
}
