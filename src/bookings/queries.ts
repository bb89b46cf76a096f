import type { Database } from '../db/database.ts';
import { tenantCall, type TenantTx } from '../db/tenant.ts';
import { minuteToHHMM, type OfferJson, type Resource, type Service } from '../catalog/queries.ts';
import { blockedRange, dayInstantRange, localDate, type Interval, type ResourceSchedule, type SlotQuery, type Weekday } from '../scheduling/index.ts';
import type { Booking, BookingSource, BookingStatus, Customer } from './model.ts';
import { taskName } from '../jobs/enqueue.ts';
import type { SeatedBooking } from './seats.ts';
import { holdJobKey } from '../payments/queries.ts';
import { wakeWaitlist } from '../waitlist/queries.ts';

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
  hold_expires_at: Date | null;
  cancel_reason: string | null;
  series_id: string | null;
}

/** The columns a Booking is read from: named, so a cached plan of a named statement outlives a new column. */
const BOOKING_COLUMNS = `id, tenant_id, service_id, resource_id, starts_at, ends_at, status, customer_name, customer_email, customer_phone,
  customer_time_zone, notes, source, sequence, created_at, manage_nonce, manage_token_hash, hold_expires_at, cancel_reason, series_id`;

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
  holdExpiresAt: r.hold_expires_at,
  cancelReason: r.cancel_reason,
  seriesId: r.series_id,
});

const DAY_MS = 24 * 60 * 60 * 1000;

const iso = (ms: number) => new Date(ms).toISOString();
const isoDay = (ms: number) => iso(ms).slice(0, 10);

/**
 * The engine's inputs as the SQL function `slot_inputs` returns them, one
 * JSON array per input, rows as tuples.
 */
export interface SlotInputs {
  weekly: [resourceId: string, weekday: Weekday, startMinute: number, endMinute: number][];
  overrides: [resourceId: string, date: string, windows: [startMinute: number, endMinute: number][]][];
  holidays: [start: string, end: string][];
  bookings: [resourceId: string, start: number, blockedStart: number, blockedEnd: number, shareKey: string | null][];
  busy: [resourceId: string, start: number, end: number][];
}

/**
 * Where the engine's inputs are read around `range`: the local dates that
 * can touch it (two days of margin cover every zone offset), and instants
 * with the same margin, so max-per-day counts whole local days.
 */
export function inputWindow(range: Interval): { from: string; to: string; fromDay: string; toDay: string } {
  const from = range.start - 2 * DAY_MS;
  const to = range.end + 2 * DAY_MS;
  return { from: iso(from), to: iso(to), fromDay: isoDay(from), toDay: isoDay(to) };
}

/** The engine's question, from its inputs as `slot_inputs` returns them. */
export function toSlotQuery(inputs: SlotInputs, service: Service, resources: Resource[], range: Interval, now: number): SlotQuery {
  const schedules = new Map<string, ResourceSchedule>(
    resources.map((r) => [r.id, { resourceId: r.id, timeZone: r.timeZone, weekly: [], overrides: [], bookings: [], busy: [] }]),
  );
  const of = (id: string) => schedules.get(id)!;
  for (const [id, weekday, start, end] of inputs.weekly) of(id).weekly.push({ weekday, start: minuteToHHMM(start), end: minuteToHHMM(end) });
  for (const [id, date, windows] of inputs.overrides) {
    of(id).overrides.push({ date, windows: windows.map(([start, end]) => ({ start: minuteToHHMM(start), end: minuteToHHMM(end) })) });
  }
  // The seats of a class reach the engine as one booking, with how many are taken (src/bookings/seats.ts).
  const classes = new Map<string, SeatedBooking>();
  for (const [id, start, bs, be, shareKey] of inputs.bookings) {
    const known = shareKey === null ? undefined : classes.get(`${id}|${shareKey}`);
    if (known) {
      known.taken! += 1;
      continue;
    }
    const booking: SeatedBooking = shareKey === null ? { start, blocked: { start: bs, end: be } } : { start, blocked: { start: bs, end: be }, shareKey, taken: 1 };
    if (shareKey !== null) classes.set(`${id}|${shareKey}`, booking);
    of(id).bookings.push(booking);
  }
  for (const [id, start, end] of inputs.busy) of(id).busy.push({ start, end });
  const holidays = inputs.holidays.map(([start, end]) => ({ start, end }));
  return { service, resources: [...schedules.values()], holidays, range, now };
}

