import { perDatabase, type Database } from '../db/database.ts';
import { tenantCall, type TenantTx } from '../db/tenant.ts';
import { Coalescer } from '../db/coalesce.ts';
import { log } from '../log.ts';
import { WritesInFlight } from './in-flight.ts';
import { minuteToHHMM, type OfferJson, type Resource, type Service } from '../catalog/queries.ts';
import type { Interval, ResourceSchedule, SlotQuery, Weekday } from '../scheduling/index.ts';
import type { MessageSettings } from '../notifications/queries.ts';

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

/**
 * The engine's inputs as the SQL functions return them, one JSON array per
 * input, rows as tuples: `slot_inputs` (migrations/0012) for a list of times,
 * `resource_inputs` (migrations/0016) per resource for a decision.
 */
export interface SlotInputs {
  weekly: [resourceId: string, weekday: Weekday, startMinute: number, endMinute: number][];
  overrides: [resourceId: string, date: string, windows: [startMinute: number, endMinute: number][]][];
  holidays: [start: string, end: string][];
  bookings: [resourceId: string, start: number, blockedStart: number, blockedEnd: number][];
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
  for (const [id, start, bs, be] of inputs.bookings) of(id).bookings.push({ start, blocked: { start: bs, end: be } });
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
 * Everything the engine needs about `resources` around `range`, read in the
 * caller's transaction (see `inputWindow`): hours, overrides, holidays, and
 * the blocking bookings and busy blocks overlapping it.
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
  const w = inputWindow(range);
  const { rows } = await tx.raw<{ rows: { inputs: SlotInputs }[] }>(
    'select slot_inputs(?::uuid[], ?::timestamptz, ?::timestamptz, ?::date, ?::date, ?::uuid) as inputs',
    [resources.map((r) => r.id), w.from, w.to, w.fromDay, w.toDay, excludeBookingId ?? null],
  ).options({ name: 'slotwise_slot_inputs' });
  return toSlotQuery(rows[0]!.inputs, service, resources, range, now);
}

/**
 * Serialize every writer of one resource's calendar for the rest of the
 * transaction, so capacity rules no constraint can express (max per day)
 * are checked and written without a race. Several resources: lock in a
 * fixed order. The same lock as `book` takes (SQL function `lock_resource`).
 */
export async function lockResource(tx: TenantTx, resourceId: string): Promise<void> {
  await tx.raw('select lock_resource(?::uuid)', [resourceId]).options({ name: 'slotwise_lock_resource' });
}

/** What `booking_context` returns: one snapshot of a booking decision's inputs. */
export interface BookingContext {
  offer: OfferJson;
  /** For a list of times (no `start`): the engine's inputs around the range. */
  inputs: SlotInputs | null;
  /** For a booking at `start`, per offered resource: the inputs its verdict depends on, and their digest for `book`. */
  decisions: Record<string, DecisionInputs> | null;
  /** For a booking: what planning its messages needs. */
  settings: MessageSettings | null;
  /**
   * With `first`: the offered resources an active booking blocks over the
   * time the new one would block (certainly busy; no decision inputs read).
   */
  taken: string[];
}

/**
 * The inputs one resource's verdict on a start depends on (the windows of
 * its local date, what overlaps the time it would block, and with a daily
 * cap that date's bookings), their digest, and the range they were read
 * for: `book` reads the same range again and compares.
 */
export interface DecisionInputs extends InputsDigest {
  inputs: SlotInputs;
}

export interface InputsDigest {
  digest: string;
  from: string;
  to: string;
  day: string;
}

/** The engine's inputs of several resources' decisions, as one (holidays are the tenant's: once). */
export function mergeInputs(list: SlotInputs[]): SlotInputs {
  const holidays = new Map(list.flatMap((i) => i.holidays).map((h) => [h.join('/'), h] as const));
  return {
    weekly: list.flatMap((i) => i.weekly),
    overrides: list.flatMap((i) => i.overrides),
    holidays: [...holidays.values()],
    bookings: list.flatMap((i) => i.bookings),
    busy: list.flatMap((i) => i.busy),
  };
}

