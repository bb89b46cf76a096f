import { Temporal } from 'temporal-polyfill';
import type { AppDeps } from '../deps.ts';
import { cancelBooking, createBooking, recordOutcome } from '../bookings/service.ts';
import { SlotRefused } from '../bookings/errors.ts';
import { localDate } from '../scheduling/index.ts';

const DAY = 86_400_000;
const CUSTOMERS = [
  'Maya Patel', 'Jonas Berg', 'Lucía Fernández', 'Tom Okafor', 'Hana Sato', 'Ben Carter', 'Amara Diallo', 'Noah Schmidt', 'Chloé Martin',
  'Ravi Iyer', 'Ella Brooks', 'Omar Haddad', 'Sofia Rossi', 'Liam Walsh', 'Grace Kim', 'Mateo Silva',
];
const ZONES = ['America/New_York', 'America/Chicago', 'America/Los_Angeles', 'Europe/London'];

/** Which bookings a demo day holds: a resource, a service and a local start in the resource's zone. */
const PLAN: { resource: 'alex' | 'sam'; service: string; at: string }[] = [
  { resource: 'alex', service: 'Consultation', at: '09:30' },
  { resource: 'alex', service: 'Deep tissue massage', at: '11:00' },
  { resource: 'alex', service: 'Quick check-in', at: '14:15' },
  { resource: 'sam', service: 'Consultation', at: '08:30' },
  { resource: 'sam', service: 'Quick check-in', at: '13:45' },
];

/**
 * Two weeks of bookings around today for the demo business, so that a
 * newcomer opens a working day, not empty grids: the week past (completed,
 * one no-show, one cancelled) and the week ahead (confirmed, one cancelled
 * with its reason). Every one goes through the booking service, as a
 * customer would make it: a past one is booked on a clock set a few days
 * before it, then marked as it turned out. Times the rules refuse (a
 * holiday, a weekend, the minimum notice) are skipped.
 */
export async function seedDemoBookings(deps: AppDeps, tenantId: string, ids: { alex: string; sam: string; zone: string; ownerId: string }, services: Record<string, string>): Promise<number> {
  const now = deps.now().getTime();
  const today = Temporal.PlainDate.from(localDate(now, ids.zone));
  const customer = { source: 'public' as const, userId: null };
  let n = 0;
  let noShow = false;
  let cancelledPast = false;
  let cancelledAhead = false;
  for (let offset = -7; offset <= 7; offset++) {
    const date = today.add({ days: offset });
    for (const [i, p] of PLAN.entries()) {
      if ((offset + i) % 3 === 0 && offset !== 0) continue; // not every slot taken: days with room left
      const zone = p.resource === 'alex' ? ids.zone : 'America/Los_Angeles';
      const start = date.toPlainDateTime(Temporal.PlainTime.from(p.at)).toZonedDateTime(zone, { disambiguation: 'later' }).epochMilliseconds;
      const name = CUSTOMERS[(n * 7 + i) % CUSTOMERS.length]!;
      // Booked a few days ahead of the time, on that day's clock.
      const bookedAt = Math.min(now, start - 3 * DAY);
      const then: AppDeps = { ...deps, now: () => new Date(bookedAt) };
      let id: string;
      try {
        ({ booking: { id } } = await createBooking(then, tenantId, customer, {
          serviceId: services[p.service]!, resourceId: p.resource === 'alex' ? ids.alex : ids.sam, start,
          customer: { name, email: `${name.toLowerCase().normalize('NFD').replace(/[^a-z ]/g, '').replace(' ', '.')}@example.com`, phone: null, timeZone: ZONES[n % ZONES.length]! },
          notes: n % 5 === 0 ? 'First visit.' : null,
        }));
      } catch (err) {
        if (err instanceof SlotRefused) continue;
        throw err;
      }
      n++;
      const staff = { source: 'admin' as const, userId: ids.ownerId };
      if (start + 60 * 60_000 <= now) {
        if (!cancelledPast) {
          cancelledPast = true;
          await cancelBooking({ ...deps, now: () => new Date(start - DAY) }, tenantId, customer, id, 'Customer: Feeling unwell');
        } else if (!noShow && offset < -1) {
          noShow = true;
          await recordOutcome(deps, tenantId, staff, id, 'no_show');
        } else {
          await recordOutcome(deps, tenantId, staff, id, 'completed');
        }
      } else if (!cancelledAhead && offset >= 2) {
        cancelledAhead = true;
        await cancelBooking(deps, tenantId, customer, id, 'Customer: Travelling that week');
      }
    }
  }
  return n;
}
