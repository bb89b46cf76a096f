import type { AppDeps } from '../deps.ts';
import { savepoint, withTenant, type TenantTx } from '../db/tenant.ts';
import { notFound } from '../http/errors.ts';
import { randomUUID } from 'node:crypto';
import { resourceById, serviceById, serviceWithResources, type Resource, type Service } from '../catalog/queries.ts';
import { computeAnyResourceSlots, explainSlot, type AnyResourceSlot, type Interval, type RejectReason } from '../scheduling/index.ts';
import type { CreateBooking } from './commands.ts';
import { slotRefused } from './errors.ts';
import { bookingChanged } from './events.ts';
import { manageDigest, newManageSecret } from './manage-link.ts';
import { bookingByManageDigest, insertBooking, loadSlotQuery, lockResource, type Booking, type BookingSource, type NewBooking } from './queries.ts';

/**
 * The one booking service (DESIGN "Booking"). Every caller — public page,
 * admin, API, waitlist — creates bookings through `createBooking`, which:
 * 1. opens a tenant transaction; 2. takes the resource's advisory lock;
 * 3. re-checks the start with the engine against the database as it is now;
 * 4. inserts under the exclusion constraint; 5. enqueues follow-up jobs in
 * the same transaction. Each step is one statement where it can be (the
 * offer, the engine's inputs, each batch of follow-ups): round trips are
 * most of a booking's cost.
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

/** The service and the resources that may be booked for it (one, or all for "any"). */
export async function loadOffer(tx: TenantTx, serviceId: string, resourceId: string | null): Promise<Offer> {
  const { service, resources } = await serviceWithResources(tx, serviceId, resourceId || null);
  if (!service || !service.active) throw notFound('That service does not exist.');
  if (!resources.length) throw notFound(resourceId ? 'That option is not offered for this service.' : 'Nobody offers this service yet.');
  return { service, resources };
}

export interface Availability extends Offer {
  slots: AnyResourceSlot[];
}

/** Free slots of a service in `range`, merged over the chosen resources. */
export async function findAvailability(
  deps: AppDeps,
  tenantId: string,
  q: { serviceId: string; resourceId: string | null; range: Interval; excludeBookingId?: string },
): Promise<Availability> {
  return withTenant(deps.db, tenantId, async (tx) => {
    const offer = await loadOffer(tx, q.serviceId, q.resourceId);
    const query = await loadSlotQuery(tx, offer.service, offer.resources, q.range, deps.now().getTime(), q.excludeBookingId);
    return { ...offer, slots: computeAnyResourceSlots(query) };
  });
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
}

const STAFF_HORIZON_DAYS = 3650;

export async function createBooking(deps: AppDeps, tenantId: string, by: Actor, cmd: CreateBooking, opts: CreateOptions = {}): Promise<Created> {
  return withTenant(deps.db, tenantId, async (tx) => {
    const offer = await loadOffer(tx, cmd.serviceId, cmd.resourceId);
    const resources = offer.resources;
    const relaxed = opts.staffOverride && by.source === 'admin';
    const service = relaxed ? { ...offer.service, minNoticeMin: 0, horizonDays: STAFF_HORIZON_DAYS } : offer.service;
    const start = cmd.start;
    const end = start + service.durationMin * MINUTE;
    const reasons: RejectReason[] = [];
    // "Any available" tries resources in their stable order, taking each
    // lock in that order (so two "any" requests cannot deadlock).
    for (const [i, resource] of resources.entries()) {
      await lockResource(tx, resource.id);
      const query = await loadSlotQuery(tx, service, [resource], { start, end: start + 1 }, deps.now().getTime());
      const verdict = explainSlot(query, resource.id, start);
      if (!verdict.ok) {
        reasons.push(verdict.reason);
        continue;
      }
      const id = randomUUID();
      const secret = newManageSecret(deps.config, id);
      const row: NewBooking = {
        id,
        serviceId: service.id,
        resourceId: resource.id,
        start,
        end,
        blocked: { start: start - service.bufferBeforeMin * MINUTE, end: end + service.bufferAfterMin * MINUTE },
        status: 'confirmed',
        customer: cmd.customer,
        notes: cmd.notes,
        manageNonce: secret.nonce,
        manageTokenDigest: secret.digest,
        source: by.source,
        createdBy: by.userId,
      };
      // A savepoint (two more round trips) only while another resource remains to be tried.
      const booking = i < resources.length - 1 ? await insertUnlessTaken(tx, row) : await insertOrTaken(tx, row);
      if (!booking) {
        reasons.push('busy');
        continue;
      }
      await bookingChanged(deps, tx, 'booking.created', { booking, service, resource });
      return { booking, manageToken: secret.token };
    }
    throw slotRefused(mostRelevant(reasons));
  });
}

/**
 * Insert in a savepoint: the lock and the re-check make a conflict here
 * unexpected, but a writer that does not take the lock (raw SQL, a future
 * code path) still cannot double-book, and losing must not abort the
 * transaction while "any available" tries the next resource.
 */
export async function insertUnlessTaken(tx: TenantTx, b: NewBooking): Promise<Booking | undefined> {
  try {
    return await savepoint(tx, (sp) => insertBooking(sp, b));
  } catch (err) {
    if ((err as { code?: string }).code === '23P01') return undefined;
    throw err;
  }
}

/**
 * Insert without a savepoint, for the last (or only) candidate: there is no
 * other resource to try, so a conflict here ends the request as "taken".
 * It also aborts the transaction: nothing may run in it afterwards, so the
 * 409 is thrown at once and the transaction rolls back.
 */
async function insertOrTaken(tx: TenantTx, b: NewBooking): Promise<Booking> {
  try {
    return await insertBooking(tx, b);
  } catch (err) {
    if ((err as { code?: string }).code === '23P01') throw slotRefused('busy');
    throw err;
  }
}

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

/** The booking behind a manage link, or undefined for an unknown or forged token. */
export async function bookingForManageToken(deps: AppDeps, tenantId: string, token: string): Promise<BookingView | undefined> {
  return withTenant(deps.db, tenantId, async (tx) => {
    const booking = await bookingByManageDigest(tx, manageDigest(deps.config, token));
    if (!booking) return undefined;
    return describeBooking(tx, booking);
  });
}

export async function describeBooking(tx: TenantTx, booking: Booking): Promise<BookingView> {
  // One after the other: a transaction is one connection, which runs one query at a time.
  const service = await serviceById(tx, booking.serviceId);
  const resource = await resourceById(tx, booking.resourceId);
  return { booking, service: service!, resource: resource! };
}