/**
 * The offer (the service, and the resource or all resources offering it),
 * and either the engine's inputs for them around `range` or, for a booking
 * at `start`, each resource's decision inputs and the message settings: one
 * snapshot (SQL function `booking_context`). With `first`, the decision
 * inputs of only the first `first` resources, in the offer's order, that no
 * active booking blocks at that time, and the blocked ones as `taken`; the
 * others are not read. Inside a tenant transaction
 * `on`, one statement of it; on the pool, a statement of its own, shared
 * with the tenant's other reads of the same moment (`booking_contexts`).
 */
export async function bookingContext(
  on: Database | TenantTx,
  tenantId: string,
  q: { serviceId: string; resourceId: string | null; range: Interval; excludeBookingId?: string | undefined; start: number | null; first?: number | null },
): Promise<BookingContext> {
  const w = inputWindow(q.range);
  const r: ContextRequest = {
    service: q.serviceId, resource: q.resourceId, from: w.from, to: w.to, from_day: w.fromDay, to_day: w.toDay,
    exclude: q.excludeBookingId ?? null, start: q.start === null ? null : iso(q.start), first: q.first ?? null,
  };
  return 'tenantId' in on ? contextOne(on, tenantId, r) : coalescersOf(on).context.send(tenantId, r);
}

function contextOne(on: Database | TenantTx, tenantId: string, r: ContextRequest): Promise<BookingContext> {
  return tenantCall<BookingContext>(
    on, tenantId, 'slotwise_booking_context',
    'select booking_context(?::uuid, ?::uuid, ?::uuid, ?::timestamptz, ?::timestamptz, ?::date, ?::date, ?::uuid, ?::timestamptz, ?::integer) as context',
    [r.service, r.resource, r.from, r.to, r.from_day, r.to_day, r.exclude, r.start, r.first],
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
}

/** What `book` writes besides the booking, each as the SQL function that writes it takes it. */
export interface BookFollowUps {
  history: { event: 'created'; actor: string; actor_user_id: string | null; detail: string | null };
  notify: { task: string; max_attempts: number; input: unknown[] };
  event: { task: string; max_attempts: number; id: string; type: string; payload: unknown };
}

/**
 * Write a booking decided on `bookingContext`'s snapshot (SQL function
 * `book`): the resource's lock, then the digest of its inputs read again
 * (for the same range) must equal `check.digest` (else nothing is written:
 * false), then the INSERT under the exclusion constraint (an overlap still
 * raises 23P01) and its follow-ups, in one transaction. False when the
 * inputs changed.
 *
 * Inside a tenant transaction `on`, one statement of it. On the pool, its
 * own transaction, shared with the tenant's other bookings that are written
 * at the same moment (group commit, `book_together`): each keeps every
 * guarantee above, and the statement's and the transaction's fixed costs
 * are paid once for all of them.
 */
export async function book(
  on: Database | TenantTx,
  tenantId: string,
  b: NewBooking,
  createdAt: Date,
  check: InputsDigest,
  followUps: BookFollowUps,
): Promise<boolean> {
  const item = bookItem(b, createdAt, check, followUps);
  if ('tenantId' in on) return bookOne(on, tenantId, item);
  return writesInFlightOf(on).track(tenantId, b.resourceId, b.blocked, coalescersOf(on).book.send(tenantId, item));
}

/** The bookings `book` is writing on `db`'s pool at this moment (see WritesInFlight). */
export const writesInFlightOf = perDatabase(() => new WritesInFlight());

/** One booking as `book` and `book_together` take it. */
interface BookItem {
  booking: Record<string, unknown> & { resource_id: string };
  digest: string;
  range: { from: string; to: string; from_day: string; to_day: string };
  history: BookFollowUps['history'];
  notify: BookFollowUps['notify'];
  event: BookFollowUps['event'];
}

function bookItem(b: NewBooking, createdAt: Date, check: InputsDigest, followUps: BookFollowUps): BookItem {
  return {
    booking: {
      id: b.id, service_id: b.serviceId, resource_id: b.resourceId, starts_at: iso(b.start), ends_at: iso(b.end),
      blocked: `[${iso(b.blocked.start)},${iso(b.blocked.end)})`, status: b.status, customer_name: b.customer.name,
      customer_email: b.customer.email, customer_phone: b.customer.phone, customer_time_zone: b.customer.timeZone, notes: b.notes,
      manage_nonce: b.manageNonce, manage_token_hash: b.manageTokenDigest, source: b.source, created_by: b.createdBy, created_at: createdAt.toISOString(),
    },
    digest: check.digest,
    range: { from: check.from, to: check.to, from_day: check.day, to_day: check.day },
    ...followUps,
  };
}

function bookOne(on: Database | TenantTx, tenantId: string, item: BookItem): Promise<boolean> {
  return tenantCall<boolean>(
    on, tenantId, 'slotwise_book',
    'select book(?::uuid, ?::json, ?, ?::json, ?::json, ?::jsonb, ?::jsonb) as written',
    [JSON.stringify(item.booking), item.digest, JSON.stringify(item.range),
      JSON.stringify(item.history), JSON.stringify(item.notify), JSON.stringify(item.event)],
  );
}

/**
 * Per pool and tenant: at most two statements of each kind at a time (the
 * machine's cores, not its connections, bound how fast they go); what
 * arrives meanwhile leaves together, up to 32, bookings one per resource.
 */
const MAX_RUNNING = 2;
const MAX_ITEMS = 32;

interface ContextRequest {
  service: string;
  resource: string | null;
  from: string;
  to: string;
  from_day: string;
  to_day: string;
  exclude: string | null;
  start: string | null;
  first: number | null;
}

interface Coalescers {
  context: Coalescer<ContextRequest, BookingContext>;
  book: Coalescer<BookItem, boolean>;
}

/** A shared statement that fails is rare (a writer that takes no lock, a row deleted meanwhile): worth a line in the log. */
const split = (statement: string) => (tenantId: string, items: number, err: unknown) =>
  log.warn('shared statement failed; sending its items one by one', { statement, tenantId, items, code: (err as { code?: unknown }).code, err });

/** The booking path's shared statements on `db`'s pool (exported for tests and the benchmark). */
export const coalescersOf = perDatabase((db): Coalescers => ({
  context: new Coalescer<ContextRequest, BookingContext>({
    one: (tenantId, r) => contextOne(db, tenantId, r),
    many: (tenantId, rs) => tenantCall<BookingContext[]>(db, tenantId, 'slotwise_booking_contexts',
      'select booking_contexts(?::uuid, ?::json) as contexts', [JSON.stringify(rs)]),
    maxRunning: MAX_RUNNING,
    maxItems: MAX_ITEMS,
    onSplit: split('booking_contexts'),
  }),
  book: new Coalescer<BookItem, boolean>({
    one: (tenantId, item) => bookOne(db, tenantId, item),
    many: (tenantId, items) => tenantCall<boolean[]>(db, tenantId, 'slotwise_book_together',
      'select book_together(?::uuid, ?::json) as written', [JSON.stringify(items)]),
    conflictKey: (item) => item.booking.resource_id,
    maxRunning: MAX_RUNNING,
    maxItems: MAX_ITEMS,
    onSplit: split('book_together'),
  }),
}));

/** A new booking as `book` inserts it (sequence 0, created at `createdAt`). */
export const bookingOf = (tenantId: string, b: NewBooking, createdAt: Date): Booking => ({
  id: b.id, tenantId, serviceId: b.serviceId, resourceId: b.resourceId, start: new Date(b.start), end: new Date(b.end), status: b.status,
  customer: b.customer, notes: b.notes, source: b.source, sequence: 0, createdAt, manageNonce: b.manageNonce,
});

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
