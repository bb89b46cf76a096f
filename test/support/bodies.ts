import type { AppDeps } from '../../src/deps.ts';
import { rowVersion } from '../../src/catalog/queries.ts';
import { withTenant } from '../../src/db/tenant.ts';
import type { World } from './world.ts';

export type Form = Record<string, string | string[]>;
type Json = Record<string, unknown>;

const version = (deps: AppDeps, w: World, table: 'resources' | 'services', id: string) => withTenant(deps.db, w.tenantId, (tx) => rowVersion(tx, table, id)).then((v) => v ?? '');

const serviceForm = async (deps: AppDeps, w: World, id?: string): Promise<Form> => ({
  name: 'Trim', description: 'A short trim.\nNo wash.', durationMin: '30', intervalMin: '30', bufferBeforeMin: '0', bufferAfterMin: '0', minNoticeMin: '0',
  horizonDays: '60', maxPerDay: '', price: '20', deposit: '0', currency: 'USD', resourceIds: [w.ids.resource], active: 'on',
  ...(id ? { version: await version(deps, w, 'services', id) } : {}),
});
const resourceForm = async (deps: AppDeps, w: World, id?: string): Promise<Form> => ({
  name: 'Jo', kind: 'staff', timeZone: 'America/New_York', position: '1', active: 'on', ...(id ? { version: await version(deps, w, 'resources', id) } : {}),
});

/**
 * A valid body for every route that takes one, keyed "METHOD pattern": the
 * walker replaces one field at a time with something hostile, so each
 * hostile value reaches the handler's real work rather than the first
 * check. A route that takes a body and has no entry here fails the walk.
 */
