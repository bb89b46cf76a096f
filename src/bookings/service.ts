import { randomUUID } from 'node:crypto';
import type { AppDeps } from '../deps.ts';
import { isUuid, savepoint, withTenant, type TenantTx } from '../db/tenant.ts';
import { audit } from '../audit/log.ts';
import { offerFromJson, resourceById, serviceById, serviceWithResources, type Resource, type Service } from '../catalog/queries.ts';
import { blockedRange, type Interval, type RejectReason } from '../scheduling/index.ts';
import { currentTenant, type Tenant } from '../tenancy/queries.ts';
import type { CreateBooking } from './commands.ts';
import { BookingNotActive, BookingNotFound, CustomerDayFull, NotOffered, NotPending, NotStarted, OfferGone, RequestExpired, SlotRefused } from './errors.ts';
import { bookingChanged, recordHistory } from './events.ts';
import { manageDigest, manageToken, newManageSecret } from './manage-link.ts';
import { closeOffer, wakeWaitlist } from '../waitlist/queries.ts';
import { cancelHoldExpiry, scheduleHoldExpiry } from '../payments/queries.ts';
import { seatSlots, seatVerdict, shareKeyOf, type SeatSlot } from './seats.ts';
import { customerDayFull } from './policy.ts';
import { isActive, type Actor, type Booking, type BookingView } from './model.ts';
import {
  availabilityContext, bookingById, bookingByManageDigest, bookingForUpdate, customerDayBookings, insertBooking, loadDecisionQuery, loadSpanQuery, lockCustomer, lockResource,
  extendHold, markCancelled, markConfirmed, moveBooking, toSlotQuery, tryLockResource, type NewBooking,
} from './queries.ts';
import { onlineCharge } from '../payments/plan.ts';
import {
  forgetCheckoutUrl, insertPayment, markPaid, markPaymentFailed, paymentForUpdate, paymentOf, recordPaymentEvent,
} from '../payments/queries.ts';
import { LATE_REFUND_REASON, queueRefund, refundOnCancel } from '../payments/refunds.ts';
import { queueNotification } from '../notifications/queries.ts';
import { openCheckout } from '../payments/checkout.ts';
import { log } from '../log.ts';

/**
 * The one booking service (DESIGN "Booking"). Every caller — the public
 * pages, the dashboard, the API, and later holds, seats, series and
 * waitlist claims — creates, moves and cancels bookings here, each change
 * one tenant transaction:
 *
 * 1. `withTenant`;
 * 2. the resource's advisory lock (for "any available", tried over the
 *    offered resources in their stable order, see `firstFree`);
 * 3. the engine's inputs for that resource and time, read under the lock
 *    (`loadDecisionQuery`), and the pure engine's verdict (`explainSlot`);
 * 4. the INSERT (or UPDATE) under the exclusion constraint;
 * 5. every follow-up — history, audit, messages, webhook event, jobs — in
 *    the same transaction (`bookingChanged`).
 *
 * A rule about what may be booked lives in the engine and in the read of
 * its inputs, nowhere else. Refusals are domain errors (./errors.ts).
 */
export type { Actor, BookingView } from './model.ts';

export interface Offer {
  service: Service;
  resources: Resource[];
}

/** The offer as found: a missing or inactive service, or nobody to book, is not offered. */
function checkedOffer(found: { service: Service | undefined; resources: Resource[] }, resourceId: string | null): Offer {
  const { service, resources } = found;
  if (!service || !service.active) throw new NotOffered('That service does not exist.', false);
  if (!resources.length) {
    throw resourceId ? new NotOffered('That option is not offered for this service.', true) : new NotOffered('Nobody offers this service yet.', false);
  }
  return { service, resources };
}

/** Ids that cannot name a row are refused before any SQL (the statements cast them to uuid). */
function checkIds(serviceId: string, resourceId: string | null): void {
  if (!isUuid(serviceId)) throw new NotOffered('That service does not exist.', false);
  if (resourceId && !isUuid(resourceId)) throw new NotOffered('That option is not offered for this service.', true);
}

