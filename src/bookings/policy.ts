import type { Tenant } from '../tenancy/queries.ts';
import { isActive, type Booking } from './model.ts';
import { formatDuration } from './present.ts';

export type CustomerAction = 'cancel' | 'reschedule';
export type Verdict = { ok: true } | { ok: false; reason: string };

/**
 * What a customer may do with their booking through the manage link: the
 * tenant's switches and its cutoff (no changes within N minutes of the
 * start). Staff and the API are not bound by it.
 */
export function customerMay(tenant: Tenant, booking: Booking, action: CustomerAction, now: Date): Verdict {
  if (!isActive(booking)) return { ok: false, reason: `This booking is ${booking.status.replace('_', ' ')}.` };
  const allowed = action === 'cancel' ? tenant.customersMayCancel : tenant.customersMayReschedule;
  if (!allowed) {
    return { ok: false, reason: `${tenant.name} does not take ${action === 'cancel' ? 'cancellations' : 'changes'} online. Please contact them directly.` };
  }
  const cutoff = tenant.changeCutoffMinutes;
  if (booking.start.getTime() - now.getTime() < cutoff * 60_000) {
    return {
      ok: false,
      reason: cutoff > 0
        ? `Bookings can be ${action === 'cancel' ? 'cancelled' : 'changed'} online up to ${formatDuration(cutoff)} before the start. Please contact ${tenant.name} directly.`
        : 'This booking has already started.',
    };
  }
  return { ok: true };
}

/**
 * Whether a customer may book one more time online on a day: the business
 * caps one email address's active bookings per calendar day (null: no cap),
 * so its public page cannot be used to mail an address again and again.
 */
export function customerDayFull(day: { cap: number | null; booked: number }): boolean {
  return day.cap !== null && day.booked >= day.cap;
}
