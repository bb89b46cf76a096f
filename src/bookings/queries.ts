import type { TenantTx } from '../db/tenant.ts';
import { minuteToHHMM, type Resource, type Service } from '../catalog/queries.ts';
import type { Interval, ResourceSchedule, SlotQuery, Weekday } from '../scheduling/index.ts';

export type BookingStatus = 'held' | 'confirmed' | 'cancelled' | 'completed' | 'no_show';
export type BookingSource = 'public' | 'admin' | 'api' | 'waitlist' | 'series';
export const BLOCKING_STATUSES: readonly BookingStatus[] = ['held', 'confirmed'];

export interface Customer {
  name: string;
  email: string;
  phone: string | null;
  timeZone: string;
}

export interface Booking {
  id: string;
  tenantId: string;
  serviceId: string;
  resourceId: string;
  start: Date;
  end: Date;
  status: BookingStatus;
  customer: Customer;
  notes: string | null;
  source: BookingSource;
  sequence: number;
  createdAt: Date;
  /** Input of the manage link's derivation (src/bookings/manage-link.ts); not a secret by itself. */
  manageNonce: string;
}

interface BookingRow {
  id: string;
  tenant_id: string;
  service_id: string;
  resource_id: string;
  starts_at: Date;
  ends_at: Date;
  status: BookingStatus;
  customer_name: string;
  customer_email: string;
  customer_phone: string | null;
  customer_time_zone: string;
  notes: string | null;
  source: BookingSource;
  sequence: number;
  created_at: Date;
  manage_nonce: string;
  manage_token_hash: string;
}

const toBooking = (r: BookingRow): Booking => ({
  id: r.id,
  tenantId: r.tenant_id,
  serviceId: r.service_id,
  resourceId: r.resource_id,
  start: r.starts_at,
  end: r.ends_at,
  status: r.status,
  customer: { name: r.customer_name, email: r.customer_email, phone: r.customer_phone, timeZone: r.customer_time_zone },
  notes: r.notes,
  source: r.source,
  sequence: r.sequence,
  createdAt: r.created_at,
  manageNonce: r.manage_nonce,
});

const DAY_MS = 24 * 60 * 60 * 1000;

const iso = (ms: number) => new Date(ms).toISOString();
const isoDay = (ms: number) => iso(ms).slice(0, 10);

/** What `SLOT_INPUTS` returns: one JSON array per input, rows as tuples. */
interface SlotInputs {
  weekly: [resourceId: string, weekday: Weekday, startMinute: number, endMinute: number][];
  overrides: [resourceId: string, date: string, windows: [startMinute: number, endMinute: number][]][];
  holidays: [start: string, end: string][];
  bookings: [resourceId: string, start: number, blockedStart: number, blockedEnd: number][];
  busy: [resourceId: string, start: number, end: number][];
}

/**
 * Every engine input in one statement (one round trip instead of six):
 * weekly hours, overrides with their windows and holidays for the local
 * dates [from, to]; blocking bookings (but the one being moved) and busy
 * blocks overlapping [from, to). Instants as epoch milliseconds.
 *
 * Run as a named (prepared) statement, like the other statements of the
 * booking path: each pool connection parses it once and can keep its plan,
 * where an unnamed statement is parsed and planned on every call. Their
 * result columns do not depend on table columns (no `*`), so a migration
 * cannot make a cached plan invalid for good. (A pooler between the app and
 * Postgres must then keep prepared statements: session mode, or PgBouncer
 * 1.21+ with max_prepared_statements.) The blocking statuses are written
 * into the text, not bound: so the generic plan, too, can prove the partial
 * exclusion index's predicate and use it.
 */
