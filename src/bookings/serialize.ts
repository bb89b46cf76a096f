import type { BookingView } from './model.ts';
import { isoInZone } from './present.ts';

/**
 * A booking as the API and webhooks show it: snake_case, instants with the
 * resource's offset, money in minor units with the currency.
 */
export function bookingJson(v: BookingView) {
  const { booking: b, service, resource } = v;
  return {
    id: b.id,
    object: 'booking',
    status: b.status,
    service_id: b.serviceId,
    resource_id: b.resourceId,
    start: isoInZone(b.start.getTime(), resource.timeZone),
    end: isoInZone(b.end.getTime(), resource.timeZone),
    time_zone: resource.timeZone,
    customer: { name: b.customer.name, email: b.customer.email, phone: b.customer.phone, time_zone: b.customer.timeZone },
    notes: b.notes,
    source: b.source,
    price: service.priceMinor,
    deposit: service.depositMinor,
    currency: service.currency,
    sequence: b.sequence,
    created_at: b.createdAt.toISOString(),
    hold_expires_at: (b.status === 'held' || b.status === 'pending') && b.holdExpiresAt ? b.holdExpiresAt.toISOString() : null,
    series_id: b.seriesId,
    payment: paymentJson(v),
  };
}

/** What the booking takes online and what came of it; `not_required` when nothing is paid online. */
function paymentJson(v: BookingView) {
  const p = v.payment;
  if (!p) {
    return { mode: 'none', status: 'not_required', amount_due: 0, amount_paid: 0, amount_refunded: 0, currency: v.service.currency, checkout_url: null };
  }
  return {
    mode: p.mode,
    status: p.status,
    amount_due: p.amountDue,
    amount_paid: p.amountPaid,
    amount_refunded: p.amountRefunded,
    currency: p.currency,
    checkout_url: v.booking.status === 'held' && p.status === 'pending' ? p.checkoutUrl : null,
  };
}
export type BookingJson = ReturnType<typeof bookingJson>;
