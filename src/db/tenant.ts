import type { Knex } from 'knex';
import type { Database } from './database.ts';

declare const tenantTxBrand: unique symbol;

/**
 * A transaction in which `app.tenant_id` is set. Only `withTenant` mints one,
 * and every query function over tenant tables takes one, so tenant data can
 * only be reached through the row-level-security wall.
 */
export type TenantTx = Knex.Transaction & { readonly [tenantTxBrand]: true; readonly tenantId: string };

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export function isUuid(value: unknown): value is string {
  return typeof value === 'string' && UUID.test(value);
}

/**
 * Run `fn` in a transaction of the runtime pool with the tenant set for that
 * transaction only (`set_config(…, true)`): it is gone at commit, so a pooled
 * connection never carries one tenant into the next request.
 */
export async function withTenant<T>(db: Database, tenantId: string, fn: (tx: TenantTx) => Promise<T>): Promise<T> {
  if (!isUuid(tenantId)) throw new TypeError(`withTenant: not a tenant id: ${String(tenantId)}`);
  return db.app.transaction(async (trx) => {
    await trx.raw("select set_config('app.tenant_id', ?, true)", [tenantId]);
    Object.defineProperty(trx, 'tenantId', { value: tenantId, enumerable: false });
    return fn(trx as TenantTx);
  });
}

/**
 * One statement that is a tenant transaction by itself: a call of a SQL
 * function that takes the tenant id as its first argument and sets
 * app.tenant_id for its own transaction, as withTenant does
 * (`availability_context`). For a read that needs no lock, where BEGIN,
 * set_config and COMMIT would be most of the cost. Prepared under
 * `name`, once per connection. The first column of the first row. Given a
 * TenantTx of the same tenant instead, it runs as one of its statements.
 */
export async function tenantCall<T>(on: Database | TenantTx, tenantId: string, name: string, sql: string, bindings: readonly unknown[]): Promise<T> {
  if (!isUuid(tenantId)) throw new TypeError(`tenantCall: not a tenant id: ${String(tenantId)}`);
  // Inside a tenant transaction (of the same tenant) it is one statement of that transaction.
  if ('tenantId' in on && on.tenantId !== tenantId) throw new TypeError('tenantCall: another tenant\'s transaction');
  const runner = 'app' in on ? on.app : on;
  const { rows } = await runner.raw<{ rows: Record<string, T>[] }>(sql, [tenantId, ...bindings] as never).options({ name });
  return Object.values(rows[0]!)[0]!;
}

/**
 * A savepoint inside a tenant transaction (same tenant, same connection):
 * an error inside rolls back only the savepoint, so the caller can recover
 * from an expected failure (e.g. an exclusion violation) and go on.
 */
export async function savepoint<T>(tx: TenantTx, fn: (sp: TenantTx) => Promise<T>): Promise<T> {
  return tx.transaction(async (sp) => {
    Object.defineProperty(sp, 'tenantId', { value: tx.tenantId, enumerable: false });
    return fn(sp as TenantTx);
  });
}
