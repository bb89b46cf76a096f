import { BLOCKING_STATUSES } from '../bookings/model.ts';
import type { TenantTx } from '../db/tenant.ts';
import { taskName } from '../jobs/enqueue.ts';

export type Provider = 'google' | 'outlook';
export type ConnectionStatus = 'active' | 'broken';

export interface Connection {
  id: string;
  resourceId: string;
  provider: Provider;
  account: string;
  grantSealed: string;
  status: ConnectionStatus;
  lastSyncedAt: Date | null;
  lastError: string | null;
  brokenAt: Date | null;
  eventsImported: number;
  inviteCustomer: boolean;
  /** The resource's zone: where Outlook's all-day events fall. */
  resourceTimeZone: string;
}

interface ConnectionRow {
  id: string;
  resource_id: string;
  provider: Provider;
  account: string;
  grant_sealed: string;
  status: ConnectionStatus;
  last_synced_at: Date | null;
  last_error: string | null;
  broken_at: Date | null;
  events_imported: number;
  invite_customer: boolean;
  resource_time_zone: string;
}

const toConnection = (r: ConnectionRow): Connection => ({
  id: r.id, resourceId: r.resource_id, provider: r.provider, account: r.account, grantSealed: r.grant_sealed, status: r.status,
  lastSyncedAt: r.last_synced_at, lastError: r.last_error, brokenAt: r.broken_at, eventsImported: r.events_imported, inviteCustomer: r.invite_customer,
  resourceTimeZone: r.resource_time_zone,
});

export interface CalendarRow {
  connection_id: string;
  calendar_id: string;
  name: string;
  time_zone: string;
  blocks: boolean;
  receives: boolean;
  sync_token: string | null;
  /** The last full read (every FULL_REREAD_MS one is made, whatever the sync token). */
  full_read_at: Date | null;
  channel_id: string | null;
  channel_token: string | null;
  channel_resource_id: string | null;
  channel_expires_at: Date | null;
}

/** Connect (or reconnect) a resource's account: a reconnect replaces the grant and clears the broken state. */
export async function saveConnection(
  tx: TenantTx,
  c: { resourceId: string; provider: Provider; account: string; grantSealed: string; createdBy: string | null },
): Promise<Connection> {
  const [row] = await tx('calendar_connections')
    .insert({ tenant_id: tx.tenantId, resource_id: c.resourceId, provider: c.provider, account: c.account, grant_sealed: c.grantSealed, created_by: c.createdBy })
    .onConflict(['tenant_id', 'resource_id', 'provider'])
    .merge({ account: c.account, grant_sealed: c.grantSealed, status: 'active', last_error: null, broken_at: null })
    .returning<ConnectionRow[]>('id');
  return (await connectionById(tx, row!.id))!;
}

/** Connections with their resource's zone. */
const connections = (tx: TenantTx) => tx('calendar_connections as c')
  .join('resources as r', function () {
    this.on('r.tenant_id', 'c.tenant_id').andOn('r.id', 'c.resource_id');
  })
  .select('c.*', 'r.time_zone as resource_time_zone');

export async function connectionById(tx: TenantTx, id: string): Promise<Connection | undefined> {
  const row: ConnectionRow | undefined = await connections(tx).where('c.id', id).first();
  return row && toConnection(row);
}

export async function connectionsOf(tx: TenantTx, resourceIds: string[]): Promise<Connection[]> {
  const rows: ConnectionRow[] = await connections(tx).whereIn('c.resource_id', resourceIds).orderBy('c.created_at');
  return rows.map(toConnection);
}

export async function allConnectionIds(tx: TenantTx): Promise<string[]> {
  return (await tx('calendar_connections').where({ status: 'active' }).select('id')).map((r: { id: string }) => r.id);
}

export async function calendarsOf(tx: TenantTx, connectionId: string): Promise<CalendarRow[]> {
  return tx<CalendarRow>('calendar_calendars').where({ connection_id: connectionId }).orderBy([{ column: 'receives', order: 'desc' }, { column: 'name' }]);
}

/**
 * The provider's calendar list, merged in: new calendars are added (the
 * primary one blocking and receiving by default), known ones keep their
 * choices, vanished ones go with their busy blocks.
 */
