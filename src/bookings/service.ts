import type { AppDeps } from '../deps.ts';
import { perDatabase, type Database } from '../db/database.ts';
import { isUuid, withTenant, type TenantTx } from '../db/tenant.ts';
import { notFound } from '../http/errors.ts';
import { randomUUID } from 'node:crypto';
import { offerFromJson, resourceById, serviceById, serviceWithResources, type Resource, type Service } from '../catalog/queries.ts';
import { computeAnyResourceSlots, explainSlot, type AnyResourceSlot, type Interval, type RejectReason } from '../scheduling/index.ts';
import type { CreateBooking } from './commands.ts';
import { slotRefused } from './errors.ts';
import { createdFollowUps } from './events.ts';
import { Crowds } from './in-flight.ts';
import { manageDigest, newManageSecret } from './manage-link.ts';
import { book, bookingByManageDigest, bookingContext, bookingOf, lockResource, mergeInputs, toSlotQuery, writesInFlightOf, type Booking, type BookingSource, type NewBooking } from './queries.ts';
import { currentTenant, type Tenant } from '../tenancy/queries.ts';
import { settingsFor } from '../notifications/queries.ts';

/**
 * The one booking service (DESIGN "Booking"). Every caller — public page,
 * admin, API, waitlist — creates bookings through `createBooking`: the
 * engine decides on one snapshot of its inputs (`bookingContext`), and the
 * SQL function `book` writes the booking in one statement that is its own
 * transaction: 1. the tenant set for that transaction; 2. the resource's
 * advisory lock; 3. the re-check: the resource's inputs read again under the
 * lock must be the very inputs the engine decided on (by digest), so its
 * verdict is the one it would give now; 4. the INSERT under the exclusion
 * constraint; 5. the history line, messages and webhook event in the same
 * transaction. Two round trips for a booking: they were most of its cost.
 */
export interface Actor {
  source: BookingSource;
  userId: string | null;
}

export interface Offer {
  service: Service;
  resources: Resource[];
}

const MINUTE = 60_000;

/** The offer as found: a missing or inactive service, or nobody to book, is a 404 with a message. */
function checkedOffer(found: { service: Service | undefined; resources: Resource[] }, resourceId: string | null): Offer {
  const { service, resources } = found;
  if (!service || !service.active) throw notFound('That service does not exist.');
  if (!resources.length) throw notFound(resourceId ? 'That option is not offered for this service.' : 'Nobody offers this service yet.');
  return { service, resources };
}

/** Ids that cannot name a row answer 404 before any SQL (the statements cast them to uuid). */
function checkIds(serviceId: string, resourceId: string | null): void {
  if (!isUuid(serviceId)) throw notFound('That service does not exist.');
  if (resourceId && !isUuid(resourceId)) throw notFound('That option is not offered for this service.');
}

/** The service and the resources that may be booked for it (one, or all for "any"). */
export async function loadOffer(tx: TenantTx, serviceId: string, resourceId: string | null): Promise<Offer> {
  checkIds(serviceId, resourceId || null);
  return checkedOffer(await serviceWithResources(tx, serviceId, resourceId || null), resourceId || null);
}

export interface Availability extends Offer {
  slots: AnyResourceSlot[];
}

/** Free slots of a service in `range`, merged over the chosen resources: one statement. */
export async function findAvailability(
  deps: AppDeps,
  tenantId: string,
  q: { serviceId: string; resourceId: string | null; range: Interval; excludeBookingId?: string },
): Promise<Availability> {
  checkIds(q.serviceId, q.resourceId);
  const ctx = await bookingContext(deps.db, tenantId, { ...q, start: null });
  const offer = checkedOffer(offerFromJson(ctx.offer), q.resourceId);
  const query = toSlotQuery(ctx.inputs!, offer.service, offer.resources, q.range, deps.now().getTime());
  return { ...offer, slots: computeAnyResourceSlots(query) };
}

export interface Created {
  booking: Booking;
  /** The secret of the customer's manage link; only its digest is stored. */
  manageToken: string;
}

export interface CreateOptions {
  /**
   * Staff booking for a customer on the phone may go inside the minimum
   * notice and beyond the horizon. Every other rule — hours, buffers, the
   * daily cap, and above all the collision guarantee — still applies.
   */
  staffOverride?: boolean;
  /** Decisions on a snapshot before deciding under the lock; OPTIMISTIC_ATTEMPTS unless given (tests pass 0). */
  optimisticAttempts?: number;
}

const STAFF_HORIZON_DAYS = 3650;

/**
 * Decisions on a fresh snapshot before falling back to deciding under the
 * lock. Each "changed" means another writer of the resource committed
 * meanwhile, so some booking made progress; the fallback bounds the wait.
 */
const OPTIMISTIC_ATTEMPTS = 3;

