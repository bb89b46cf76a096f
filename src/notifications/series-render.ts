import { formatInZoneWithName } from '../scheduling/index.ts';
import { formatDuration, longDate } from '../bookings/present.ts';
import type { Booking, Customer } from '../bookings/model.ts';
import type { Resource, Service } from '../catalog/queries.ts';
import type { Tenant } from '../tenancy/queries.ts';
import { icsForAll, parseAddress } from './ics.ts';
import { rendered, type Rendered } from './render.ts';
import type { Attachment } from './transport.ts';

export type SeriesKind = 'series_confirmation' | 'staff_series_created' | 'series_cancelled' | 'staff_series_cancelled';
export const SERIES_KINDS: readonly string[] = ['series_confirmation', 'staff_series_created', 'series_cancelled', 'staff_series_cancelled'];

export interface SeriesMessageContext {
  kind: SeriesKind;
  tenant: Tenant;
  service: Service;
  resource: Resource;
  customer: Customer;
  /** The occurrences the message is about, as they are now, by start. */
  occurrences: Booking[];
  /** Every N weeks. */
  interval: number;
  /** The customer's manage link (of the first occurrence: any one manages the series). */
  manageUrl?: string;
  cancelReason?: string | null;
  mailFrom: string;
  now: Date;
}

const WORDS: Record<SeriesKind, { headline: string; subject: string }> = {
  series_confirmation: { headline: 'Your recurring booking is confirmed', subject: 'Confirmed' },
  series_cancelled: { headline: 'Your recurring booking is cancelled', subject: 'Cancelled' },
  staff_series_created: { headline: 'New recurring booking', subject: 'New recurring booking' },
  staff_series_cancelled: { headline: 'Recurring booking cancelled', subject: 'Cancelled' },
};

/**
 * One message for a series: its occurrences listed in the recipient's
 * zone (the customer's, or the resource's for staff), and for the
 * customer one .ics with an event per occurrence (REQUEST, or CANCEL).
 */
export function renderSeriesMessage(c: SeriesMessageContext): Rendered {
  const forCustomer = !c.kind.startsWith('staff_');
  const zone = forCustomer ? c.customer.timeZone : c.resource.timeZone;
  const cancelled = c.kind.endsWith('_cancelled');
  const words = WORDS[c.kind];
  const n = c.occurrences.length;
  const lines = c.occurrences.map((b) => `${longDate(b.start.getTime(), zone)}, ${formatInZoneWithName(b.start.getTime(), zone)}`);
  const data = {
    headline: words.headline,
    tenant: c.tenant,
    serviceName: c.service.name,
    resourceName: c.resource.name,
    duration: formatDuration(c.service.durationMin),
    rule: `${c.interval === 1 ? 'Every week' : `Every ${c.interval} weeks`}, ${n === 1 ? '1 time' : `${n} times`}`,
    lines,
    zone,
    customer: c.customer,
    cancelled,
    cancelReason: c.cancelReason ?? null,
    manageUrl: c.manageUrl,
  };
  const first = c.occurrences[0]!;
  const who = forCustomer ? '' : ` — ${c.customer.name}`;
  const subject = `${words.subject}: ${c.service.name}${who}, ${n === 1 ? '1 time' : `${n} times`} from ${longDate(first.start.getTime(), zone).replace(/^\w+, /, '')}`;
  const attachments: Attachment[] = [];
  if (forCustomer) {
    const method = cancelled ? 'CANCEL' : 'REQUEST';
    const organizer = parseAddress(c.mailFrom);
    attachments.push({
      filename: cancelled ? 'cancel.ics' : 'invite.ics',
      contentType: `text/calendar; charset=utf-8; method=${method}`,
      content: icsForAll(method, c.occurrences.map((b) => ({
        method,
        uid: `${b.id}@slotwise`,
        sequence: b.sequence,
        start: b.start,
        end: b.end,
        stamp: c.now,
        summary: `${c.service.name} — ${c.tenant.name}`,
        description: `${c.service.name} with ${c.resource.name}.${c.manageUrl ? `\nChange or cancel: ${c.manageUrl}` : ''}`,
        location: c.tenant.name,
        ...(c.manageUrl ? { url: c.manageUrl } : {}),
        organizer: { name: c.tenant.name, email: organizer.email },
        attendee: { name: c.customer.name, email: c.customer.email },
      }))),
    });
  }
  return rendered(subject, forCustomer ? 'series-customer' : 'series-staff', data, attachments);
}
