import type { Tenant } from '../tenancy/queries.ts';
import { describePolicy } from '../tenancy/policy.ts';
import { howToReach } from '../tenancy/contact.ts';
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
    return { ok: false, reason: `${tenant.name} does not take ${action === 'cancel' ? 'cancellations' : 'changes'} online. ${howToReach(tenant.name, tenant.contact)}` };
  }
  const cutoff = tenant.changeCutoffMinutes;
  if (booking.start.getTime() - now.getTime() < cutoff * 60_000) {
    return {
      ok: false,
      reason: cutoff > 0
        ? `Bookings can be ${action === 'cancel' ? 'cancelled' : 'changed'} online up to ${formatDuration(cutoff)} before the start. ${howToReach(tenant.name, tenant.contact)}`
        : 'This booking has already started.',
    };
  }
  return { ok: true };
}

/**
 * The rules for changing and cancelling, in words, for the details page
 * before the customer confirms (and the manage page after): what may be done
 * online and until when, how to reach the business otherwise, and, when the
 * booking is paid online, the refund for cancelling.
 */
export function changeRules(tenant: Tenant, paidOnline: boolean): string[] {
  const until = tenant.changeCutoffMinutes > 0 ? `up to ${formatDuration(tenant.changeCutoffMinutes)} before the start` : 'until it starts';
  const reach = howToReach(tenant.name, tenant.contact);
  const online = [...(tenant.customersMayReschedule ? ['change the time of'] : []), ...(tenant.customersMayCancel ? ['cancel'] : [])];
  const lines = online.length
    ? [`You can ${online.join(' or ')} this booking online ${until}, with the link in your confirmation.${online.length < 2 || tenant.changeCutoffMinutes > 0 ? ` After that, or for anything else: ${lowerFirst(reach)}` : ''}`]
    : [`${tenant.name} does not take changes or cancellations online. ${reach}`];
  if (paidOnline) {
    const refunds = describePolicy(tenant.cancellationPolicy);
    lines.push(...(refunds.length ? refunds : ['Cancelling does not refund what was paid online.']));
  }
  return lines;
}

const lowerFirst = (s: string) => s.charAt(0).toLowerCase() + s.slice(1);

/**
 * Whether a customer may book one more time online on a day: the business
 * caps one email address's active bookings per calendar day (null: no cap),
 * so its public page cannot be used to mail an address again and again.
 */
export function customerDayFull(day: { cap: number | null; booked: number }): boolean {
  return day.cap !== null && day.booked >= day.cap;
}