/**
 * "Any available" first reads the decision inputs of this many offered
 * resources that no booking blocks at the start (in the offer's order),
 * plus one for each other booking this process is making at that start
 * (those may take the first ones), and all of them only if none of those
 * can be booked.
 */
const FIRST_READ = 4;

/** The bookings this process is making per tenant and start, on `db`'s pool. */
const crowdsOf = perDatabase(() => new Crowds());

/**
 * A decision's outcome; `changed` carries the resources the engine found
 * free (in the offer's order), all of which another booking took first:
 * the fallback tries them in turn.
 */
type Attempt = { created: Created } | { refused: RejectReason } | { changed: true; resources: Resource[] };

export async function createBooking(deps: AppDeps, tenantId: string, by: Actor, cmd: CreateBooking, opts: CreateOptions = {}): Promise<Created> {
  checkIds(cmd.serviceId, cmd.resourceId);
  let resources: Resource[] | undefined;
  for (let i = 0; i < (opts.optimisticAttempts ?? OPTIMISTIC_ATTEMPTS); i++) {
    const result = await attempt(deps, deps.db, tenantId, by, cmd, opts, cmd.resourceId);
    if ('created' in result) return result.created;
    if ('refused' in result) throw slotRefused(result.refused);
    resources = result.resources;
  }
  // The resource keeps changing under us (a busy calendar): decide under its
  // lock, one resource at a time, in the order "any available" tries them:
  // those the last decision found free (the others were refused for a
  // reason of their own), or, without attempts, every offered one.
  resources ??= (await withTenant(deps.db, tenantId, (tx) => loadOffer(tx, cmd.serviceId, cmd.resourceId))).resources;
  const reasons: RejectReason[] = [];
  for (const resource of resources) {
    const result = await withTenant(deps.db, tenantId, async (tx) => {
      await lockResource(tx, resource.id);
      return attempt(deps, tx, tenantId, by, cmd, opts, resource.id);
    });
    if ('created' in result) return result.created;
    reasons.push('refused' in result ? result.refused : 'busy');
  }
  throw slotRefused(mostRelevant(reasons));
}

/**
 * Decide on one snapshot and write: the first resource, in the offer's
 * order, that the engine accepts the start for and `book` writes. `on` is
 * the pool (each call its own transaction) or a tenant transaction holding
 * the resource's lock. `first`: read the decision inputs of only the first
 * `first` offered resources that no booking blocks at that time (null:
 * all); unset, as many as "any available" needs on the pool.
 */
async function attempt(
  deps: AppDeps,
  on: Database | TenantTx,
  tenantId: string,
  by: Actor,
  cmd: CreateBooking,
  opts: CreateOptions,
  resourceId: string | null,
  first?: number | null,
): Promise<Attempt> {
  if (first === undefined && !resourceId && !('tenantId' in on)) {
    // As many as one customer needs, and one more for each other customer after that time.
    const crowds = crowdsOf(on);
    const leave = crowds.join(tenantId, cmd.start);
    try {
      return await attempt(deps, on, tenantId, by, cmd, opts, resourceId, FIRST_READ + crowds.size(tenantId, cmd.start) - 1);
    } finally {
      leave();
    }
  }
  const start = cmd.start;
  const range = { start, end: start + 1 };
  const inFlight = 'tenantId' in on ? undefined : writesInFlightOf(on);
  const mark = inFlight?.mark() ?? 0;
  const ctx = await bookingContext(on, tenantId, { serviceId: cmd.serviceId, resourceId, range, start, first: first ?? null });
  const offer = checkedOffer(offerFromJson(ctx.offer), resourceId);
  const relaxed = opts.staffOverride && by.source === 'admin';
  const service = relaxed ? { ...offer.service, minNoticeMin: 0, horizonDays: STAFF_HORIZON_DAYS } : offer.service;
  const now = deps.now();
  // The engine decides on exactly the inputs `book` will compare.
  const decisions = ctx.decisions!;
  const read = offer.resources.filter((r) => decisions[r.id]);
  const query = toSlotQuery(mergeInputs(read.map((r) => decisions[r.id]!.inputs)), service, read, range, now.getTime());
  const taken = new Set(ctx.taken);
  let unread = false;
  const reasons: RejectReason[] = [];
  const free: Resource[] = [];
  const settings = ctx.settings!;
  const blocked = draftBlocked(service, start);
  /** 'failed': the exclusion constraint refused inside a transaction, which it has ended. */
  const write = async (resource: Resource): Promise<Created | 'changed' | 'failed'> => {
    const { row, booking, secret } = draft(deps, tenantId, by, cmd, service, resource, blocked, now);
    const followUps = createdFollowUps({ booking, service: offer.service, resource }, by, settingsFor(settings, resource.id), now);
    try {
      return (await book(on, tenantId, row, now, decisions[resource.id]!, followUps)) ? { booking, manageToken: secret.token } : 'changed';
    } catch (err) {
      // A writer that does not take the lock (raw SQL, a future code path)
      // still cannot double-book: the exclusion constraint refuses, and a
      // fresh decision sees its booking. Inside a transaction the error
      // has ended it: decide again from the start.
      if ((err as { code?: string }).code !== '23P01') throw err;
      return 'tenantId' in on ? 'failed' : 'changed';
    }
  };
  // "Any available": the resources in the offer's order, each judged when
  // its turn comes. When another booking takes a free one first, its digest
  // has changed and the next free one is tried on the same decision (its
  // own digest still checks it under its lock), rather than reading
  // everything again. What this process wrote over the same time since the
  // read is known to have changed a resource, and what it is writing
  // probably will: such resources are passed over, the second kind tried
  // after the others if its write failed. Customers who ask for one start
  // together thus spread over the free resources rather than all writing
  // the first.
  const later: { resource: Resource; pending: Promise<boolean>[] }[] = [];
  for (const resource of offer.resources) {
    if (!decisions[resource.id]) {
      if (taken.has(resource.id)) reasons.push('busy');
      else unread = true;
      continue;
    }
    const verdict = explainSlot(query, resource.id, start);
    if (!verdict.ok) {
      reasons.push(verdict.reason);
      continue;
    }
    free.push(resource);
    const others = inFlight?.since(tenantId, resource.id, blocked, mark);
    if (others?.written) continue;
    if (others?.pending.length) {
      later.push({ resource, pending: others.pending });
      continue;
    }
    const result = await write(resource);
    if (result === 'failed') break;
    if (result !== 'changed') return { created: result };
  }
  for (const { resource, pending } of later) {
    if ((await Promise.all(pending)).some(Boolean)) continue; // taken since the read
    const result = await write(resource);
    if (result === 'failed') break;
    if (result !== 'changed') return { created: result };
  }
  // None of those read could be booked: decide on all of them.
  if (unread) return attempt(deps, on, tenantId, by, cmd, opts, resourceId, null);
  if (!free.length) return { refused: mostRelevant(reasons) };
  return { changed: true, resources: free };
}