const SLOT_INPUTS = `
  select
    (select coalesce(json_agg(json_build_array(w.resource_id, w.weekday, w.start_minute, w.end_minute) order by w.weekday, w.start_minute), '[]')
       from weekly_hours w where w.resource_id = any(:ids::uuid[])) as weekly,
    (select coalesce(json_agg(json_build_array(o.resource_id, to_char(o.date, 'YYYY-MM-DD'),
         (select coalesce(json_agg(json_build_array(ow.start_minute, ow.end_minute) order by ow.start_minute), '[]')
            from date_override_windows ow where ow.resource_id = o.resource_id and ow.date = o.date)) order by o.date), '[]')
       from date_overrides o where o.resource_id = any(:ids::uuid[]) and o.date between :fromDay::date and :toDay::date) as overrides,
    (select coalesce(json_agg(json_build_array(to_char(h.start_date, 'YYYY-MM-DD'), to_char(h.end_date, 'YYYY-MM-DD'))), '[]')
       from holidays h where h.start_date <= :toDay::date and h.end_date >= :fromDay::date) as holidays,
    (select coalesce(json_agg(json_build_array(b.resource_id, (extract(epoch from b.starts_at) * 1000)::float8,
         (extract(epoch from lower(b.blocked)) * 1000)::float8, (extract(epoch from upper(b.blocked)) * 1000)::float8)), '[]')
       from bookings b
       where b.resource_id = any(:ids::uuid[]) and b.status in (${BLOCKING_STATUSES.map((s) => `'${s}'`).join(', ')})
         and b.blocked && tstzrange(:from::timestamptz, :to::timestamptz, '[)')
         and b.id is distinct from :exclude::uuid) as bookings,
    (select coalesce(json_agg(json_build_array(bb.resource_id, (extract(epoch from lower(bb.during)) * 1000)::float8,
         (extract(epoch from upper(bb.during)) * 1000)::float8)), '[]')
       from busy_blocks bb
       where bb.resource_id = any(:ids::uuid[]) and bb.during && tstzrange(:from::timestamptz, :to::timestamptz, '[)')) as busy`;

/**
 * Everything the engine needs about `resources` around `range`, read in the
 * caller's transaction: hours, overrides and holidays for the local dates that
 * can touch the range (two days of margin cover every zone offset), and the
 * blocking bookings and busy blocks overlapping it (also with margin, so
 * max-per-day counts whole local days).
 */
export async function loadSlotQuery(
  tx: TenantTx,
  service: Service,
  resources: Resource[],
  range: Interval,
  now: number,
  /** A booking being moved does not block its own new time. */
  excludeBookingId?: string,
): Promise<SlotQuery> {
  const from = range.start - 2 * DAY_MS;
  const to = range.end + 2 * DAY_MS;
  const { rows } = await tx.raw<{ rows: SlotInputs[] }>(SLOT_INPUTS, {
    ids: resources.map((r) => r.id),
    fromDay: isoDay(from),
    toDay: isoDay(to),
    from: iso(from),
    to: iso(to),
    exclude: excludeBookingId ?? null,
  }).options({ name: 'slotwise_slot_inputs' });
  const inputs = rows[0]!;
  const schedules = new Map<string, ResourceSchedule>(
    resources.map((r) => [r.id, { resourceId: r.id, timeZone: r.timeZone, weekly: [], overrides: [], bookings: [], busy: [] }]),
  );
  const of = (id: string) => schedules.get(id)!;
  for (const [id, weekday, start, end] of inputs.weekly) of(id).weekly.push({ weekday, start: minuteToHHMM(start), end: minuteToHHMM(end) });
  for (const [id, date, windows] of inputs.overrides) {
    of(id).overrides.push({ date, windows: windows.map(([start, end]) => ({ start: minuteToHHMM(start), end: minuteToHHMM(end) })) });
  }
  for (const [id, start, bs, be] of inputs.bookings) of(id).bookings.push({ start, blocked: { start: bs, end: be } });
  for (const [id, start, end] of inputs.busy) of(id).busy.push({ start, end });
  const holidays = inputs.holidays.map(([start, end]) => ({ start, end }));
  return { service, resources: [...schedules.values()], holidays, range, now };
}

/**
 * Serialize every writer of one resource's calendar for the rest of the
 * transaction, so capacity rules no constraint can express (max per day)
 * are checked and written without a race. Several resources: lock in a
 * fixed order.
 */
export async function lockResource(tx: TenantTx, resourceId: string): Promise<void> {
  await tx
    .raw(`select pg_advisory_xact_lock(hashtextextended(? || ':' || ?, 0))`, [tx.tenantId, resourceId])
    .options({ name: 'slotwise_lock_resource' }); // named: prepared once per connection, see SLOT_INPUTS
}

export interface NewBooking {
  id: string;
  serviceId: string;
  resourceId: string;
  start: number;
  end: number;
  blocked: Interval;
  status: BookingStatus;
  customer: Customer;
  notes: string | null;
  manageNonce: string;
  manageTokenDigest: string;
  source: BookingSource;
  createdBy: string | null;
}