/** The service and the resources that may be booked for it (one, or all for "any"). */
export async function loadOffer(tx: TenantTx, serviceId: string, resourceId: string | null): Promise<Offer> {
  checkIds(serviceId, resourceId || null);
  return checkedOffer(await serviceWithResources(tx, serviceId, resourceId || null), resourceId || null);
}

export interface Availability extends Offer {
  /** With, for a class, the seats left at each time. */
  slots: SeatSlot[];
}

/** Free slots of a service in `range`, merged over the chosen resources: one statement, no lock. */
export async function findAvailability(
  deps: AppDeps,
  tenantId: string,
  q: { serviceId: string; resourceId: string | null; range: Interval; excludeBookingId?: string },
): Promise<Availability> {
  checkIds(q.serviceId, q.resourceId);
  const ctx = await availabilityContext(deps.db, tenantId, q);
  const offer = checkedOffer(offerFromJson(ctx.offer), q.resourceId);
  const query = toSlotQuery(ctx.inputs, offer.service, offer.resources, q.range, deps.now().getTime());
  return { ...offer, slots: seatSlots(query, offer.service) };
}

export interface Created extends BookingView {
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
  /**
   * Hold the time until then instead of confirming (a waitlist offer, see
   * src/waitlist): the booking is `held`, and released when the hold runs
   * out unless it is claimed (`claimHold`).
   */
  holdUntil?: Date;
  /** More follow-ups, in the booking's own transaction (a waitlist offer's row and message). */
  andThen?: (tx: TenantTx, created: Created) => Promise<void>;
}

const STAFF_HORIZON_DAYS = 3650;

/** The engine's verdict on `start` for `resource`, on its inputs as they are now (call it under the resource's lock). */
type Decide = (tx: TenantTx, resource: Resource) => Promise<RejectReason | null>;

export async function createBooking(deps: AppDeps, tenantId: string, by: Actor, cmd: CreateBooking, opts: CreateOptions = {}): Promise<Created> {
  checkIds(cmd.serviceId, cmd.resourceId);
  return withCheckout(deps, tenantId, await decideAndInsert(deps, tenantId, by, cmd, opts));
}

/**
 * Held for payment: the customer's Checkout page, once the booking has
 * committed (no lock waits on Stripe). Should Stripe fail now, the booking
 * stays held, the manage link offers to pay again, and the hold expires as
 * any other.
 */
async function withCheckout(deps: AppDeps, tenantId: string, created: Created): Promise<Created> {
  if (!created.payment || created.booking.status !== 'held') return created;
  try {
    const url = await openCheckout(deps, tenantId, created.booking.id, created.manageToken);
    return { ...created, payment: { ...created.payment, checkoutUrl: url } };
  } catch (err) {
    log.warn('could not open Stripe Checkout for a held booking', { booking: created.booking.id, error: err instanceof Error ? err.message : String(err) });
    return created;
  }
}

async function decideAndInsert(deps: AppDeps, tenantId: string, by: Actor, cmd: CreateBooking, opts: CreateOptions): Promise<Created> {
  return withTenant(deps.db, tenantId, async (tx) => {
    const offer = await loadOffer(tx, cmd.serviceId, cmd.resourceId);
    const { service } = offer;
    const relaxed = opts.staffOverride && by.source === 'admin';
    const rules = relaxed ? { ...service, minNoticeMin: 0, horizonDays: STAFF_HORIZON_DAYS } : service;
    const now = deps.now();
    if (by.source === 'public') {
      // The customer's lock before any resource's, as every writer takes them.
      await lockCustomer(tx, cmd.customer.email);
      const day = await customerDayBookings(tx, cmd.customer.email, cmd.start);
      if (customerDayFull(day)) throw new CustomerDayFull(day.cap!);
    }
    const decide: Decide = async (on, resource) => seatVerdict(await loadDecisionQuery(on, rules, resource, cmd.start, now.getTime()), service, resource.id, cmd.start);
    // A service paid online is booked `held` until the payment's webhook
    // confirms it; the hold ends at the Checkout Session's expiry.
    const tenant = service.paymentMode === 'none' ? null : await currentTenant(tx);
    const charge = tenant && onlineCharge(deps.config, tenant, service, by.source);
    // A service that requires approval books a request (`pending`) for its
    // customers, online or through the API; staff booking it are the
    // business, and confirm at once. (Such a service takes no online payment.)
    const request = service.requiresApproval && by.source !== 'admin';
    const holdExpiresAt = tenant && charge ? new Date(now.getTime() + tenant.holdMinutes * 60_000)
      : opts.holdUntil ? opts.holdUntil
        : request ? new Date(now.getTime() + service.approvalHoldHours * 3600_000) : null;
    const held = Boolean(charge || opts.holdUntil);
    const status = held ? 'held' : request ? 'pending' : 'confirmed';
    const id = randomUUID();
    const secret = newManageSecret(deps.config, id);
    const booking = await bookFirstFree(tx, offer.resources, decide, (on, resource) => insertBooking(on, newBookingRow(by, {
      id, secret, service, resourceId: resource.id, start: cmd.start, status, holdExpiresAt, customer: cmd.customer, notes: cmd.notes, now,
    })));
    const payment = charge && (await insertPayment(tx, { bookingId: booking.id, ...charge, now }));
    const view = { booking, service, resource: offer.resources.find((r) => r.id === booking.resourceId)!, payment };
    await auditIfStaff(tx, by, 'booking.create', undefined, booking, { customer: booking.customer.email });
    await bookingChanged(deps, tx, held ? 'held' : request ? 'requested' : 'created', view, null, by);
    const created = { ...view, manageToken: secret.token };
    if (opts.andThen) await opts.andThen(tx, created);
    return created;
  });
}