/** The booking `cmd` asks for, on `resource`, blocking `blocked`, as `book` writes it, with its manage link's secret. */
function draft(deps: AppDeps, tenantId: string, by: Actor, cmd: CreateBooking, service: Service, resource: Resource, blocked: Interval, now: Date) {
  const start = cmd.start;
  const end = start + service.durationMin * MINUTE;
  const id = randomUUID();
  const secret = newManageSecret(deps.config, id);
  const row: NewBooking = {
    id,
    serviceId: service.id,
    resourceId: resource.id,
    start,
    end,
    blocked,
    status: 'confirmed',
    customer: cmd.customer,
    notes: cmd.notes,
    manageNonce: secret.nonce,
    manageTokenDigest: secret.digest,
    source: by.source,
    createdBy: by.userId,
  };
  return { row, booking: bookingOf(tenantId, row, now), secret };
}

/** What a booking of `service` at `start` blocks: its time and the buffers around it. */
const draftBlocked = (service: Service, start: number) => ({
  start: start - service.bufferBeforeMin * MINUTE,
  end: start + (service.durationMin + service.bufferAfterMin) * MINUTE,
});

/** With several resources, "taken" beats "not a slot": the time was offered, someone else got it. */
export function mostRelevant(reasons: RejectReason[]): RejectReason {
  if (reasons.includes('busy')) return 'busy';
  if (reasons.includes('max_per_day')) return 'max_per_day';
  const order: RejectReason[] = ['past', 'min_notice', 'beyond_horizon', 'closed', 'off_grid', 'unknown_resource'];
  return order.find((r) => reasons.includes(r)) ?? 'off_grid';
}

export interface BookingView {
  booking: Booking;
  service: Service;
  resource: Resource;
}

/**
 * The booking behind a manage link, or undefined for an unknown or forged
 * token; with the tenant as it is now, not the copy the request was routed
 * with (`cachedTenantBySlug`), since the business's rules for customer
 * changes decide what the page allows.
 */
export async function bookingForManageToken(deps: AppDeps, tenantId: string, token: string): Promise<(BookingView & { tenant: Tenant }) | undefined> {
  return withTenant(deps.db, tenantId, async (tx) => {
    const booking = await bookingByManageDigest(tx, manageDigest(deps.config, token));
    if (!booking) return undefined;
    return { ...(await describeBooking(tx, booking)), tenant: await currentTenant(tx) };
  });
}

export async function describeBooking(tx: TenantTx, booking: Booking): Promise<BookingView> {
  // One after the other: a transaction is one connection, which runs one query at a time.
  const service = await serviceById(tx, booking.serviceId);
  const resource = await resourceById(tx, booking.resourceId);
  return { booking, service: service!, resource: resource! };
}