export const FORM_BODIES: Record<string, (deps: AppDeps, w: World) => Form | Promise<Form>> = {
  'POST /signup': () => ({ businessName: 'New Place', slug: 'new-place', email: 'new@place.example', password: 'violet-lantern-4821', timeZone: 'Europe/Paris' }),
  'POST /book/:serviceId': () => ({ start: '2026-03-12T15:00:00.000Z', tz: 'America/New_York', resource: 'any', name: 'Lou', email: 'lou@example.com', phone: '+1 555 010 1234', notes: 'Ring twice' }),
  'POST /manage/:token/cancel': () => ({ reason: 'Away', confirm: 'yes' }),
  'POST /book/:serviceId/waitlist': () => ({ resource: 'any', tz: 'America/New_York', from: '2026-03-12', to: '2026-03-14', after: '09:00', before: '12:00', name: 'Wes', email: 'wes@example.com', phone: '' }),
  'POST /waitlist/:token/claim': () => ({}),
  'POST /waitlist/:token/decline': () => ({}),
  'POST /waitlist/:token/leave': () => ({}),
  'POST /admin/waitlist/settings': () => ({ waitlistHoldMinutes: '20' }),
  'POST /book/:serviceId/series': () => ({
    start: '2026-03-17T15:00:00.000Z', tz: 'America/New_York', resource: 'any', name: 'Lou', email: 'lou@example.com', phone: '+1 555 010 1234', notes: 'Ring twice',
    repeat: 'weekly', interval: '1', ends: 'count', count: '2', until: '', onConflict: 'skip',
  }),
  'POST /manage/:token/cancel-series': () => ({ scope: 'following' }),
  'POST /manage/:token/reschedule': () => ({ start: '2026-03-13T15:00:00.000Z', tz: 'Europe/London' }),
  'POST /login': () => ({ email: 'nobody@example.com', password: 'wrong-password-1', next: '/admin/day' }),
  'POST /logout': () => ({}),
  'POST /password/forgot': () => ({ email: 'nobody@example.com' }),
  'POST /password/reset/:token': () => ({ password: 'violet-lantern-4821', confirm: 'violet-lantern-4821' }),
  'POST /invite/:token': () => ({ name: 'Ivy', password: 'violet-lantern-4821' }),
  'POST /admin/settings/booking-page': () => ({ currency: 'EUR', bookingIntro: 'Welcome.\nPark behind.', tier0Hours: '24', tier0Percent: '100', tier1Hours: '', tier1Percent: '', sameDayPercent: '' }),
  'POST /admin/settings/notifications': () => ({ reminderHours: '24, 1', notificationEmail: 'desk@example.com', cutoffHours: '12', customersMayCancel: 'on', customersMayReschedule: 'on' }),
  'POST /admin/settings/contact': () => ({ contactPhone: '+1 212 555 0100', contactEmail: 'desk@example.com', contactAddress: '12 Hudson St\nNew York' }),
  'POST /admin/settings': () => ({ name: 'Renamed Place', logoUrl: 'https://example.com/logo.png', accentColor: '#2563eb', timeZone: 'America/New_York' }),
  'POST /admin/developers/keys': () => ({ name: 'Site' }),
  'POST /admin/developers/keys/:id/revoke': () => ({}),
  'POST /admin/developers/webhooks': () => ({ url: 'https://hooks.example.com/x', events: ['booking.created', 'booking.cancelled'], description: 'CRM' }),
  'POST /admin/developers/webhooks/:id/delete': () => ({}),
  'POST /admin/bookings/new': (_d, w) => ({ serviceId: w.ids.service, resourceId: w.ids.resource, date: '2026-03-16', time: '11:00', name: 'Ray', email: 'ray@example.com', phone: '', timeZone: 'America/Chicago', notes: 'Called in' }),
  'POST /admin/bookings/:id/cancel': () => ({ reason: 'Closed', confirm: 'yes' }),
  'POST /admin/bookings/:id/cancel-series': () => ({ seriesReason: 'Closed for the season', scope: 'following' }),
  'POST /admin/bookings/:id/reschedule': () => ({ start: '2026-03-17T15:00:00.000Z' }),
  'POST /admin/bookings/:id/outcome': () => ({ outcome: 'completed' }),
  'POST /admin/bookings/:id/approve': () => ({}),
  'POST /admin/bookings/:id/decline': () => ({ reason: 'Fully booked that week' }),
  'POST /admin/bookings/:id/notes': () => ({ body: 'Prefers mornings.\nAllergic to latex.' }),
  'POST /admin/blocks': (_d, w) => ({ resourceId: w.ids.resource, date: '2026-03-18', start: '12:00', end: '13:00', label: 'Lunch' }),
  'POST /admin/blocks/:id/delete': () => ({}),
  'POST /admin/staff/invitations': () => ({ email: 'new.person@example.com', role: 'staff' }),
  'POST /admin/staff/invitations/:id/revoke': () => ({}),
  'POST /admin/staff/:id/role': () => ({ role: 'admin' }),
  'POST /admin/staff/:id/resources': (_d, w) => ({ resourceIds: [w.ids.resource] }),
  'POST /admin/staff/:id/remove': () => ({}),
  'POST /admin/staff/:id/ownership': () => ({}),
  'POST /admin/resources/check': (d, w) => resourceForm(d, w),
  'POST /admin/resources': (d, w) => resourceForm(d, w),
  'POST /admin/resources/:id/check': (d, w) => resourceForm(d, w, w.ids.resource),
  'POST /admin/resources/:id': (d, w) => resourceForm(d, w, w.ids.resource),
  'POST /admin/resources/:id/hours/check': () => ({ day0: '09:00-12:00, 13:00-17:00', day1: '09:00-17:00', day2: '', day3: '', day4: '', day5: '', day6: '' }),
  'POST /admin/resources/:id/hours': () => ({ day0: '09:00-12:00, 13:00-17:00', day1: '09:00-17:00', day2: '09:00-17:00', day3: '09:00-17:00', day4: '09:00-17:00', day5: '09:00-17:00', day6: '09:00-17:00' }),
  'POST /admin/resources/:id/overrides/check': () => ({ date: '2026-04-02', windows: '10:00-14:00' }),
  'POST /admin/resources/:id/overrides': () => ({ date: '2026-04-02', windows: '10:00-14:00' }),
  'POST /admin/resources/:id/overrides/:date/delete': () => ({}),
  'POST /admin/services/check': (d, w) => serviceForm(d, w),
  'POST /admin/services': (d, w) => serviceForm(d, w),
  'POST /admin/services/:id/check': (d, w) => serviceForm(d, w, w.ids.service),
  'POST /admin/services/:id': (d, w) => serviceForm(d, w, w.ids.service),
  'POST /admin/holidays/check': () => ({ name: 'Boxing Day', start: '2026-12-26', end: '2026-12-27' }),
  'POST /admin/holidays': () => ({ name: 'Boxing Day', start: '2026-12-26', end: '2026-12-27' }),
  'POST /admin/holidays/:id/delete': () => ({}),
  'POST /verify-email/:token': () => ({}),
  'POST /manage/:token/pay': () => ({}),
  'POST /admin/verify-email': () => ({}),
  // A wrong current password: the walk never changes who is signed in.
  'POST /admin/account/password': () => ({ current: 'not-the-password-1', password: 'violet-lantern-4821', confirm: 'violet-lantern-4821' }),
  'POST /admin/developers/webhooks/:id/enable': () => ({}),
  'POST /admin/settings/payments/hold': () => ({ holdMinutes: '45' }),
  'POST /admin/settings/payments/connect': () => ({}),
  'POST /admin/bookings/:id/refunds': () => ({ amount: '5.00', reason: 'Late start' }),
  'POST /admin/calendars/:resourceId/:provider/connect': () => ({}),
  'POST /admin/calendars/connections/:id': () => ({ blocks: ['primary'], receives: 'primary', inviteCustomer: 'on' }),
  'POST /admin/calendars/connections/:id/sync': () => ({}),
  'POST /admin/calendars/connections/:id/disconnect': () => ({}),
  'POST /admin/calendars/:resourceId/ics': (_d, w) => ({ url: `https://ics.${w.slug}.example/other.ics` }),
  'POST /admin/calendars/ics/:id/delete': () => ({}),
  'POST /admin/calendars/feeds': (_d, w) => ({ scope: w.ids.resource }),
  'POST /admin/calendars/feeds/revoke': (_d, w) => ({ scope: w.ids.resource }),
};