export async function mergeCalendars(tx: TenantTx, connectionId: string, list: { id: string; name: string; timeZone: string; primary: boolean }[]): Promise<void> {
  const known = new Map((await calendarsOf(tx, connectionId)).map((c) => [c.calendar_id, c]));
  const hasReceiver = [...known.values()].some((c) => c.receives && list.some((l) => l.id === c.calendar_id));
  for (const c of list) {
    if (known.has(c.id)) {
      await tx('calendar_calendars').where({ connection_id: connectionId, calendar_id: c.id }).update({ name: c.name, time_zone: c.timeZone });
    } else {
      await tx('calendar_calendars').insert({
        tenant_id: tx.tenantId, connection_id: connectionId, calendar_id: c.id, name: c.name, time_zone: c.timeZone, blocks: c.primary, receives: c.primary && !hasReceiver,
      });
    }
  }
  const gone = [...known.keys()].filter((id) => !list.some((l) => l.id === id));
  if (gone.length) {
    await tx('busy_blocks').where({ connection_id: connectionId }).whereIn('calendar_id', gone).del();
    await tx('calendar_calendars').where({ connection_id: connectionId }).whereIn('calendar_id', gone).del();
  }
}

/** Which calendars block the resource and which one receives its bookings (at most one). */
export async function chooseCalendars(tx: TenantTx, connectionId: string, blocking: string[], receiver: string | null): Promise<void> {
  await tx('calendar_calendars').where({ connection_id: connectionId }).update({ receives: false });
  await tx('calendar_calendars').where({ connection_id: connectionId }).update({ blocks: tx.raw('calendar_id = any(?::text[])', [blocking]) });
  if (receiver) await tx('calendar_calendars').where({ connection_id: connectionId, calendar_id: receiver }).update({ receives: true });
  // A calendar that no longer blocks gives its time back at once; the next sync re-reads it from scratch if chosen again.
  await tx('busy_blocks').where({ connection_id: connectionId }).whereNotIn('calendar_id', blocking).del();
  await tx('calendar_calendars').where({ connection_id: connectionId, blocks: false }).update({ sync_token: null });
}

export async function updateCalendar(tx: TenantTx, connectionId: string, calendarId: string, patch: Partial<Omit<CalendarRow, 'connection_id' | 'calendar_id'>>): Promise<void> {
  await tx('calendar_calendars').where({ connection_id: connectionId, calendar_id: calendarId }).update(patch);
}

export async function recordSync(tx: TenantTx, connectionId: string, at: Date, imported: number): Promise<void> {
  await tx('calendar_connections').where({ id: connectionId }).update({ last_synced_at: at, last_error: null, events_imported: tx.raw('events_imported + ?', [imported]) });
}

export async function recordError(tx: TenantTx, connectionId: string, message: string): Promise<void> {
  await tx('calendar_connections').where({ id: connectionId }).update({ last_error: message.slice(0, 1000) });
}

/** Mark a connection broken; true only for the change from active, so its mail goes out once. */
export async function markBroken(tx: TenantTx, connectionId: string, at: Date, message: string): Promise<boolean> {
  const rows = await tx('calendar_connections').where({ id: connectionId, status: 'active' }).update({ status: 'broken', broken_at: at, last_error: message.slice(0, 1000) }, ['id']);
  return rows.length > 0;
}

export const PULL_TASK = taskName('calendars__pull');
export const PUSH_TASK = taskName('calendars__push_booking');

/** Enqueue a pull of one connection; repeated notifications before it runs make one job. */
export async function enqueuePull(tx: TenantTx, connectionId: string): Promise<void> {
  await tx.raw('select app_private.add_job(?, ?::jsonb, null, ?)', [PULL_TASK, JSON.stringify({ connectionId }), `calendar-pull:${connectionId}`]);
}

/**
 * In a booking change's transaction: when the booking's resource has a
 * calendar that receives bookings, enqueue the job that writes the change
 * there. One statement; nothing for an unconnected resource. The job key
 * per booking folds quick successive changes into one write of the latest.
 */
export async function enqueueBookingPush(tx: TenantTx, bookingId: string, resourceId: string): Promise<void> {
  await tx.raw(
    `select app_private.add_job(?, jsonb_build_object('bookingId', ?::text), null, 'calendar-push:' || ?::text, 'replace', 25)
     where exists (select 1 from calendar_connections k join calendar_calendars c on c.tenant_id = k.tenant_id and c.connection_id = k.id
                   where k.resource_id = ?::uuid and c.receives)
        or exists (select 1 from calendar_booking_events e where e.booking_id = ?::uuid)`,
    [PUSH_TASK, bookingId, bookingId, resourceId, bookingId],
  ).options({ name: 'slotwise_calendar_push' });
}

export interface BookingEventLink {
  booking_id: string;
  connection_id: string;
  calendar_id: string;
  event_id: string;
  starts_at: Date;
  ends_at: Date;
  conflict: string | null;
}

