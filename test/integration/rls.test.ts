import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { withTenant } from '../../src/db/tenant.ts';
import type { AppDeps } from '../../src/deps.ts';
import { createTestDb, testDeps, type TestDb } from '../support/db.ts';
import { makeTenant } from '../support/http.ts';

let t: TestDb;
let deps: AppDeps;
let a: string;
let b: string;
let bUser: string;

/** Tables that hold tenant data: every table with a tenant_id column. */
async function tenantTables(): Promise<string[]> {
  const { rows } = await t.owner.raw<{ rows: { table_name: string }[] }>(
    `select c.table_name from information_schema.columns c
       join information_schema.tables tb on tb.table_schema = c.table_schema and tb.table_name = c.table_name
      where c.table_schema = 'public' and c.column_name = 'tenant_id' and tb.table_type = 'BASE TABLE'
      order by 1`,
  );
  return rows.map((r) => r.table_name);
}

beforeAll(async () => {
  t = await createTestDb();
  deps = testDeps(t);
  a = (await makeTenant(deps, 'tenant-a')).tenant.id;
  const made = await makeTenant(deps, 'tenant-b');
  b = made.tenant.id;
  bUser = made.owner.id;
  await withTenant(deps.db, b, (tx) => tx('outbox_messages').insert({ tenant_id: b, kind: 'test', to_address: 'x@b.example', subject: 'B only', text_body: 'secret of B' }));
});
afterAll(() => t.drop());

describe('the runtime role', () => {
  it('is not superuser, cannot bypass RLS and owns no table', async () => {
    const { rows } = await t.db.app.raw(`select current_user as who, r.rolsuper, r.rolbypassrls from pg_roles r where r.rolname = current_user`);
    expect(rows[0]).toEqual({ who: 'slotwise_app', rolsuper: false, rolbypassrls: false });
    const owned = await t.owner.raw(`select count(*)::int as n from pg_class c join pg_roles r on r.oid = c.relowner where r.rolname = 'slotwise_app'`);
    expect(owned.rows[0].n).toBe(0);
  });

  it('runs every function of the public schema with its own rights, so none can step over the wall', async () => {
    // availability_context and the statements it shares set app.tenant_id and read tenant rows:
    // as SECURITY INVOKER they stay behind the same policies. Cross-tenant functions live in app_private.
    const { rows } = await t.owner.raw(`select p.proname from pg_proc p join pg_namespace n on n.oid = p.pronamespace
      where n.nspname = 'public' and p.prosecdef`);
    expect(rows).toEqual([]);
    const fns = (await t.owner.raw(`select p.proname from pg_proc p join pg_namespace n on n.oid = p.pronamespace where n.nspname = 'public' and not p.prosecdef`)).rows.map((r: { proname: string }) => r.proname);
    expect(fns).toEqual(expect.arrayContaining(['availability_context', 'slot_inputs', 'queue_notifications', 'emit_event', 'service_offer', 'lock_resource']));
  });

  it('finds tenant tables in the catalog, each with RLS enabled, forced, and the isolation policy', async () => {
    const tables = await tenantTables();
    expect(tables).toEqual(expect.arrayContaining(['users', 'auth_tokens', 'outbox_messages']));
    const { rows } = await t.owner.raw<{ rows: { relname: string; relrowsecurity: boolean; relforcerowsecurity: boolean; policies: string[] }[] }>(
      `select c.relname, c.relrowsecurity, c.relforcerowsecurity,
              array(select p.polname::text from pg_policy p where p.polrelid = c.oid) as policies
         from pg_class c where c.relname = any(?) and c.relnamespace = 'public'::regnamespace`,
      [tables],
    );
    expect(rows).toHaveLength(tables.length);
    for (const r of rows) {
      expect(r, r.relname).toMatchObject({ relrowsecurity: true, relforcerowsecurity: true, policies: ['tenant_isolation'] });
    }
  });

  it('leads every unique, primary-key and exclusion constraint of a tenant table with tenant_id', async () => {
    const { rows } = await t.owner.raw<{ rows: { table: string; name: string; first: string }[] }>(
      `select c.conrelid::regclass::text as table, c.conname as name, a.attname as first
         from pg_constraint c join pg_attribute a on a.attrelid = c.conrelid and a.attnum = c.conkey[1]
        where c.contype in ('u', 'p', 'x') and c.conrelid::regclass::text = any(?)`,
      [await tenantTables()],
    );
    expect(rows.length).toBeGreaterThan(0);
    for (const r of rows) expect(r.first, `${r.table}.${r.name}`).toBe('tenant_id');
  });

  it('sees no rows of any tenant table without a tenant, and cannot insert', async () => {
    for (const table of await tenantTables()) {
      const { rows } = await t.db.app.raw(`select count(*)::int as n from ??`, [table]);
      expect(rows[0].n, table).toBe(0);
    }
    expect((await t.db.app.raw('select count(*)::int as n from tenants')).rows[0].n).toBe(0);
    await expect(t.db.app('outbox_messages').insert({ tenant_id: a, kind: 'x', to_address: 'x', subject: 'x', text_body: 'x' })).rejects.toThrow(/row-level security/);
  });

  it('cannot insert a row carrying another tenant id, even inside a tenant transaction', async () => {
    await expect(
      withTenant(deps.db, a, (tx) => tx('outbox_messages').insert({ tenant_id: b, kind: 'x', to_address: 'x', subject: 'x', text_body: 'x' })),
    ).rejects.toThrow(/row-level security/);
  });

  it("cannot read, update or delete another tenant's rows", async () => {
    await withTenant(deps.db, a, async (tx) => {
      expect(await tx('outbox_messages').where({ tenant_id: b })).toEqual([]);
      expect(await tx('users').where({ id: bUser })).toEqual([]);
      expect(await tx('tenants').where({ id: b })).toEqual([]);
      expect(await tx('users').where({ id: bUser }).update({ name: 'pwned' })).toBe(0);
      expect(await tx('users').where({ id: bUser }).del()).toBe(0);
      expect(await tx('tenants').where({ id: b }).update({ name: 'pwned' })).toBe(0);
    });
    const user = await t.owner('users').where({ id: bUser }).first();
    expect(user.name).not.toBe('pwned');
  });

  it('forgets the tenant when the transaction ends: a bare query on the same pool sees nothing', async () => {
    const seen = await withTenant(deps.db, b, (tx) => tx('outbox_messages').count<{ n: string }[]>('* as n'));
    expect(Number(seen[0]!.n)).toBeGreaterThan(0);
    // Every connection of the pool has now served a tenant transaction at least once.
    const counts = await Promise.all(Array.from({ length: 10 }, () => t.db.app.raw('select count(*)::int as n from outbox_messages')));
    for (const c of counts) expect(c.rows[0].n).toBe(0);
  });

  it('refuses a composite foreign key into another tenant', async () => {
    await expect(
      withTenant(deps.db, a, (tx) =>
        tx('auth_tokens').insert({ tenant_id: a, user_id: bUser, purpose: 'password_reset', token_hash: 'h', expires_at: new Date() }),
      ),
    ).rejects.toThrow(/foreign key/);
  });
});

