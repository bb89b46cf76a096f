import type { AppDeps } from '../deps.ts';
import { withTenant } from '../db/tenant.ts';
import { DomainError } from '../errors.ts';
import { log } from '../log.ts';
import { bookingById } from '../bookings/queries.ts';
import { isActive } from '../bookings/model.ts';
import { cancelBooking, rescheduleBooking } from '../bookings/service.ts';
import { clientFor, PROVIDER_NAME } from './clients.ts';
import { sealGrant } from './crypto.ts';
import { connectionBroken } from './health.ts';
import { CHANNEL_RENEW_BEFORE_MS, describeError, GrantError, type EventChange, type ProviderClient } from './provider.ts';
import {
  calendarsOf, clearBusy, connectionById, deleteBusy, flagConflict, linkOfBooking, linkOfEvent, mergeCalendars, recordError, recordSync,
  updateCalendar, upsertBusy, type CalendarRow, type Connection,
} from './queries.ts';

/**
 * Busy time in, and edits of our own events back (issue 17), for one
 * connection, whichever the provider:
 *
 * 1. the provider's calendar list, merged with the resource's choices;
 * 2. per calendar that blocks or receives: the changes since its sync token
 *    (Google `syncToken`, Graph delta link), or a full read when there is
 *    none or the provider expired it (Google 410): then every block of that
 *    calendar is replaced by what the full read found;
 * 3. other people's events become busy blocks (source, external id) unless
 *    the provider client judged them not blocking (free, declined,
 *    cancelled); recurring events arrive expanded;
 * 4. our own events are never busy: a move reschedules the booking through
 *    the one booking path, a delete cancels it, a move onto a time that is
 *    not free flags the conflict;
 * 5. push channels are renewed a day before they expire.
 *
 * A refused grant marks the connection broken (once) and stops; any other
 * failure is recorded on the sync panel and rethrown for the worker's retry.
 */
export async function pullConnection(deps: AppDeps, tenantId: string, connectionId: string): Promise<void> {
  const connection = await withTenant(deps.db, tenantId, (tx) => connectionById(tx, connectionId));
  if (!connection || connection.status !== 'active') return;
  const client = clientFor(deps.config, tenantId, connection);
  try {
    const list = await client.calendars();
    await withTenant(deps.db, tenantId, (tx) => mergeCalendars(tx, connection.id, list));
    const calendars = (await withTenant(deps.db, tenantId, (tx) => calendarsOf(tx, connection.id))).filter((c) => c.blocks || c.receives);
    let imported = 0;
    const edits: { change: EventChange; calendar: CalendarRow }[] = [];
    for (const calendar of calendars) {
      const got = await syncCalendar(deps, tenantId, connection, calendar, client);
      imported += got.imported;
      edits.push(...got.edits.map((change) => ({ change, calendar })));
    }
    for (const edit of edits) await applyOwnEdit(deps, tenantId, connection, edit.change);
    const pushError = await renewChannels(deps, tenantId, connection, calendars, client);
    await withTenant(deps.db, tenantId, async (tx) => {
      await recordSync(tx, connection.id, deps.now(), imported);
      if (pushError) await recordError(tx, connection.id, `Push notifications unavailable (${pushError}); polling every ${deps.config.calendarPollMinutes} minutes.`);
    });
  } catch (err) {
    if (err instanceof GrantError) return connectionBroken(deps, tenantId, connection, describeError(err));
    await withTenant(deps.db, tenantId, (tx) => recordError(tx, connection.id, `Sync failed: ${describeError(err)}`));
    throw err;
  } finally {
    await keepGrant(deps, tenantId, connection, client);
  }
}

/** msal refreshes tokens inside its cache: store the cache again, encrypted, when it changed. */
export async function keepGrant(deps: AppDeps, tenantId: string, connection: Connection, client: ProviderClient): Promise<void> {
  const changed = client.changedGrant();
  if (!changed) return;
  await withTenant(deps.db, tenantId, (tx) => tx('calendar_connections').where({ id: connection.id }).update({ grant_sealed: sealGrant(deps.config, changed) }));
}

/**
 * How often a calendar is read in full even though its sync token works:
 * incremental reads report changes only, so what the last full read left
 * outside the import horizon (the later instances of a recurring event,
 * Graph's delta window) comes in as time moves it inside.
 */