/** Plain INSERT (never ON CONFLICT: it would swallow the exclusion violation). */
export async function insertBooking(tx: TenantTx, b: NewBooking): Promise<Booking> {
  const { rows } = await tx.raw<{ rows: BookingRow[] }>(
    `insert into bookings (tenant_id, id, service_id, resource_id, starts_at, ends_at, blocked, status, customer_name,
       customer_email, customer_phone, customer_time_zone, notes, manage_nonce, manage_token_hash, source, created_by)
     values (?, ?, ?, ?, ?::timestamptz, ?::timestamptz,
       tstzrange(?::timestamptz, ?::timestamptz, '[)'), ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
     returning *`,
    [
      tx.tenantId, b.id, b.serviceId, b.resourceId, iso(b.start), iso(b.end), iso(b.blocked.start), iso(b.blocked.end), b.status, b.customer.name,
      b.customer.email, b.customer.phone, b.customer.timeZone, b.notes, b.manageNonce, b.manageTokenDigest, b.source, b.createdBy,
    ],
  );
  return toBooking(rows[0]!);
}

export async function bookingById(tx: TenantTx, id: string): Promise<Booking | undefined> {
  const row = await tx<BookingRow>('bookings').where({ id }).first();
  return row && toBooking(row);
}

export async function bookingByManageDigest(tx: TenantTx, digest: string): Promise<Booking | undefined> {
  const row = await tx<BookingRow>('bookings').where({ manage_token_hash: digest }).first();
  return row && toBooking(row);
}

/** A booking's row, locked for the rest of the transaction (cancel and reschedule serialize on it). */
export async function bookingForUpdate(tx: TenantTx, id: string): Promise<Booking | undefined> {
  const row = await tx<BookingRow>('bookings').where({ id }).forUpdate().first();
  return row && toBooking(row);
}

export async function markCancelled(tx: TenantTx, id: string, now: Date, reason: string | null): Promise<Booking> {
  const [row] = await tx<BookingRow>('bookings')
    .where({ id })
    .update({ status: 'cancelled', cancelled_at: now, cancel_reason: reason, sequence: tx.raw('sequence + 1'), updated_at: now } as never)
    .returning('*');
  return toBooking(row as BookingRow);
}

/** Move a booking in place; the exclusion constraint checks the new range against every other booking. */
export async function moveBooking(tx: TenantTx, id: string, m: { resourceId: string; start: number; end: number; blocked: Interval; now: Date }): Promise<Booking> {
  const { rows } = await tx.raw<{ rows: BookingRow[] }>(
    `update bookings set resource_id = ?, starts_at = ?::timestamptz, ends_at = ?::timestamptz,
       blocked = tstzrange(?::timestamptz, ?::timestamptz, '[)'), sequence = sequence + 1, updated_at = ?
     where id = ? returning *`,
    [m.resourceId, iso(m.start), iso(m.end), iso(m.blocked.start), iso(m.blocked.end), m.now, id],
  );
  return toBooking(rows[0]!);
}

export interface BookingFilter {
  from?: number;
  to?: number;
  status?: BookingStatus;
  resourceId?: string;
  serviceId?: string;
  startingAfter?: string;
  limit: number;
}

/** Bookings by start time (then id), a page at a time. */
export async function listBookings(tx: TenantTx, f: BookingFilter): Promise<{ data: Booking[]; hasMore: boolean }> {
  const q = tx<BookingRow>('bookings').orderBy([{ column: 'starts_at' }, { column: 'id' }]).limit(f.limit + 1);
  if (f.from !== undefined) q.where('starts_at', '>=', new Date(f.from));
  if (f.to !== undefined) q.where('starts_at', '<', new Date(f.to));
  if (f.status) q.where({ status: f.status });
  if (f.resourceId) q.where({ resource_id: f.resourceId });
  if (f.serviceId) q.where({ service_id: f.serviceId });
  if (f.startingAfter) {
    q.whereRaw('(starts_at, id) > (select starts_at, id from bookings where id = ?)', [f.startingAfter]);
  }
  const rows = await q;
  return { data: rows.slice(0, f.limit).map(toBooking), hasMore: rows.length > f.limit };
}
