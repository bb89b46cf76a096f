import type { Config } from '../config.ts';
import type { Service } from '../catalog/queries.ts';
import type { Booking } from '../bookings/model.ts';
import { longDate } from '../bookings/present.ts';
import { onlineCharge } from '../payments/plan.ts';
import { formatInZoneWithName } from '../scheduling/index.ts';
import type { Tenant } from '../tenancy/queries.ts';
import { occurrenceMessage } from './errors.ts';
import type { PlannedOccurrence } from './service.ts';

/**
 * Whether the booking form offers "Repeat weekly" for `service`, and why
 * not when the service allows series but is paid online (one checkout for
 * many occurrences is not offered).
 */
export function repeatOffer(config: Pick<Config, 'stripe'>, tenant: Tenant, service: Service): { offered: boolean; note: string } {
  if (!service.allowSeries || service.requiresApproval || service.capacity > 1) return { offered: false, note: '' };
  if (onlineCharge(config, tenant, service, 'public')) {
    return { offered: false, note: 'Recurring bookings cannot be paid online: book each time on its own, or contact the business.' };
  }
  return { offered: true, note: '' };
}

const when = (ms: number, zone: string) => `${longDate(ms, zone)}, ${formatInZoneWithName(ms, zone)}`;

/** The preview's rows, in the customer's zone: when, and why not when it cannot be booked. */
export function previewRows(occurrences: PlannedOccurrence[], zone: string, resourceZone: string) {
  return occurrences.map((o) => ({
    label: o.start === null ? `${o.localDate}, ${o.localTime} (${resourceZone})` : when(o.start, zone),
    bookable: o.reason === null,
    why: o.reason ? occurrenceMessage(o.reason) : '',
  }));
}

/** A series' occurrences for the manage page and the dashboard, the one being viewed marked. */
export function occurrenceRows(occurrences: Booking[], zone: string, currentId: string) {
  return occurrences.map((b) => ({ id: b.id, label: when(b.start.getTime(), zone), status: b.status, current: b.id === currentId }));
}