export const JSON_BODIES: Record<string, (w: World) => Json> = {
  'POST /api/v1/waitlist': (w) => ({ service_id: w.ids.service, resource_id: null, from_date: '2026-03-12', to_date: '2026-03-14', window: { start: '09:00', end: '12:00' }, customer: { name: 'Wes', email: 'wes@example.com', time_zone: 'America/New_York' } }),
  'DELETE /api/v1/waitlist/:id': () => ({}),
  'POST /api/v1/resources': () => ({ name: 'Room 2', kind: 'room', time_zone: 'Europe/Berlin', position: 2 }),
  'PATCH /api/v1/resources/:id': () => ({ name: 'Robin B', time_zone: 'America/New_York', active: true }),
  'DELETE /api/v1/resources/:id': () => ({}),
  'PUT /api/v1/resources/:id/schedule': () => ({ weekly: [{ day: 'mon', start: '09:00', end: '17:00' }], overrides: [{ date: '2026-04-03', windows: [{ start: '10:00', end: '12:00' }] }] }),
  'POST /api/v1/services': (w) => ({ name: 'Colour', description: 'Full colour', duration_minutes: 90, resource_ids: [w.ids.resource], price: 9000, deposit: 1000, currency: 'USD', max_per_day: 4 }),
  'PATCH /api/v1/services/:id': () => ({ name: 'Haircut+', price: 5000, description: 'Cut and dry' }),
  'DELETE /api/v1/services/:id': () => ({}),
  'POST /api/v1/holidays': () => ({ name: 'Spring break', start_date: '2026-04-06', end_date: '2026-04-07' }),
  'DELETE /api/v1/holidays/:id': () => ({}),
  'POST /api/v1/bookings': (w) => ({ service_id: w.ids.service, resource_id: w.ids.resource, start: '2026-03-19T15:00:00Z', customer: { name: 'Lou', email: 'lou@example.com', phone: null, time_zone: 'UTC' }, notes: 'Hi' }),
  'POST /api/v1/bookings/:id/cancel': () => ({ reason: 'Sick' }),
  'POST /api/v1/bookings/:id/approve': () => ({}),
  'POST /api/v1/bookings/:id/decline': () => ({ reason: 'Fully booked that week' }),
  'POST /api/v1/bookings/:id/reschedule': (w) => ({ start: '2026-03-20T15:00:00Z', resource_id: w.ids.resource }),
  'POST /api/v1/webhook_endpoints': () => ({ url: 'https://hooks.example.com/api', events: ['booking.created'], description: 'Ops' }),
  'DELETE /api/v1/webhook_endpoints/:id': () => ({}),
  'PUT /api/v1/settings/cancellation_policy': () => ({ tiers: [{ hours_before: 48, refund_percent: 100 }, { hours_before: 24, refund_percent: 50 }], same_day_refund_percent: 0 }),
  'POST /api/v1/bookings/:id/refunds': () => ({ amount: 500, reason: 'Late start' }),
  'POST /api/v1/series': (w) => ({
    service_id: w.ids.service, resource_id: w.ids.resource, start: '2026-04-07T14:00:00Z', recurrence: { frequency: 'weekly', interval: 1, count: 2 }, on_conflict: 'skip',
    customer: { name: 'Lou', email: 'lou@example.com', phone: null, time_zone: 'UTC' }, notes: 'Hi',
  }),
  'POST /api/v1/series/:id/cancel': () => ({ scope: 'all', reason: 'Moving away' }),
  // Providers' callbacks: unsigned, so each is refused on its own terms (the signature is the key).
  'POST /stripe/webhook': () => ({ id: 'evt_world', type: 'checkout.session.completed', data: { object: {} } }),
  'POST /calendar-push/google': () => ({}),
  'POST /calendar-push/microsoft': () => ({ value: [{ subscriptionId: 'nope', clientState: 'nope', resource: 'me/events' }] }),
};
