import type { Knex } from 'knex';
import type { TenantTx } from '../db/tenant.ts';
import type { Role } from '../auth/queries.ts';

/** The signed-in dashboard user, as queries need them. */
export interface Viewer {
  id: string;
  role: Role;
}

/**
 * Staff see and act on the bookings of their own resources only (resources
 * linked to them); admins and owners see everything. Every dashboard query
 * over bookings or resources goes through one of these, so a staff member
 * asking for another resource's booking by id gets nothing — a 404.
 */
export function scopeResources(tx: TenantTx, viewer: Viewer): Knex.QueryBuilder {
  const q = tx('resources');
  return viewer.role === 'staff' ? q.where({ user_id: viewer.id }) : q;
}

export function scopeBookings(tx: TenantTx, viewer: Viewer, alias = 'b'): Knex.QueryBuilder {
  const q = tx({ [alias]: 'bookings' });
  if (viewer.role === 'staff') q.whereIn(`${alias}.resource_id`, tx('resources').where({ user_id: viewer.id }).select('id'));
  return q;
}