describe('enqueueing jobs from a tenant transaction', () => {
  const jobs = (key: string) => t.owner.raw(`select payload, key from graphile_worker._private_jobs where key like ?`, [`%${key}`]);

  it('stamps the current tenant into the payload and the job key', async () => {
    await withTenant(deps.db, a, (tx) =>
      tx.raw(`select app_private.add_job('maintenance__purge_expired', ?::jsonb, job_key => 'k1')`, [JSON.stringify({ tenantId: b, x: 1 })]),
    );
    const { rows } = await jobs('k1');
    expect(rows).toHaveLength(1);
    expect(rows[0].payload).toEqual({ tenantId: a, x: 1 });
    expect(rows[0].key).toBe(`${a}:k1`);
  });

  it('leaves no job behind when the transaction rolls back', async () => {
    const key = randomUUID();
    await expect(
      withTenant(deps.db, a, async (tx) => {
        await tx.raw(`select app_private.add_job('maintenance__purge_expired', '{}'::jsonb, job_key => ?)`, [key]);
        throw new Error('rollback');
      }),
    ).rejects.toThrow('rollback');
    expect((await jobs(key)).rows).toHaveLength(0);
  });

  it('refuses to enqueue without a tenant, and the runtime role cannot reach graphile_worker directly', async () => {
    await expect(t.db.app.raw(`select app_private.add_job('maintenance__purge_expired')`)).rejects.toThrow(/needs a tenant transaction/);
    await expect(t.db.app.raw(`select graphile_worker.add_job('maintenance__purge_expired')`)).rejects.toThrow(/permission denied/);
  });
});
