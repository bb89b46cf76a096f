import type { AppDeps } from '../deps.ts';
import { tenantOrigin } from '../config.ts';
import { withTenant } from '../db/tenant.ts';
import { bookingById } from '../bookings/queries.ts';
import { describeBooking } from '../bookings/service.ts';
import { isActive, type BookingView } from '../bookings/model.ts';
import { currentTenant, type Tenant } from '../tenancy/queries.ts';
import { clientFor } from './clients.ts';
import { connectionBroken } from './health.ts';
import { describeError, GrantError, type OutgoingEvent } from './provider.ts';
import { calendarsOf, connectionById, connectionsOf, deleteLink, linkOfBooking, recordError, saveLink, type Connection } from './queries.ts';
import { keepGrant } from './sync.ts';

/**
 * Bookings out (issue 17): the job `calendars__push_booking`, enqueued in
 * every booking change's transaction (src/bookings/events.ts), writes the
 * booking as it is now to the resource's receiving calendar: created or
 * moved → the event with the booking's times, cancelled → no event.
 * Idempotent: the first write is keyed by the booking (Google: an event id
 * derived from it; Graph: the booking id as transactionId), later writes use
 * the stored event id. Passing failures throw, so graphile-worker retries
 * with backoff; a refused grant marks the connection broken instead.
 */
export async function pushBooking(deps: AppDeps, tenantId: string, bookingId: string): Promise<void> {
  const found = await withTenant(deps.db, tenantId, async (tx) => {
    const booking = await bookingById(tx, bookingId);
    if (!booking) return undefined;
    const view = await describeBooking(tx, booking);
    const link = await linkOfBooking(tx, bookingId);
    // The event lives where it was written, even if the booking moved to another resource since.
    const connection = link ? await connectionById(tx, link.connection_id) : (await connectionsOf(tx, [booking.resourceId]))[0];
    const receiver = connection ? (await calendarsOf(tx, connection.id)).find((c) => c.receives) : undefined;
    return { view, link, connection, receiver, tenant: await currentTenant(tx) };
  });
  if (!found) return;
  const { view, link, connection, receiver, tenant } = found;
  if (!connection || connection.status !== 'active') return;
  const client = clientFor(deps.config, tenantId, connection);
  try {
    const movedAway = link && view.booking.resourceId !== connection.resourceId;
    if (!isActive(view.booking) || movedAway) {
      if (link) {
        await client.deleteEvent(link.calendar_id, link.event_id);
        await withTenant(deps.db, tenantId, (tx) => deleteLink(tx, bookingId));
      }
      // Moved to another resource: that resource's calendar gets it, as a new event.
      if (movedAway && isActive(view.booking)) await pushBooking(deps, tenantId, bookingId);
      return;
    }
    const calendarId = link?.calendar_id ?? receiver?.calendar_id;
    if (!calendarId) return;
    const eventId = await client.writeEvent(calendarId, link?.event_id ?? null, eventFor(deps, tenant, view, connection));
    await withTenant(deps.db, tenantId, (tx) => saveLink(tx, {
      booking_id: bookingId, connection_id: connection.id, calendar_id: calendarId, event_id: eventId, starts_at: view.booking.start, ends_at: view.booking.end,
    }, deps.now()));
  } catch (err) {
    if (err instanceof GrantError) return connectionBroken(deps, tenantId, connection, describeError(err));
    await withTenant(deps.db, tenantId, (tx) => recordError(tx, connection.id, `Writing a booking failed: ${describeError(err)}`));
    throw err;
  } finally {
    await keepGrant(deps, tenantId, connection, client);
  }
}

/** Title, customer, notes and the staff's link to the booking; the customer as attendee only when the business allows. */
function eventFor(deps: AppDeps, tenant: Tenant, view: BookingView, connection: Connection): OutgoingEvent {
  const { booking, service, resource } = view;
  const url = `${tenantOrigin(deps.config, tenant.slug)}/admin/bookings/${booking.id}`;
  return {
    bookingId: booking.id,
    summary: `${service.name}: ${booking.customer.name}`,
    description: [
      `${service.name} with ${resource.name}`,
      `Customer: ${booking.customer.name} <${booking.customer.email}>${booking.customer.phone ? `, ${booking.customer.phone}` : ''}`,
      ...(booking.notes ? [`Notes: ${booking.notes}`] : []),
      `Manage: ${url}`,
    ].join('\n'),
    start: booking.start,
    end: booking.end,
    timeZone: resource.timeZone,
    attendee: connection.inviteCustomer ? { email: booking.customer.email, name: booking.customer.name } : null,
    url,
  };
}
