import { randomUUID } from 'node:crypto';
import { Temporal } from 'temporal-polyfill';
import type { AppDeps } from '../deps.ts';
import { isUuid, withTenant } from '../db/tenant.ts';
import { DomainError, InvalidFields } from '../errors.ts';
import { derivedToken, newToken, tokenDigest } from '../auth/tokens.ts';
import { tenantOrigin, type Config } from '../config.ts';
import { cancelBooking, claimHold, createBooking, findAvailability, loadOffer, type Created } from '../bookings/service.ts';
import { SlotRefused } from '../bookings/errors.ts';
import { bookingById } from '../bookings/queries.ts';
import { queueNotification } from '../notifications/queries.ts';
import { currentTenant, type Tenant } from '../tenancy/queries.ts';
import { addDays } from '../bookings/present.ts';
import { dayInstantRange, localDate } from '../scheduling/index.ts';
import {
  entryByDigest, entryById, insertEntry, insertOffer, offerOfEntry, setEntryStatus, waitingFor, type Offer, type WaitlistEntry,
} from './queries.ts';

/**
 * The waitlist (CONTEXT.md): joining, the offers a freed time makes, and
 * the customer's answers. Every booking it makes, holds or confirms goes
 * through the one booking service.
 */

/** The furthest a customer may wait for, from the first day to the last. */
const MAX_WAIT_DAYS = 90;
/** How many entries one run of the offer job serves, at most (the rest on its next run). */
const ENTRIES_PER_RUN = 50;

export type JoinInput = Pick<WaitlistEntry, 'serviceId' | 'resourceId' | 'fromDate' | 'toDate' | 'window' | 'customer'>;

/** The waitlist is not for this service: it needs approval. */
export class NoWaitlist extends DomainError {
  constructor(detail: string) {
    super('invalid', 'no_waitlist', 'No waitlist', detail, 'service_id');
  }
}

const linkOf = (config: Config, entry: { id: string; linkNonce: string }) => derivedToken(config.sessionSecret, 'waitlist', entry.id, entry.linkNonce);

export function waitlistUrl(config: Config, tenant: Pick<Tenant, 'slug'>, entry: { id: string; linkNonce: string }): string {
  return `${tenantOrigin(config, tenant.slug)}/waitlist/${linkOf(config, entry)}`;
}

/**
 * A customer joins the waitlist of a service (one resource, or any), for
 * local dates [fromDate, toDate] in their zone and, optionally, a time of
 * day. They are mailed a link to follow or leave it.
 */
export async function joinWaitlist(deps: AppDeps, tenantId: string, source: 'public' | 'api', input: JoinInput): Promise<{ entry: WaitlistEntry; token: string }> {
  const today = localDate(deps.now().getTime(), input.customer.timeZone);
  const errors: Record<string, string> = {};
  if (input.fromDate < today) errors.from_date = 'The first day cannot be in the past.';
  if (input.toDate < input.fromDate) errors.to_date = 'The last day cannot be before the first.';
  else if (input.toDate > addDays(input.fromDate, MAX_WAIT_DAYS)) errors.to_date = `Wait for at most ${MAX_WAIT_DAYS} days at once.`;
  if (input.window && !(input.window.end > input.window.start)) errors.window = 'The latest time must be after the earliest.';
  if (Object.keys(errors).length) throw new InvalidFields(errors);
  return withTenant(deps.db, tenantId, async (tx) => {
    const { service } = await loadOffer(tx, input.serviceId, input.resourceId);
    if (service.requiresApproval) throw new NoWaitlist('This service takes requests the business approves: please send a request for a free time instead.');
    const id = randomUUID();
    const nonce = newToken();
    const token = derivedToken(deps.config.sessionSecret, 'waitlist', id, nonce);
    const entry = await insertEntry(tx, { ...input, id, linkNonce: nonce, linkDigest: tokenDigest(deps.config.sessionSecret, token), source }, deps.now());
    await queueNotification(tx, { bookingId: null, kind: 'waitlist_joined', to: entry.customer.email, scheduledFor: deps.now(), payload: { entryId: entry.id } });
    return { entry, token };
  });
}

export interface EntryView {
  entry: WaitlistEntry;
  offer: Offer | undefined;
  /** The held booking of an open offer. */
  held: { start: Date; end: Date; resourceId: string; holdExpiresAt: Date } | undefined;
}

/** The entry behind a waitlist link, with its offer, or undefined for an unknown or forged token. */
export async function entryForToken(deps: AppDeps, tenantId: string, token: string): Promise<EntryView | undefined> {
  return withTenant(deps.db, tenantId, async (tx) => {
    const entry = await entryByDigest(tx, tokenDigest(deps.config.sessionSecret, token));
    if (!entry) return undefined;
    const offer = await offerOfEntry(tx, entry.id);
    const booking = offer?.status === 'open' ? await bookingById(tx, offer.bookingId) : undefined;
    const held = booking?.status === 'held' && booking.holdExpiresAt ? { start: booking.start, end: booking.end, resourceId: booking.resourceId, holdExpiresAt: booking.holdExpiresAt } : undefined;
    return { entry, offer, held };
  });
}

