import { computeAnyResourceSlots, explainSlot, mergeAnyResource, type AnyResourceSlot, type ExistingBooking, type RejectReason, type SlotQuery } from '../scheduling/index.ts';

/**
 * Classes: a service with a capacity above 1 books seats. All seats of one
 * class — one service, one start, one resource — share a key and block the
 * same range; the exclusion constraint lets bookings with the same key
 * overlap and nothing else (migrations/0039_seats.sql), so a class never
 * shares its resource with another booking, and two slots still never
 * overlap. How many seats are taken is counted under the resource's lock,
 * as the daily cap is: a constraint cannot count.
 *
 * The engine knows nothing of seats: the seats of a class reach it as one
 * booking (toSlotQuery groups them), which makes its time busy. A start is
 * then bookable for a seat when a class of this service starts exactly
 * there with seats left, and the engine accepts the start once that class
 * is taken out of its inputs (the rest — hours, notice, other bookings —
 * decide as for anything else).
 */
export interface Seated {
  /** The class's key: bookings with equal keys share their time. */
  shareKey?: string;
  /** Seats taken in that class. */
  taken?: number;
}

export type SeatedBooking = ExistingBooking & Seated;

/** The key of the class of `serviceId` at `start`, or null for a service of one seat. */
export function shareKeyOf(service: { id: string; capacity: number }, start: number): string | null {
  return service.capacity > 1 ? `${service.id}@${new Date(start).toISOString()}` : null;
}

/** The engine's inputs without one booking (the class being joined). */
function without(query: SlotQuery, resourceId: string, booking: ExistingBooking): SlotQuery {
  return {
    ...query,
    resources: query.resources.map((r) => (r.resourceId === resourceId ? { ...r, bookings: r.bookings.filter((b) => b !== booking) } : r)),
  };
}

/** The class of the service at `start` on `resourceId` in the query's inputs, if there is one. */
function classAt(query: SlotQuery, service: { id: string; capacity: number }, resourceId: string, start: number): SeatedBooking | undefined {
  const key = shareKeyOf(service, start);
  const r = query.resources.find((x) => x.resourceId === resourceId);
  return key === null ? undefined : (r?.bookings as SeatedBooking[] | undefined)?.find((b) => b.shareKey === key);
}

/**
 * The verdict on a seat (or, for a service of one seat, the booking) at
 * `start`: null when it can be booked, else why not. A full class is
 * "busy": its time is taken.
 */
export function seatVerdict(query: SlotQuery, service: { id: string; capacity: number }, resourceId: string, start: number): RejectReason | null {
  const verdict = explainSlot(query, resourceId, start);
  if (verdict.ok) return null;
  if (verdict.reason !== 'busy') return verdict.reason;
  const open = classAt(query, service, resourceId, start);
  if (!open || (open.taken ?? 1) >= service.capacity) return 'busy';
  const joined = explainSlot(without(query, resourceId, open), resourceId, start);
  return joined.ok ? null : joined.reason;
}

/** A free time with, for a class, how many seats are left at it (summed over the resources listed). */
export interface SeatSlot extends AnyResourceSlot {
  seatsLeft: number;
}

/**
 * The free times of a service over the query's resources, as
 * computeAnyResourceSlots, with the starts of its classes that have seats
 * left; at each, the resources with a class to join come first, so a class
 * fills before another opens.
 */
export function seatSlots(query: SlotQuery, service: { id: string; capacity: number }): SeatSlot[] {
  const free = computeAnyResourceSlots(query);
  if (service.capacity <= 1) return free.map((s) => ({ ...s, seatsLeft: s.resourceIds.length }));
  const joinable: { start: number; resourceId: string; left: number }[] = [];
  for (const r of query.resources) {
    for (const b of r.bookings as SeatedBooking[]) {
      if (b.shareKey === undefined || b.shareKey !== shareKeyOf(service, b.start)) continue;
      if (b.start < query.range.start || b.start >= query.range.end) continue;
      const left = service.capacity - (b.taken ?? 1);
      if (left > 0 && explainSlot(without(query, r.resourceId, b), r.resourceId, b.start).ok) {
        joinable.push({ start: b.start, resourceId: r.resourceId, left });
      }
    }
  }
  if (!joinable.length) return free.map((s) => ({ ...s, seatsLeft: s.resourceIds.length * service.capacity }));
  const order = query.resources.map((r) => r.resourceId);
  const left = new Map(joinable.map((j) => [`${j.resourceId}@${j.start}`, j.left]));
  const merged = mergeAnyResource(
    [...joinable.map((j) => ({ start: j.start, end: j.start + query.service.durationMin * 60_000, resourceId: j.resourceId })),
      ...free.flatMap((s) => s.resourceIds.map((resourceId) => ({ start: s.start, end: s.end, resourceId })))],
    order,
  );
  return merged.map((s) => {
    const seats = s.resourceIds.map((id) => left.get(`${id}@${s.start}`) ?? service.capacity);
    // Classes to join first, each in the offer's order.
    const ids = [...s.resourceIds].sort((a, b) => Number(left.has(`${b}@${s.start}`)) - Number(left.has(`${a}@${s.start}`)));
    return { ...s, resourceIds: ids, seatsLeft: seats.reduce((n, x) => n + x, 0) };
  });
}