/** The row of a new booking of `service` at `start` on a resource, with its manage link's secret. */
function newBookingRow(by: Actor, b: {
  id: string; secret: { nonce: string; digest: string }; service: Service; resourceId: string; start: number; status: 'pending' | 'held' | 'confirmed';
  holdExpiresAt: Date | null; customer: CreateBooking['customer']; notes: string | null; now: Date; seriesId?: string;
}): NewBooking {
  return {
    id: b.id,
    serviceId: b.service.id,
    resourceId: b.resourceId,
    start: b.start,
    end: b.start + b.service.durationMin * 60_000,
    blocked: blockedRange(b.service, b.start),
    shareKey: shareKeyOf(b.service, b.start),
    status: b.status,
    holdExpiresAt: b.holdExpiresAt,
    customer: b.customer,
    notes: b.notes,
    manageNonce: b.secret.nonce,
    manageTokenDigest: b.secret.digest,
    source: by.source,
    createdBy: by.userId,
    createdAt: b.now,
    seriesId: b.seriesId ?? null,
  };
}

/**
 * For a series (src/series/service.ts), which decides all its occurrences
 * in one transaction: the engine's verdict on each of `starts` on
 * `resource`, under the resource's lock (taken here), from one read of
 * its inputs over their whole span. null: bookable.
 */
export async function judgeStarts(
  tx: TenantTx, service: Service, resource: Resource, starts: number[], now: Date,
  /** `lock: false` for a preview that writes nothing (its verdicts may be stale by the time the customer confirms). */
  opts: { lock: boolean } = { lock: true },
): Promise<(RejectReason | null)[]> {
  if (opts.lock) await lockResource(tx, resource.id);
  if (!starts.length) return [];
  const query = await loadSpanQuery(tx, service, resource, starts, now.getTime());
  return starts.map((start) => seatVerdict(query, service, resource.id, start));
}

/**
 * Write one occurrence of a series that `judgeStarts` found bookable, in
 * the same transaction and under the same lock, with the follow-ups of a
 * new booking but its messages, which the series sends once for all
 * (src/series/messages.ts). Confirmed: a series is never paid online.
 */
export async function insertOccurrence(
  deps: AppDeps,
  tx: TenantTx,
  by: Actor,
  o: { service: Service; resource: Resource; start: number; customer: CreateBooking['customer']; notes: string | null; seriesId: string; now: Date },
): Promise<Created> {
  const id = randomUUID();
  const secret = newManageSecret(deps.config, id);
  const booking = await unlessTaken(insertBooking(tx, newBookingRow(by, { ...o, id, secret, resourceId: o.resource.id, status: 'confirmed', holdExpiresAt: null })));
  const view = { booking, service: o.service, resource: o.resource, payment: null };
  await auditIfStaff(tx, by, 'booking.create', undefined, booking, { customer: booking.customer.email, series: o.seriesId });
  await bookingChanged(deps, tx, 'created', view, null, by, { messages: false });
  return { ...view, manageToken: secret.token };
}

