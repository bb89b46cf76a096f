import type { AppDeps } from '../deps.ts';
import type { WeeklyWindow, Weekday } from '../scheduling/index.ts';
import { addHoliday, createResource, createService } from '../catalog/service.ts';
import { withTenant } from '../db/tenant.ts';
import { markOwnerEmailVerified } from '../auth/email-verification.ts';
import { allTenantIds, updateContact } from './queries.ts';
import { signUp } from './service.ts';
import { seedDemoBookings } from './demo-bookings.ts';

export const DEMO = {
  slug: 'demo',
  businessName: 'Demo Studio',
  email: 'owner@demo.example',
  password: 'calm-harbor-4821',
  timeZone: 'America/New_York',
} as const;

const week = (days: Weekday[], ...windows: [string, string][]): WeeklyWindow[] =>
  days.flatMap((weekday) => windows.map(([start, end]) => ({ weekday, start, end })));

/**
 * Give an empty database a bookable demo business: two people in different
 * time zones with a lunch break, three services, two holidays, contact
 * details, and (unless `bookings: false`, for tests that need the times
 * free) two weeks of bookings around today.
 */
export async function seedDemoIfEmpty(deps: AppDeps, opts: { bookings?: boolean } = {}): Promise<boolean> {
  if ((await allTenantIds(deps.db)).length > 0) return false;
  const { tenant, owner } = await signUp(deps, { ...DEMO });
  // Nobody reads owner@demo.example: the operator vouches for the demo, so its mail is not held back.
  await withTenant(deps.db, tenant.id, (tx) => markOwnerEmailVerified(tx, deps.now()));
  const alex = await createResource(deps, tenant.id, {
    name: 'Alex Rivera',
    kind: 'staff',
    timeZone: 'America/New_York',
    position: 1,
    weekly: [...week([1, 2, 3, 4, 5], ['09:00', '12:00'], ['13:00', '17:00']), ...week([6], ['10:00', '14:00'])],
  });
  const sam = await createResource(deps, tenant.id, {
    name: 'Sam Lee',
    kind: 'staff',
    timeZone: 'America/Los_Angeles',
    position: 2,
    weekly: week([1, 2, 3, 4, 5], ['08:00', '12:00'], ['13:00', '16:00']),
  });
  const common = { bufferBeforeMin: 0, maxPerDay: null, priceMinor: 0, depositMinor: 0, currency: 'USD', horizonDays: 60 };
  const consultation = await createService(deps, tenant.id, {
    ...common,
    name: 'Consultation',
    description: 'A first conversation about what you need.',
    durationMin: 30,
    intervalMin: 30,
    bufferAfterMin: 10,
    minNoticeMin: 60,
    position: 1,
    resourceIds: [alex.id, sam.id],
  });
  const massage = await createService(deps, tenant.id, {
    ...common,
    name: 'Deep tissue massage',
    description: 'Sixty minutes with Alex.',
    durationMin: 60,
    intervalMin: 30,
    bufferAfterMin: 15,
    minNoticeMin: 120,
    maxPerDay: 4,
    priceMinor: 9000,
    depositMinor: 2000,
    position: 2,
    resourceIds: [alex.id],
  });
  const checkIn = await createService(deps, tenant.id, {
    ...common,
    name: 'Quick check-in',
    durationMin: 15,
    intervalMin: 15,
    bufferAfterMin: 0,
    minNoticeMin: 120,
    position: 3,
    resourceIds: [alex.id, sam.id],
  });
  await addHoliday(deps, tenant.id, { name: 'Christmas Day', start: '2026-12-25', end: '2026-12-25' });
  await addHoliday(deps, tenant.id, { name: "New Year's Day", start: '2027-01-01', end: '2027-01-01' });
  await withTenant(deps.db, tenant.id, (tx) => updateContact(tx, { phone: '+1 212 555 0100', email: 'hello@demo.example', address: '12 Hudson Street\nNew York, NY 10013' }));
  if (opts.bookings !== false) {
    await seedDemoBookings(deps, tenant.id, { alex: alex.id, sam: sam.id, zone: DEMO.timeZone, ownerId: owner.id }, {
      Consultation: consultation.id, 'Deep tissue massage': massage.id, 'Quick check-in': checkIn.id,
    });
  }
  return true;
}