export const FULL_REREAD_MS = 7 * 24 * 3600_000;

async function syncCalendar(deps: AppDeps, tenantId: string, connection: Connection, calendar: CalendarRow, client: ProviderClient) {
  const now = deps.now();
  const due = !calendar.full_read_at || now.getTime() - calendar.full_read_at.getTime() >= FULL_REREAD_MS;
  const listing = await client.list(due ? { ...calendar, sync_token: null } : calendar, now);
  const edits: EventChange[] = [];
  const imported = await withTenant(deps.db, tenantId, async (tx) => {
    if (listing.full) await clearBusy(tx, connection.id, calendar.calendar_id);
    let count = 0;
    for (const change of listing.changes) {
      const own = change.ownBooking ?? (await linkOfEvent(tx, connection.id, change.id))?.booking_id;
      if (own) {
        // Our own event: never busy time. Its edits are the provider moving or deleting the booking.
        if (calendar.receives) edits.push({ ...change, ownBooking: own });
        continue;
      }
      if (!calendar.blocks) continue;
      if (!change.busy) {
        if (!listing.full) await deleteBusy(tx, connection.id, calendar.calendar_id, change.id);
        continue;
      }
      await upsertBusy(tx, {
        resourceId: connection.resourceId, connectionId: connection.id, calendarId: calendar.calendar_id, externalId: change.id,
        start: change.busy.start, end: change.busy.end, label: change.label, source: connection.provider,
      });
      count++;
    }
    await updateCalendar(tx, connection.id, calendar.calendar_id, { sync_token: listing.syncToken, ...(listing.full ? { full_read_at: now } : {}) });
    return count;
  });
  return { imported, edits };
}

/**
 * The provider changed one of our booking events. Deleted: the business
 * cancels the booking. Moved: reschedule through the booking path when the
 * new time is free; otherwise the booking keeps its time and the conflict is
 * flagged for the dashboard. Our own writes come back with the times we
 * last wrote and do nothing.
 */
async function applyOwnEdit(deps: AppDeps, tenantId: string, connection: Connection, change: EventChange): Promise<void> {
  const business = { source: 'admin' as const, userId: null };
  const { booking, link } = await withTenant(deps.db, tenantId, async (tx) => ({
    booking: await bookingById(tx, change.ownBooking!), link: await linkOfBooking(tx, change.ownBooking!),
  }));
  if (!booking || !link || link.connection_id !== connection.id || link.event_id !== change.id || !isActive(booking)) return;
  const where = PROVIDER_NAME[connection.provider];
  try {
    if (change.removed) {
      await cancelBooking(deps, tenantId, business, booking.id, `Deleted from ${where}`);
      return;
    }
    const { start, end } = change;
    if (start === null || end === null) return;
    if (start === link.starts_at.getTime() && end === link.ends_at.getTime()) return; // our own write
    if (start === booking.start.getTime()) return; // only the length changed: the next write puts it back
    await rescheduleBooking(deps, tenantId, business, { bookingId: booking.id, start });
  } catch (err) {
    if (!(err instanceof DomainError)) throw err;
    const message = `Moved in ${where} to ${new Date(change.start ?? 0).toISOString()}, which is not bookable (${err.message}). The booking keeps its time.`;
    await withTenant(deps.db, tenantId, (tx) => flagConflict(tx, booking.id, message, deps.now()));
    log.info('calendar move not applied', { tenantId, bookingId: booking.id, reason: err.message });
  }
}

/** A channel per synced calendar, replaced or renewed a day before it expires. Returns an error text, or null. */
async function renewChannels(deps: AppDeps, tenantId: string, connection: Connection, calendars: CalendarRow[], client: ProviderClient): Promise<string | null> {
  const now = deps.now();
  let failure: string | null = null;
  for (const calendar of calendars) {
    if (calendar.channel_expires_at && calendar.channel_expires_at.getTime() - now.getTime() > CHANNEL_RENEW_BEFORE_MS) continue;
    try {
      const channel = await client.watch(calendar, now);
      await withTenant(deps.db, tenantId, (tx) => updateCalendar(tx, connection.id, calendar.calendar_id, channel));
    } catch (err) {
      if (err instanceof GrantError) throw err;
      failure = describeError(err);
    }
  }
  return failure;
}