export async function linkOfBooking(tx: TenantTx, bookingId: string): Promise<BookingEventLink | undefined> {
  return tx<BookingEventLink>('calendar_booking_events').where({ booking_id: bookingId }).first();
}

export async function linkOfEvent(tx: TenantTx, connectionId: string, eventId: string): Promise<BookingEventLink | undefined> {
  return tx<BookingEventLink>('calendar_booking_events').where({ connection_id: connectionId, event_id: eventId }).first();
}

export async function saveLink(tx: TenantTx, l: Omit<BookingEventLink, 'conflict'>, now: Date): Promise<void> {
  await tx('calendar_booking_events')
    .insert({ tenant_id: tx.tenantId, ...l, conflict: null, updated_at: now })
    .onConflict(['tenant_id', 'booking_id'])
    .merge({ connection_id: l.connection_id, calendar_id: l.calendar_id, event_id: l.event_id, starts_at: l.starts_at, ends_at: l.ends_at, conflict: null, updated_at: now });
}

export async function flagConflict(tx: TenantTx, bookingId: string, message: string, now: Date): Promise<void> {
  await tx('calendar_booking_events').where({ booking_id: bookingId }).update({ conflict: message.slice(0, 500), updated_at: now });
}

export async function deleteLink(tx: TenantTx, bookingId: string): Promise<void> {
  await tx('calendar_booking_events').where({ booking_id: bookingId }).del();
}

/** Booking events whose move in the provider could not be applied, for the dashboard. */
export async function conflicts(tx: TenantTx): Promise<{ booking_id: string; conflict: string; customer_name: string; starts_at: Date }[]> {
  return tx('calendar_booking_events as e')
    .join('bookings as b', function () {
      this.on('b.tenant_id', 'e.tenant_id').andOn('b.id', 'e.booking_id');
    })
    .whereNotNull('e.conflict')
    .whereIn('b.status', [...BLOCKING_STATUSES])
    .orderBy('b.starts_at')
    .select('e.booking_id', 'e.conflict', 'b.customer_name', 'b.starts_at');
}

/** One imported event's busy time, replaced by external id. */
export async function upsertBusy(
  tx: TenantTx,
  b: { resourceId: string; connectionId: string; calendarId: string; externalId: string; start: Date; end: Date; label: string; source: Provider },
): Promise<void> {
  await tx.raw(
    `insert into busy_blocks (tenant_id, resource_id, connection_id, calendar_id, external_id, during, source, label)
     values (?::uuid, ?::uuid, ?::uuid, ?, ?, tstzrange(?::timestamptz, ?::timestamptz, '[)'), ?, ?)
     on conflict (tenant_id, connection_id, calendar_id, external_id) where connection_id is not null
     do update set during = excluded.during, label = excluded.label`,
    [tx.tenantId, b.resourceId, b.connectionId, b.calendarId, b.externalId, b.start.toISOString(), b.end.toISOString(), b.source, b.label.slice(0, 200)],
  );
}

export async function deleteBusy(tx: TenantTx, connectionId: string, calendarId: string, externalId: string): Promise<void> {
  await tx('busy_blocks').where({ connection_id: connectionId, calendar_id: calendarId, external_id: externalId }).del();
}

export async function clearBusy(tx: TenantTx, connectionId: string, calendarId: string): Promise<void> {
  await tx('busy_blocks').where({ connection_id: connectionId, calendar_id: calendarId }).del();
}

/** What the dashboard flags: broken connections (availability falls back to what is known) and moves that could not be applied. */
export async function calendarAttention(tx: TenantTx, resourceIds: string[]): Promise<{ broken: string[]; conflicts: number }> {
  const broken = await tx('calendar_connections as c')
    .join('resources as r', function () {
      this.on('r.tenant_id', 'c.tenant_id').andOn('r.id', 'c.resource_id');
    })
    .where('c.status', 'broken').whereIn('c.resource_id', resourceIds).select('r.name');
  const [row] = await tx('calendar_booking_events as e')
    .join('bookings as b', function () {
      this.on('b.tenant_id', 'e.tenant_id').andOn('b.id', 'e.booking_id');
    })
    .whereNotNull('e.conflict').whereIn('b.status', [...BLOCKING_STATUSES]).whereIn('b.resource_id', resourceIds).count<{ n: string }[]>('* as n');
  return { broken: broken.map((b: { name: string }) => b.name), conflicts: Number(row?.n ?? 0) };
}
