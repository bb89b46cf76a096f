import type { TenantTx } from '../db/tenant.ts';
import type { BookingStatus } from '../bookings/model.ts';
import { holidaysBetween, overridesOf, weeklyHoursOf } from '../catalog/queries.ts';
import { dayInstantRange, type DateRange } from '../scheduling/index.ts';
import { scopeBookings, scopeResources, type Viewer } from './scope.ts';
import type { HoursRules } from './time-grid.ts';

export interface AdminBookingRow {
  id: string;
  status: BookingStatus;
  starts_at: Date;
  ends_at: Date;
  customer_name: string;
  customer_email: string;
  customer_phone: string | null;
  customer_time_zone: string;
  notes: string | null;
  source: string;
  cancel_reason: string | null;
  /** The end of a payment's hold or of a request's wait for approval. */
  hold_expires_at: Date | null;
  created_at: Date;
  /** The series it is an occurrence of, or null. */
  series_id: string | null;
  service_id: string;
  service_name: string;
  resource_id: string;
  resource_name: string;
  resource_time_zone: string;
  /** Its online payment, when it takes one (null: nothing paid online). */
  payment_status: string | null;
  amount_paid: number | null;
  amount_refunded: number | null;
  payment_currency: string | null;
}

export interface BookingListFilter {
  from?: Date | undefined;
  to?: Date | undefined;
  resourceId?: string | undefined;
  serviceId?: string | undefined;
  status?: BookingStatus | undefined;
  search?: string | undefined;
  limit: number;
}

function withNames(tx: TenantTx, viewer: Viewer) {
  return scopeBookings(tx, viewer)
    .join('services as s', function () {
      this.on('s.tenant_id', 'b.tenant_id').andOn('s.id', 'b.service_id');
    })
    .join('resources as r', function () {
      this.on('r.tenant_id', 'b.tenant_id').andOn('r.id', 'b.resource_id');
    })
    .leftJoin('payments as p', function () {
      this.on('p.tenant_id', 'b.tenant_id').andOn('p.booking_id', 'b.id');
    })
    .select('b.*', 's.name as service_name', 'r.name as resource_name', 'r.time_zone as resource_time_zone',
      'p.status as payment_status', 'p.amount_paid', 'p.amount_refunded', 'p.currency as payment_currency');
}

export async function listAdminBookings(tx: TenantTx, viewer: Viewer, f: BookingListFilter): Promise<AdminBookingRow[]> {
  const q = withNames(tx, viewer).orderBy([{ column: 'b.starts_at' }, { column: 'b.id' }]).limit(f.limit);
  if (f.from) q.where('b.starts_at', '>=', f.from);
  if (f.to) q.where('b.starts_at', '<', f.to);
  if (f.resourceId) q.where('b.resource_id', f.resourceId);
  if (f.serviceId) q.where('b.service_id', f.serviceId);
  if (f.status) q.where('b.status', f.status);
  if (f.search) {
    const like = `%${f.search.replace(/[\\%_]/g, (c) => `\\${c}`)}%`;
    q.where((w) => w.whereILike('b.customer_name', like).orWhereILike('b.customer_email', like).orWhereILike('b.customer_phone', like));
  }
  return q;
}

/** Bookings that start on the local `date` in `zone`, of the resources the viewer may see, in time order. */
export async function bookingsStartingOn(tx: TenantTx, viewer: Viewer, date: string, zone: string): Promise<AdminBookingRow[]> {
  const { start, end } = dayInstantRange(date, zone);
  return listAdminBookings(tx, viewer, { from: new Date(start), to: new Date(end), limit: 500 });
}

export async function adminBooking(tx: TenantTx, viewer: Viewer, id: string): Promise<AdminBookingRow | undefined> {
  return withNames(tx, viewer).where('b.id', id).first();
}

export async function visibleResources(tx: TenantTx, viewer: Viewer): Promise<{ id: string; name: string; time_zone: string }[]> {
  return scopeResources(tx, viewer).where({ active: true }).orderBy(['position', 'name', 'id']).select('id', 'name', 'time_zone');
}

/**
 * The hours of resources already in view (from `visibleResources`) and the
 * holidays, for local dates in [from, to], as the time grids shade them.
 */
export async function gridHours(
  tx: TenantTx,
  resources: { id: string; time_zone: string }[],
  from: string,
  to: string,
): Promise<{ resources: HoursRules[]; holidays: DateRange[] }> {
  const ids = resources.map((r) => r.id);
  const weekly = await weeklyHoursOf(tx, ids);
  const overrides = await overridesOf(tx, ids, from, to);
  return {
    resources: resources.map((r) => ({ resourceId: r.id, timeZone: r.time_zone, weekly: weekly.get(r.id) ?? [], overrides: overrides.get(r.id) ?? [] })),
    holidays: await holidaysBetween(tx, from, to),
  };
}

export async function bookingHistory(tx: TenantTx, bookingId: string) {
  return tx('booking_history as h')
    .leftJoin('users as u', function () {
      this.on('u.tenant_id', 'h.tenant_id').andOn('u.id', 'h.actor_user_id');
    })
    .where('h.booking_id', bookingId)
    .orderBy('h.created_at')
    .select<{ event: string; status: string; actor: string; actor_name: string | null; detail: string | null; starts_at: Date; created_at: Date }[]>(
      'h.event', 'h.status', 'h.actor', 'u.name as actor_name', 'h.detail', 'h.starts_at', 'h.created_at',
    );
}

export async function bookingNotes(tx: TenantTx, bookingId: string) {
  return tx('booking_notes as n')
    .leftJoin('users as u', function () {
      this.on('u.tenant_id', 'n.tenant_id').andOn('u.id', 'n.author_user_id');
    })
    .where('n.booking_id', bookingId)
    .orderBy('n.created_at')
    .select<{ body: string; author: string | null; created_at: Date }[]>('n.body', 'u.name as author', 'n.created_at');
}

export async function addBookingNote(tx: TenantTx, bookingId: string, authorId: string, body: string): Promise<void> {
  await tx('booking_notes').insert({ tenant_id: tx.tenantId, booking_id: bookingId, author_user_id: authorId, body });
}