/*
 * The statements of the booking path are named: each pool connection parses
 * them once and can keep their plans, where an unnamed statement is parsed
 * and planned on every call. Their result columns do not depend on table
 * columns (no `*`), so a migration cannot make a cached plan invalid for
 * good. (A pooler between the app and Postgres must then keep prepared
 * statements: session mode, or PgBouncer 1.21+ with max_prepared_statements.)
 */

/**
 * The engine's inputs for its verdict on one start of `service` on
 * `resource`, read in the caller's transaction (under the resource's lock),
 * and no more than that verdict depends on, so a full calendar costs no
 * more to book than an empty one: the windows of the start's local date
 * (and the dates either side), the bookings and busy blocks overlapping the
 * range the booking would block and, when the service caps bookings per
 * day, those of that whole local date.
 */
export async function loadDecisionQuery(
  tx: TenantTx,
  service: Service,
  resource: Resource,
  start: number,
  now: number,
  /** A booking being moved does not block its own new time. */
  excludeBookingId?: string,
): Promise<SlotQuery> {
  let { start: from, end: to } = blockedRange(service, start);
  const day = localDate(start, resource.timeZone);
  if (service.maxPerDay !== null) {
    const whole = dayInstantRange(day, resource.timeZone);
    from = Math.min(from, whole.start);
    to = Math.max(to, whole.end);
  }
  const { rows } = await tx.raw<{ rows: { inputs: SlotInputs }[] }>(
    'select slot_inputs(?::uuid[], ?::timestamptz, ?::timestamptz, ?::date, ?::date, ?::uuid) as inputs',
    [[resource.id], iso(from), iso(to), isoDay(Date.parse(day) - DAY_MS), isoDay(Date.parse(day) + DAY_MS), excludeBookingId ?? null],
  ).options({ name: 'slotwise_slot_inputs' });
  return toSlotQuery(rows[0]!.inputs, service, [resource], { start, end: start + 1 }, now);
}

/**
 * The engine's inputs for its verdicts on several starts of `service` on
 * `resource` (the occurrences of a series), read once for their whole span
 * in the caller's transaction, under the resource's lock: as
 * `loadDecisionQuery`, from the first blocked range to the last, with the
 * whole local days around them.
 */
export async function loadSpanQuery(tx: TenantTx, service: Service, resource: Resource, starts: number[], now: number): Promise<SlotQuery> {
  const first = Math.min(...starts);
  const last = Math.max(...starts);
  const from = Math.min(blockedRange(service, first).start, dayInstantRange(localDate(first, resource.timeZone), resource.timeZone).start);
  const to = Math.max(blockedRange(service, last).end, dayInstantRange(localDate(last, resource.timeZone), resource.timeZone).end);
  const { rows } = await tx.raw<{ rows: { inputs: SlotInputs }[] }>(
    'select slot_inputs(?::uuid[], ?::timestamptz, ?::timestamptz, ?::date, ?::date, null) as inputs',
    [[resource.id], iso(from), iso(to), isoDay(from - DAY_MS), isoDay(to + DAY_MS)],
  );
  return toSlotQuery(rows[0]!.inputs, service, [resource], { start: first, end: last + 1 }, now);
}

/**
 * Serialize every writer of one resource's calendar for the rest of the
 * transaction, so capacity rules no constraint can express (max per day)
 * are checked and written without a race. Several resources: lock in a
 * fixed order (SQL function `lock_resource`).
 */
export async function lockResource(tx: TenantTx, resourceId: string): Promise<void> {
  await tx.raw('select lock_resource(?::uuid)', [resourceId]).options({ name: 'slotwise_lock_resource' });
}

/**
 * Serialize one customer's online bookings (by email) for the rest of the
 * transaction, so the business's daily cap per customer is counted and
 * written without a race. Taken before any resource's lock.
 */