/** Claim the time an entry was offered: the booking is confirmed (see `claimHold`). */
export async function claimOffer(deps: AppDeps, tenantId: string, token: string): Promise<Created> {
  const view = await entryForToken(deps, tenantId, token);
  if (!view?.offer) throw new NoOffer();
  return claimHold(deps, tenantId, view.offer.bookingId);
}

/** Decline an open offer: the time goes to the next customer; this entry has had its turn. */
export async function declineOffer(deps: AppDeps, tenantId: string, token: string): Promise<void> {
  const view = await entryForToken(deps, tenantId, token);
  if (!view?.offer || view.offer.status !== 'open' || !view.held) throw new NoOffer();
  await cancelBooking(deps, tenantId, { source: 'public', userId: null }, view.offer.bookingId, null);
}

/** Leave the waitlist (an open offer with it). Leaving twice is leaving. */
export async function leaveWaitlist(deps: AppDeps, tenantId: string, entryId: string): Promise<WaitlistEntry | undefined> {
  if (!isUuid(entryId)) return undefined;
  const entry = await withTenant(deps.db, tenantId, (tx) => entryById(tx, entryId));
  if (!entry) return undefined;
  if (entry.status === 'offered') {
    const offer = await withTenant(deps.db, tenantId, (tx) => offerOfEntry(tx, entryId));
    if (offer?.status === 'open') await cancelBooking(deps, tenantId, { source: 'public', userId: null }, offer.bookingId, null);
  }
  return withTenant(deps.db, tenantId, async (tx) => {
    const current = (await entryById(tx, entryId, { lock: true }))!;
    if (current.status === 'waiting' || current.status === 'offered' || current.status === 'passed') await setEntryStatus(tx, entryId, 'left', deps.now());
    return (await entryById(tx, entryId))!;
  });
}

export class NoOffer extends DomainError {
  constructor() {
    super('conflict', 'no_offer', 'No offer', 'There is no time held for you right now. We will email you when one frees up.');
  }
}

/**
 * Time may have freed up on `resourceId`: each entry waiting for it, in
 * order of joining, gets the first free time that fits its days and time
 * of day, held for it (`createBooking` with a hold, source `waitlist`) for
 * the business's waitlist hold, with the offer's row and message in that
 * booking's transaction. An entry whose days are over expires. Returns the
 * number of offers made.
 */
export async function offerFreedTime(deps: AppDeps, tenantId: string, resourceId: string): Promise<number> {
  const { entries, tenant } = await withTenant(deps.db, tenantId, async (tx) => ({ entries: await waitingFor(tx, resourceId, ENTRIES_PER_RUN), tenant: await currentTenant(tx) }));
  let made = 0;
  for (const entry of entries) {
    const now = deps.now();
    const zone = entry.customer.timeZone;
    if (entry.toDate < localDate(now.getTime(), zone)) {
      await withTenant(deps.db, tenantId, (tx) => setEntryStatus(tx, entry.id, 'expired', now));
      continue;
    }
    const range = { start: Math.max(now.getTime(), dayInstantRange(entry.fromDate, zone).start), end: dayInstantRange(entry.toDate, zone).end };
    const { slots } = await findAvailability(deps, tenantId, { serviceId: entry.serviceId, resourceId, range });
    const fitting = slots.filter((s) => fitsWindow(s.start, entry, zone)).slice(0, 3);
    for (const slot of fitting) {
      try {
        await createBooking(deps, tenantId, { source: 'waitlist', userId: null }, {
          serviceId: entry.serviceId, resourceId, start: slot.start, customer: entry.customer, notes: null,
        }, {
          holdUntil: new Date(now.getTime() + tenant.waitlistHoldMinutes * 60_000),
          andThen: async (tx, created) => {
            // Still waiting? (It may have been left, or served, since it was read.)
            const current = await entryById(tx, entry.id, { lock: true });
            if (current?.status !== 'waiting') throw new EntryMoved();
            await insertOffer(tx, { entryId: entry.id, bookingId: created.booking.id, expiresAt: created.booking.holdExpiresAt!, now });
            await setEntryStatus(tx, entry.id, 'offered', now);
            await queueNotification(tx, { bookingId: created.booking.id, kind: 'waitlist_offer', to: entry.customer.email, scheduledFor: now, payload: { entryId: entry.id } });
          },
        });
        made++;
        break;
      } catch (err) {
        if (err instanceof EntryMoved) break;
        // Taken meanwhile: the next fitting time.
        if (err instanceof SlotRefused) continue;
        throw err;
      }
    }
  }
  return made;
}

/** Thrown inside an offer's transaction to undo it: the entry is no longer waiting. */
class EntryMoved extends Error {}

/** Whether `start`, in the customer's zone, falls in the entry's time of day (if it has one). */
function fitsWindow(start: number, entry: WaitlistEntry, zone: string): boolean {
  if (!entry.window) return true;
  // The wall clock's minute (on a DST day, minutes since midnight would be an hour off).
  const local = Temporal.Instant.fromEpochMilliseconds(start).toZonedDateTimeISO(zone);
  const minute = local.hour * 60 + local.minute;
  return minute >= entry.window.start && minute < entry.window.end;
}