/**
 * Book the first of `resources` (in the offer's order) that the engine
 * finds free, under its lock: `write` inserts the booking there. One
 * resource: wait for its lock, decide, write. "Any available": first try
 * each lock without waiting, so customers who ask for one time at once each
 * take another free resource instead of queueing on the first; then, for
 * those that were locked, wait in turn. Each resource is tried in a
 * savepoint, rolled back (its lock released) when it cannot be booked, so a
 * transaction never waits for a lock while holding another, and two cannot
 * deadlock; a write that loses to the exclusion constraint moves on too.
 */
async function bookFirstFree<T>(tx: TenantTx, resources: Resource[], decide: Decide, write: (tx: TenantTx, resource: Resource) => Promise<T>): Promise<T> {
  if (resources.length === 1) {
    const only = resources[0]!;
    await lockResource(tx, only.id);
    const refused = await decide(tx, only);
    if (refused) throw new SlotRefused(refused);
    return unlessTaken(write(tx, only));
  }
  const attempt = async (resource: Resource, wait: boolean): Promise<{ done: T } | { not: 'locked' | RejectReason }> => {
    try {
      return await savepoint(tx, async (sp) => {
        if (wait) await lockResource(sp, resource.id);
        else if (!(await tryLockResource(sp, resource.id))) throw new Release('locked');
        const refused = await decide(sp, resource);
        if (refused) throw new Release(refused);
        return { done: await unlessTaken(write(sp, resource)) };
      });
    } catch (err) {
      if (err instanceof Release) return { not: err.outcome };
      if (err instanceof SlotRefused) return { not: err.reason };
      throw err;
    }
  };
  const reasons: RejectReason[] = [];
  const locked: Resource[] = [];
  for (const resource of resources) {
    const outcome = await attempt(resource, false);
    if ('done' in outcome) return outcome.done;
    if (outcome.not === 'locked') locked.push(resource);
    else reasons.push(outcome.not);
  }
  for (const resource of locked) {
    const outcome = await attempt(resource, true);
    if ('done' in outcome) return outcome.done;
    reasons.push(outcome.not as RejectReason);
  }
  throw new SlotRefused(mostRelevant(reasons));
}

/** Thrown inside a resource's savepoint to roll it back (and release its lock) with the outcome. */
class Release {
  readonly outcome: 'locked' | RejectReason;
  constructor(outcome: 'locked' | RejectReason) {
    this.outcome = outcome;
  }
}

/**
 * A write under the exclusion constraint. Every writer of bookings takes
 * the resource's lock first, so a violation means one that does not (raw
 * SQL, a future path) got there: the time is taken all the same.
 */