export async function lockCustomer(tx: TenantTx, email: string): Promise<void> {
  await tx.raw('select lock_customer(?)', [email]).options({ name: 'slotwise_lock_customer' });
}

/** The business's daily cap per customer (null: none), and the active bookings `email` has on its calendar day of `start`. */
export async function customerDayBookings(tx: TenantTx, email: string, start: number): Promise<{ cap: number | null; booked: number }> {
  const { rows } = await tx.raw<{ rows: { cap: number | null; booked: number }[] }>('select cap, booked from customer_day_bookings(?, ?::timestamptz)', [email, iso(start)])
    .options({ name: 'slotwise_customer_day_bookings' });
  return rows[0]!;
}

/**
 * As `lockResource`, but only if no other transaction holds it right now:
 * true when taken. "Any available" tries the offered resources this way,
 * so a crowd spreads over them, across processes too.
 */
export async function tryLockResource(tx: TenantTx, resourceId: string): Promise<boolean> {
  const { rows } = await tx.raw<{ rows: { locked: boolean }[] }>('select try_lock_resource(?::uuid) as locked', [resourceId])
    .options({ name: 'slotwise_try_lock_resource' });
  return rows[0]!.locked;
}

/**
 * The offer and the engine's inputs for it around `range`, for a list of
 * free times: one statement that is its own tenant transaction (SQL
 * function `availability_context`), since a list needs no lock.
 */
export async function availabilityContext(
  db: Database,
  tenantId: string,
  q: { serviceId: string; resourceId: string | null; range: Interval; excludeBookingId?: string | undefined },
): Promise<{ offer: OfferJson; inputs: SlotInputs }> {
  const w = inputWindow(q.range);
  return tenantCall(
    db, tenantId, 'slotwise_availability_context',
    'select availability_context(?::uuid, ?::uuid, ?::uuid, ?::timestamptz, ?::timestamptz, ?::date, ?::date, ?::uuid) as context',
    [q.serviceId, q.resourceId, w.from, w.to, w.fromDay, w.toDay, q.excludeBookingId ?? null],
  );
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
  createdAt: Date;
  holdExpiresAt: Date | null;
  /** A seat's class (src/bookings/seats.ts), null for a booking of its own. */
  shareKey: string | null;
  /** An occurrence of a series (src/series/). */
  seriesId?: string | null;
}

/**
 * Insert a booking. The exclusion constraint refuses an overlap on the
 * resource (SQLSTATE 23P01) whoever wrote the other one, lock or not.
 */
export async function insertBooking(tx: TenantTx, b: NewBooking): Promise<Booking> {
  const { rows } = await tx.raw<{ rows: BookingRow[] }>(
    `insert into bookings (tenant_id, id, service_id, resource_id, starts_at, ends_at, blocked, status, customer_name, customer_email,
       customer_phone, customer_time_zone, notes, manage_nonce, manage_token_hash, source, created_by, created_at, updated_at, hold_expires_at, share_key, series_id)
     values (?::uuid, ?::uuid, ?::uuid, ?::uuid, ?::timestamptz, ?::timestamptz, tstzrange(?::timestamptz, ?::timestamptz, '[)'), ?, ?, ?,
       ?, ?, ?, ?, ?, ?, ?::uuid, ?::timestamptz, ?::timestamptz, ?::timestamptz, ?, ?::uuid)
     returning ${BOOKING_COLUMNS}`,
    [tx.tenantId, b.id, b.serviceId, b.resourceId, iso(b.start), iso(b.end), iso(b.blocked.start), iso(b.blocked.end), b.status, b.customer.name,
      b.customer.email, b.customer.phone, b.customer.timeZone, b.notes, b.manageNonce, b.manageTokenDigest, b.source, b.createdBy,
      b.createdAt.toISOString(), b.createdAt.toISOString(), b.holdExpiresAt?.toISOString() ?? null, b.shareKey, b.seriesId ?? null],
  ).options({ name: 'slotwise_insert_booking' });
  return toBooking(rows[0]!);
}

