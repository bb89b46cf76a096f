import type { Knex } from 'knex';
import type { TenantTx } from './tenant.ts';

/**
 * A page of a tenant table in (created_at, id) order, after the row
 * `startingAfter` (the API's `limit` / `starting_after`): one more row than
 * asked tells whether there is a next page.
 */
export async function pageOf<T>(
  tx: TenantTx,
  table: string,
  opts: { limit: number; startingAfter?: string | undefined },
  columns: (string | Knex.Raw)[] = ['*'],
): Promise<{ rows: T[]; hasMore: boolean }> {
  const q = tx(table).orderBy([{ column: 'created_at' }, { column: 'id' }]).limit(opts.limit + 1).select(columns);
  if (opts.startingAfter) q.whereRaw(`(created_at, id) > (select created_at, id from ?? where id = ?)`, [table, opts.startingAfter]);
  const rows = (await q) as T[];
  return { rows: rows.slice(0, opts.limit), hasMore: rows.length > opts.limit };
}