async function unlessTaken<T>(write: Promise<T>): Promise<T> {
  try {
    return await write;
  } catch (err) {
    if ((err as { code?: string }).code === '23P01') throw new SlotRefused('busy');
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

/**
 * Move a booking to `start` (optionally on another resource of its
 * service). The old time is freed only if the new one is won: the row is
 * updated in place, so a refusal leaves it as it was.
 */
export async function rescheduleBooking(
  deps: AppDeps,
  tenantId: string,
  by: Actor,
  cmd: { bookingId: string; start: number; resourceId?: string | null },
): Promise<BookingView> {
  return withTenant(deps.db, tenantId, async (tx) => {
    const current = await activeBookingForUpdate(tx, cmd.bookingId);
    const { service, resources } = await loadOffer(tx, current.serviceId, cmd.resourceId ?? current.resourceId);
    const resource = resources[0]!;
    // Two resources: lock in a fixed order, as every writer does.
    for (const id of [...new Set([current.resourceId, resource.id])].sort()) await lockResource(tx, id);
    const now = deps.now();
    const refused = seatVerdict(await loadDecisionQuery(tx, service, resource, cmd.start, now.getTime(), current.id), service, resource.id, cmd.start);
    if (refused) throw new SlotRefused(refused);
    // The old time is free for the waitlist once this commits.
    await wakeWaitlist(tx, current.resourceId);
    const moved = await unlessTaken(moveBooking(tx, current.id, {
      resourceId: resource.id,
      start: cmd.start,
      end: cmd.start + service.durationMin * 60_000,
      blocked: blockedRange(service, cmd.start),
      shareKey: shareKeyOf(service, cmd.start),
      now,
    }));
    // The payment stays with the booking; a refund's tiers then count from the new start.
    const view = { booking: moved, service, resource, payment: await paymentOf(tx, current.id) };
    await auditIfStaff(tx, by, 'booking.reschedule', current, moved);
    await bookingChanged(deps, tx, 'rescheduled', view, null, by);
    return view;
  });
}

export async function cancelBooking(deps: AppDeps, tenantId: string, by: Actor, bookingId: string, reason: string | null): Promise<BookingView> {
  return withTenant(deps.db, tenantId, (tx) => cancelInTransaction(deps, tx, by, bookingId, reason));
}

/**
 * Cancel one booking in the caller's transaction, under its row lock: the
 * one cancellation, also of each occurrence a series cancels together
 * (src/series/service.ts), which then sends one message for all of them
 * (`messages: false`).
 */
export async function cancelInTransaction(
  deps: AppDeps,
  tx: TenantTx,
  by: Actor,
  bookingId: string,
  reason: string | null,
  opts: { messages?: boolean } = {},
): Promise<BookingView> {
  const current = await activeBookingForUpdate(tx, bookingId);
  // A waitlist offer nobody has claimed: declined, and offered to the next (no booking to tell anyone about).
  if (isWaitlistHold(current)) return describeBooking(tx, await releaseHold(tx, current, by, reason ?? OFFER_DECLINED_REASON, 'declined', deps.now()));
  const booking = await markCancelled(tx, bookingId, deps.now(), reason);
  // What was paid is refunded in the same transaction (by a job): by the
  // business's policy for a customer, in full for the business.
  const refunded = await refundOnCancel(tx, current, by, deps.now());
  await auditIfStaff(tx, by, 'booking.cancel', current, booking, { reason, ...(refunded ? { refund: refunded } : {}) });
  const view = await describeBooking(tx, booking);
  await bookingChanged(deps, tx, 'cancelled', view, reason, by, opts);
  return view;
}

/**
 * An owner or admin answers a request (a `pending` booking), under the
 * booking's row lock: so of two answers at once — two approvals, or an
 * approval and a decline — the first decides and the second finds it
 * answered (NotPending), and one set of messages goes out. Approving
 * confirms it (the customer gets the confirmation, and reminders are
 * planned); declining cancels it, frees its time and tells the customer.
 * A request past its hold is not approved: its time may already be
 * promised to nobody, and the expiry job is about to decline it.
 */
export async function answerRequest(
  deps: AppDeps,
  tenantId: string,
  by: Actor,
  bookingId: string,
  answer: 'approve' | 'decline',
  reason: string | null = null,
): Promise<BookingView> {
  if (!isUuid(bookingId)) throw new BookingNotFound();
  return withTenant(deps.db, tenantId, async (tx) => {
    const current = await bookingForUpdate(tx, bookingId);
    if (!current) throw new BookingNotFound();
    if (current.status !== 'pending') throw new NotPending(current);
    const now = deps.now();
    if (answer === 'approve' && current.holdExpiresAt && current.holdExpiresAt <= now) throw new RequestExpired();
    const booking = answer === 'approve' ? await markConfirmed(tx, bookingId, now) : await markCancelled(tx, bookingId, now, reason ?? DECLINED_REASON);
    await auditIfStaff(tx, by, `booking.${answer}`, current, booking, reason ? { reason } : {});
    const view = await describeBooking(tx, booking);
    await bookingChanged(deps, tx, answer === 'approve' ? 'confirmed' : 'declined', view, answer === 'decline' ? reason : null, by);
    return view;
  });
}

/** The cancel reason of a declined request, unless the business gave one. */
export const DECLINED_REASON = 'declined by the business';
/** Why a request nobody answered in time was cancelled. */
export const REQUEST_EXPIRED_REASON = 'not answered in time';

/**
 * A request's hold ran out with no answer (the `bookings__expire_request`
 * job): it is declined, its time freed, the customer told. Under the row
 * lock, so an approval at the same moment either came first (nothing to
 * expire) or finds it declined. The booking, or undefined when there was
 * nothing to expire.
 */
export async function expireRequest(deps: AppDeps, tenantId: string, bookingId: string): Promise<Booking | undefined> {
  return withTenant(deps.db, tenantId, async (tx) => {
    const now = deps.now();
    const current = await bookingForUpdate(tx, bookingId);
    if (!current || current.status !== 'pending' || !current.holdExpiresAt || current.holdExpiresAt > now) return undefined;
    const booking = await markCancelled(tx, bookingId, now, REQUEST_EXPIRED_REASON);
    await bookingChanged(deps, tx, 'declined', await describeBooking(tx, booking), REQUEST_EXPIRED_REASON, SYSTEM);
    return booking;
  });
}

/**
 * After (or during) the appointment, staff record how it went: completed or
 * a no-show. Either frees nothing (the time is in the past) and sends nothing.
 */
export async function recordOutcome(deps: AppDeps, tenantId: string, by: Actor, bookingId: string, outcome: 'completed' | 'no_show'): Promise<BookingView> {
  return withTenant(deps.db, tenantId, async (tx) => {
    const current = await bookingForUpdate(tx, bookingId);
    if (!current) throw new BookingNotFound();
    if (current.status !== 'confirmed') throw new BookingNotActive(current);
    if (current.start.getTime() > deps.now().getTime()) throw new NotStarted();
    const [row] = await tx('bookings').where({ id: bookingId }).update({ status: outcome, updated_at: deps.now() }).returning('id');
    const booking = (await bookingById(tx, row!.id))!;
    await recordHistory(tx, booking, outcome, by);
    await auditIfStaff(tx, by, `booking.${outcome}`, current, booking);
    return describeBooking(tx, booking);
  });
}

/** The booking's row locked for the change (changes of one booking serialize on it), if it still holds its time. */
async function activeBookingForUpdate(tx: TenantTx, id: string): Promise<Booking> {
  const current = await bookingForUpdate(tx, id);
  if (!current) throw new BookingNotFound();
  if (!isActive(current)) throw new BookingNotActive(current);
  return current;
}

/** What the audit log keeps of a booking before and after a change. */
const snapshot = (b: Booking) => ({ status: b.status, resource_id: b.resourceId, start: b.start.toISOString(), end: b.end.toISOString() });

/** Dashboard users' changes are audited in the change's own transaction. */
async function auditIfStaff(tx: TenantTx, by: Actor, action: string, before: Booking | undefined, after: Booking, extra: Record<string, unknown> = {}): Promise<void> {
  if (by.source !== 'admin') return;
  await audit(tx, { userId: by.userId }, {
    action, subjectType: 'booking', subjectId: after.id, ...(before ? { before: snapshot(before) } : {}), after: { ...snapshot(after), ...extra },
  });
}

export async function bookingView(deps: AppDeps, tenantId: string, bookingId: string): Promise<BookingView | undefined> {
  return withTenant(deps.db, tenantId, async (tx) => {
    const booking = await bookingById(tx, bookingId);
    return booking && describeBooking(tx, booking);
  });
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
  return { booking, service: service!, resource: resource!, payment: await paymentOf(tx, booking.id) };
}

/** Changes made by the platform itself (hold expiry, payments): the history names them "system". */
const SYSTEM: Actor = { source: 'waitlist', userId: null };

/** Why a held booking was cancelled when its hold ran out. */
export const HOLD_EXPIRED_REASON = 'payment not completed';

/**
 * The hold of an unpaid booking runs out (the `payments__expire_hold` job,
 * once the Checkout Session is expired): the booking is cancelled and its
 * time is free again, under the booking's row lock, so a payment being
 * applied at the same moment (`paymentReceived`) is either already applied
 * — nothing to expire — or finds it cancelled. Here, too, a waitlist will be
 * woken. Returns the booking cancelled, or undefined when there was nothing
 * to expire.
 */
export async function expireHold(deps: AppDeps, tenantId: string, bookingId: string): Promise<Booking | undefined> {
  return withTenant(deps.db, tenantId, async (tx) => {
    const now = deps.now();
    const current = await bookingForUpdate(tx, bookingId);
    if (!current || current.status !== 'held' || !current.holdExpiresAt || current.holdExpiresAt > now) return undefined;
    const payment = await paymentForUpdate(tx, bookingId);
    if (payment && payment.amountPaid > 0) return undefined;
    // A waitlist offer not claimed, or claimed and not paid, in time: the next customer's turn.
    let booking: Booking;
    if (isWaitlistHold(current)) {
      booking = await releaseHold(tx, current, SYSTEM, OFFER_LAPSED_REASON, 'expired', now);
    } else {
      booking = await markCancelled(tx, bookingId, now, HOLD_EXPIRED_REASON);
      await recordHistory(tx, booking, 'cancelled', SYSTEM, HOLD_EXPIRED_REASON);
    }
    if (payment) {
      await markPaymentFailed(tx, bookingId, now);
      await forgetCheckoutUrl(tx, bookingId, now);
      await recordPaymentEvent(tx, bookingId, 'hold_expired', now);
    }
    return booking;
  });
}

/** A time held for a waitlisted customer: not yet claimed, or claimed and being paid. */
const isWaitlistHold = (b: Booking) => b.status === 'held' && b.source === 'waitlist';

/** Why a waitlist offer's held booking was cancelled. */
const OFFER_DECLINED_REASON = 'waitlist offer declined';
const OFFER_LAPSED_REASON = 'waitlist offer not claimed in time';

/**
 * A waitlist offer ends unclaimed: its held booking is cancelled (which
 * wakes the waitlist, so the time goes to the next customer), its offer
 * closed. Nothing is sent: nobody was told of a booking.
 */
async function releaseHold(tx: TenantTx, current: Booking, by: Actor, reason: string, outcome: 'declined' | 'expired', now: Date): Promise<Booking> {
  const booking = await markCancelled(tx, current.id, now, reason);
  await recordHistory(tx, booking, 'cancelled', by, reason);
  await cancelHoldExpiry(tx, current.id);
  await closeOffer(tx, current.id, outcome, now);
  return booking;
}

/**
 * The customer claims the time held for them from the waitlist, under the
 * booking's row lock, while the hold lasts; after it, or once released,
 * refused. A service paid online goes to payment as any booking of it:
 * the booking gets its payment, its hold becomes the business's payment
 * hold (Checkout takes at least 30 minutes) and the Checkout page opens
 * after commit; the payment confirms it (`paymentReceived`), and an unpaid
 * hold ends as any waitlist hold does, offering the time to the next.
 * Claiming again meanwhile reopens the same Checkout. Otherwise the booking
 * is confirmed at once, with its confirmation.
 */
export async function claimHold(deps: AppDeps, tenantId: string, bookingId: string): Promise<Created> {
  const claimed = await withTenant(deps.db, tenantId, async (tx) => {
    const now = deps.now();
    const current = await bookingForUpdate(tx, bookingId);
    if (!current) throw new BookingNotFound();
    if (!isWaitlistHold(current) || !current.holdExpiresAt || current.holdExpiresAt <= now) throw new OfferGone(current.status === 'confirmed');
    const service = (await serviceById(tx, current.serviceId))!;
    const tenant = service.paymentMode === 'none' ? null : await currentTenant(tx);
    const charge = tenant && onlineCharge(deps.config, tenant, service, 'public');
    if (tenant && charge) {
      let booking = current;
      // The first claim only: claiming again reopens Checkout, it does not hold the time longer.
      if (!(await paymentOf(tx, bookingId))) {
        await insertPayment(tx, { bookingId, ...charge, now });
        const until = new Date(now.getTime() + tenant.holdMinutes * 60_000);
        if (until > current.holdExpiresAt) {
          booking = await extendHold(tx, bookingId, until, now);
          await scheduleHoldExpiry(tx, bookingId, until);
        }
      }
      return { ...(await describeBooking(tx, booking)), manageToken: manageToken(deps.config, booking) };
    }
    const view = await describeBooking(tx, await markConfirmed(tx, bookingId, now));
    await closeOffer(tx, bookingId, 'claimed', now);
    await bookingChanged(deps, tx, 'confirmed', view, null, { source: 'public', userId: null });
    return { ...view, manageToken: manageToken(deps.config, view.booking) };
  });
  return withCheckout(deps, tenantId, claimed);
}

export type PaymentOutcome = 'confirmed' | 'late_confirmed' | 'refunded' | 'already_paid' | 'unknown';

/**
 * A payment for a booking arrived (a verified webhook, or the expiry job
 * finding its session paid), in the caller's tenant transaction, under the
 * booking's row lock, and applied once per payment:
 *
 * - held: confirmed, with its messages, as any new booking;
 * - its hold expired meanwhile: confirmed again if its time is still free
 *   (the resource's lock and the engine's verdict, as for any booking, the
 *   exclusion constraint under the write), otherwise refunded in full at
 *   once and the customer told;
 * - cancelled otherwise, or over: refunded in full.
 */
export async function paymentReceived(
  deps: AppDeps,
  tx: TenantTx,
  p: { bookingId: string; amount: number; paymentIntentId: string | null; sessionId: string },
): Promise<PaymentOutcome> {
  const now = deps.now();
  const current = await bookingForUpdate(tx, p.bookingId);
  const payment = current && (await paymentForUpdate(tx, p.bookingId));
  if (!current || !payment || payment.checkoutSessionId !== p.sessionId) return 'unknown';
  if (payment.amountPaid > 0) return 'already_paid';
  await markPaid(tx, p.bookingId, { amount: p.amount, paymentIntentId: p.paymentIntentId, now });
  await forgetCheckoutUrl(tx, p.bookingId, now);
  if (current.status === 'held') {
    await recordPaymentEvent(tx, p.bookingId, 'paid', now, p.amount);
    // A waitlist offer's time, claimed and now paid.
    if (current.source === 'waitlist') await closeOffer(tx, p.bookingId, 'claimed', now);
    const view = await describeBooking(tx, await markConfirmed(tx, p.bookingId, now));
    await bookingChanged(deps, tx, 'confirmed', view, null, SYSTEM);
    return 'confirmed';
  }
  const back = current.status === 'cancelled' && current.cancelReason === HOLD_EXPIRED_REASON ? await reinstate(deps, tx, current, now) : undefined;
  if (back) {
    await recordPaymentEvent(tx, p.bookingId, 'late_paid', now, p.amount, 'paid after the hold expired; the time was still free');
    await bookingChanged(deps, tx, 'confirmed', await describeBooking(tx, back), null, SYSTEM);
    return 'late_confirmed';
  }
  await recordPaymentEvent(tx, p.bookingId, 'late_paid', now, p.amount, 'paid after the booking ended or its time was taken; refunded in full');
  const paid = (await paymentForUpdate(tx, p.bookingId))!;
  await queueRefund(tx, paid, { amount: p.amount, reason: LATE_REFUND_REASON, by: SYSTEM, now });
  await queueNotification(tx, { bookingId: p.bookingId, kind: 'late_payment_refunded', to: current.customer.email, scheduledFor: now, payload: { amount: p.amount } });
  return 'refunded';
}

/**
 * A booking whose hold expired gets its time back if it is still free: its
 * resource locked and the engine asked, as for a new booking (minimum
 * notice aside: the customer booked in time), then the write under the
 * exclusion constraint, in a savepoint so that losing it leaves the
 * transaction usable. The booking confirmed, or undefined.
 */
async function reinstate(deps: AppDeps, tx: TenantTx, b: Booking, now: Date): Promise<Booking | undefined> {
  const service = await serviceById(tx, b.serviceId);
  const resource = await resourceById(tx, b.resourceId);
  if (!service || !resource) return undefined;
  await lockResource(tx, resource.id);
  const query = await loadDecisionQuery(tx, { ...service, minNoticeMin: 0 }, resource, b.start.getTime(), now.getTime(), b.id);
  if (seatVerdict(query, service, resource.id, b.start.getTime())) return undefined;
  try {
    return await savepoint(tx, (sp) => unlessTaken(markConfirmed(sp, b.id, now)));
  } catch (err) {
    if (err instanceof SlotRefused) return undefined;
    throw err;
  }
}
