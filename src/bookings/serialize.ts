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
    customer: { name: b.customer.name, email: b.customer.email, phone: b.customer.phone, timezone: b.customer.timeZone },
    notes: b.notes,
    source: b.source,
    price: service.priceMinor,
    deposit: service.depositMinor,
    currency: service.currency,
    sequence: b.sequence,
    created_at: b.createdAt.toISOString(),
  };
}
export type BookingJson = ReturnType<typeof bookingJson>;