/** The occurrences of a series, by start. */
export async function bookingsOfSeries(tx: TenantTx, seriesId: string): Promise<Booking[]> {
  const rows = await tx<BookingRow>('bookings').where({ series_id: seriesId }).orderBy([{ column: 'starts_at' }, { column: 'id' }]);
  return rows.map(toBooking);
}

/** A series' occurrences locked for a change, in start order (every writer locks them in this order). */
export async function bookingsOfSeriesForUpdate(tx: TenantTx, seriesId: string): Promise<Booking[]> {
  const rows = await tx<BookingRow>('bookings').where({ series_id: seriesId }).orderBy([{ column: 'starts_at' }, { column: 'id' }]).forUpdate();
  return rows.map(toBooking);
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

/** Cancel a booking; its time is free, so the waitlist is woken in the same transaction. */
export async function markCancelled(tx: TenantTx, id: string, now: Date, reason: string | null): Promise<Booking> {
  const [row] = await tx<BookingRow>('bookings')
    .where({ id })
    .update({ status: 'cancelled', cancelled_at: now, cancel_reason: reason, sequence: tx.raw('sequence + 1'), updated_at: now } as never)
    .returning('*');
  const booking = toBooking(row as BookingRow);
  await wakeWaitlist(tx, booking.resourceId);
  return booking;
}

export const EXPIRE_REQUEST_TASK = taskName('bookings__expire_request');

/**
 * The job that ends a request nobody answered, at its `hold_expires_at`, in
 * the booking's transaction. It shares the key of a payment hold's expiry
 * (one hold per booking), so confirming either removes it (`cancelHoldExpiry`).
 */
export async function scheduleRequestExpiry(tx: TenantTx, bookingId: string, at: Date, again = false): Promise<void> {
  // `again`: as for a payment's hold (scheduleHoldExpiry), a job run early waits rather than spins.
  await tx.raw(`select app_private.add_job(?, ?::jsonb, ${again ? "greatest(?::timestamptz, now() + interval '5 seconds')" : '?::timestamptz'}, ?, 'replace', 25)`,
    [EXPIRE_REQUEST_TASK, JSON.stringify({ bookingId }), at.toISOString(), holdJobKey(bookingId)]);
}

/**
 * A held booking is paid: it is confirmed, its hold ends. Or a booking
 * whose hold had expired is paid late and its time still free: it is
 * confirmed again, under the exclusion constraint like any write.
 */
export async function markConfirmed(tx: TenantTx, id: string, now: Date): Promise<Booking> {
  const { rows } = await tx.raw<{ rows: BookingRow[] }>(
    `update bookings set status = 'confirmed', hold_expires_at = null, cancelled_at = null, cancel_reason = null, updated_at = ?
     where id = ? returning ${BOOKING_COLUMNS}`,
    [now, id],
  );
  return toBooking(rows[0]!);
}

/** A held booking's hold moved to `until` (a waitlist claim going to payment). */
export async function extendHold(tx: TenantTx, id: string, until: Date, now: Date): Promise<Booking> {
  const { rows } = await tx.raw<{ rows: BookingRow[] }>(
    `update bookings set hold_expires_at = ?, updated_at = ? where id = ? and status = 'held' returning ${BOOKING_COLUMNS}`,
    [until, now, id],
  );
  return toBooking(rows[0]!);
}

/** Move a booking in place; the exclusion constraint checks the new range against every other booking. */
export async function moveBooking(
  tx: TenantTx,
  id: string,
  m: { resourceId: string; start: number; end: number; blocked: Interval; shareKey: string | null; now: Date },
): Promise<Booking> {
  const { rows } = await tx.raw<{ rows: BookingRow[] }>(
    `update bookings set resource_id = ?, starts_at = ?::timestamptz, ends_at = ?::timestamptz,
       blocked = tstzrange(?::timestamptz, ?::timestamptz, '[)'), share_key = ?, sequence = sequence + 1, updated_at = ?
     where id = ? returning *`,
    [m.resourceId, iso(m.start), iso(m.end), iso(m.blocked.start), iso(m.blocked.end), m.shareKey, m.now, id],
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
