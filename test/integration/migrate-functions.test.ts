import { randomBytes } from 'node:crypto';
import { cp, mkdtemp, readdir, readFile, rm, unlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import knexFactory, { type Knex } from 'knex';
import pg from 'pg';
import { Logger, runMigrations as runWorkerMigrations } from 'graphile-worker';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, inject, it } from 'vitest';
import { listMigrationFiles, migrate, MIGRATIONS_DIR, sqlMigrationSource } from '../../src/db/migrate.ts';
import { createTestDb, type TestDb } from '../support/db.ts';
import { adminQuery } from '../support/net.ts';

/** Our functions: every function of public and app_private but the extensions' own. */
const OUR_FUNCTIONS = `
  select p.oid, p.oid::regprocedure::text as fn, p.proname as name, n.nspname as schema,
         pg_get_functiondef(p.oid) as def, p.proacl::text as acl, p.xmin::text as xmin
    from pg_proc p join pg_namespace n on n.oid = p.pronamespace
   where n.nspname in ('public', 'app_private')
     and not exists (select from pg_depend d where d.classid = 'pg_proc'::regclass and d.objid = p.oid and d.deptype = 'e')
   order by 2`;

interface FnRow {
  fn: string;
  name: string;
  schema: string;
  def: string;
  acl: string | null;
  xmin: string;
}

async function ourFunctions(knex: Knex): Promise<FnRow[]> {
  return (await knex.raw<{ rows: FnRow[] }>(OUR_FUNCTIONS)).rows;
}

/** Each function's definition and privileges, by signature. */
async function definitions(knex: Knex): Promise<Record<string, { def: string; acl: string | null }>> {
  return Object.fromEntries((await ourFunctions(knex)).map((r) => [r.fn, { def: r.def, acl: r.acl }]));
}

async function bookkeeping(knex: Knex): Promise<{ name: string; sha256: string; applied_at: Date }[]> {
  return (await knex.raw('select name, sha256, applied_at from app_private.function_files order by name')).rows;
}

const FUNCTIONS_DIR = path.join(MIGRATIONS_DIR, 'functions');
const functionFiles = async (): Promise<string[]> => (await readdir(FUNCTIONS_DIR)).filter((f) => f.endsWith('.sql')).sort();

const temps: string[] = [];
/** A copy of migrations/ to edit: the numbered files and functions/. */
async function migrationsCopy(): Promise<string> {
  const dir = await mkdtemp(path.join(tmpdir(), 'slotwise-migrations-'));
  temps.push(dir);
  await cp(MIGRATIONS_DIR, dir, { recursive: true });
  return dir;
}

async function editFile(file: string, from: string, to: string): Promise<void> {
  const sql = await readFile(file, 'utf8');
  expect(sql, `${file} has the text to replace`).toContain(from);
  await writeFile(file, sql.replace(from, () => to)); // a function: `$$` in `to` is literal
}

interface EmptyDb {
  url: string;
  knex: Knex;
  drop(): Promise<void>;
}

/** A database with nothing in it, on the test server. */
async function emptyDatabase(): Promise<EmptyDb> {
  const adminUrl = inject('pgAdminUrl');
  const name = `slotwise_m_${randomBytes(6).toString('hex')}`;
  await adminQuery(adminUrl, `create database ${name}`);
  const url = new URL(adminUrl);
  url.pathname = `/${name}`;
  const knex = knexFactory({ client: 'pg', connection: url.toString(), pool: { min: 0, max: 2 } });
  return {
    url: url.toString(),
    knex,
    async drop() {
      await knex.destroy();
      await adminQuery(adminUrl, `drop database if exists ${name} with (force)`);
    },
  };
}

/** What migrate() did before function files: graphile-worker's schema, then knex's migrator over the numbered files. */
async function migrateTheOldWay(url: string, dir: string): Promise<void> {
  const pool = new pg.Pool({ connectionString: url, max: 1 });
  pool.on('error', () => undefined);
  try {
    await runWorkerMigrations({ pgPool: pool, logger: new Logger(() => () => undefined) });
  } finally {
    await pool.end();
  }
  const knex = knexFactory({ client: 'pg', connection: { connectionString: url, options: '-c TimeZone=UTC' }, pool: { min: 0, max: 1 } });
  try {
    await knex.migrate.latest({ migrationSource: sqlMigrationSource(dir) });
  } finally {
    await knex.destroy();
  }
}

afterAll(async () => {
  await Promise.all(temps.map((d) => rm(d, { recursive: true, force: true })));
});

describe('function files', () => {
  // Each test its own clone of the template, so one test's edits are not another's changes.
  let t: TestDb;
  beforeEach(async () => {
    t = await createTestDb();
  });
  afterEach(() => t.drop());

  it('hold every function of public and app_private, one file each, named for it', async () => {
    const fns = await ourFunctions(t.owner);
    expect(fns.length).toBeGreaterThan(0);
    const expected = fns.map((r) => (r.schema === 'public' ? r.name : `${r.schema}.${r.name}`) + '.sql').sort();
    expect(await functionFiles()).toEqual(expected);
    expect(await bookkeeping(t.owner)).toHaveLength(expected.length);
  });

  it('are not readable by the runtime role', async () => {
    await expect(t.db.app.raw('select * from app_private.function_files')).rejects.toThrow(/permission denied/);
  });

  it('re-applies a changed file and leaves the unchanged ones alone', async () => {
    const dir = await migrationsCopy();
    await editFile(path.join(dir, 'functions', 'emit_event.sql'), '  from delivery\n$$;', '  from delivery -- changed\n$$;');
    const before = await ourFunctions(t.owner);
    const keptBefore = await bookkeeping(t.owner);

    expect(await migrate(t.url, dir)).toEqual(['functions/emit_event.sql']);

    const after = await ourFunctions(t.owner);
    const changed = after.find((r) => r.name === 'emit_event');
    expect(changed?.def).toContain('from delivery -- changed\n');
    // Every other function is the same row version of pg_proc: not created again.
    const untouched = (rows: FnRow[]) => rows.filter((r) => r.name !== 'emit_event').map((r) => [r.fn, r.xmin, r.def]);
    expect(untouched(after)).toEqual(untouched(before));
    expect(changed?.xmin).not.toBe(before.find((r) => r.name === 'emit_event')?.xmin);

    const kept = await bookkeeping(t.owner);
    const emit = (rows: typeof kept) => rows.find((r) => r.name === 'emit_event.sql');
    expect(emit(kept)?.sha256).not.toBe(emit(keptBefore)?.sha256);
    expect(emit(kept)!.applied_at.getTime()).toBeGreaterThan(emit(keptBefore)!.applied_at.getTime());
    const others = (rows: typeof kept) => rows.filter((r) => r.name !== 'emit_event.sql');
    expect(others(kept)).toEqual(others(keptBefore));

    // Run again: nothing to do, nothing touched.
    expect(await migrate(t.url, dir)).toEqual([]);
    expect(await ourFunctions(t.owner)).toEqual(after);
    expect(await bookkeeping(t.owner)).toEqual(kept);
  });

  it('applies a file once when two migrators run at the same time', async () => {
    const dir = await migrationsCopy();
    await editFile(path.join(dir, 'functions', 'service_offer.sql'), '    end)\n$$;', '    end) -- concurrent\n$$;');
    const results = await Promise.all([migrate(t.url, dir), migrate(t.url, dir)]);
    expect(results.flat()).toEqual(['functions/service_offer.sql']);
    expect((await ourFunctions(t.owner)).find((r) => r.name === 'service_offer')?.def).toContain('-- concurrent');
  });

  it('adds, re-signs and retires a function: numbered migrations for tables and drops, files for bodies', async () => {
    const dir = await migrationsCopy();
    const probe = path.join(dir, 'functions', 'probe_count.sql');
    const signatures = async (knex: Knex) => (await ourFunctions(knex)).filter((r) => r.name === 'probe_count').map((r) => r.fn);

    // Numbered files go first: the file's text wins over the function as a numbered migration of
    // the same run defined it (as 0001–0020 define today's functions on a fresh database).
    await writeFile(
      path.join(dir, '9000_probe_things.sql'),
      'create table probe_things (n integer);\ncreate function probe_count() returns bigint language sql as $$ select -1::bigint $$;\n',
    );
    await writeFile(probe, 'create or replace function probe_count() returns bigint language sql stable\n  as $$ select count(*) from probe_things $$;\n');
    expect(await migrate(t.url, dir)).toEqual(['9000_probe_things.sql', 'functions/probe_count.sql']);
    expect(await signatures(t.owner)).toEqual(['probe_count()']);
    expect((await t.owner.raw('select probe_count()::int as n')).rows).toEqual([{ n: 0 }]);

    // A new signature: a numbered migration drops the old one, the file holds the new one.
    await writeFile(path.join(dir, '9001_probe_count_takes_a_floor.sql'), 'drop function if exists probe_count();\n');
    await writeFile(probe, 'create or replace function probe_count(p_min integer) returns bigint language sql stable\n  as $$ select count(*) from probe_things where n >= p_min $$;\n');
    expect(await migrate(t.url, dir)).toEqual(['9001_probe_count_takes_a_floor.sql', 'functions/probe_count.sql']);
    expect(await signatures(t.owner)).toEqual(['probe_count(integer)']);

    // Retired: a numbered migration drops it and the file goes; so does its bookkeeping row.
    await writeFile(path.join(dir, '9002_retire_probe_count.sql'), 'drop function if exists probe_count(integer);\n');
    await unlink(probe);
    expect(await migrate(t.url, dir)).toEqual(['9002_retire_probe_count.sql']);
    expect(await signatures(t.owner)).toEqual([]);
    expect((await bookkeeping(t.owner)).map((r) => r.name)).not.toContain('probe_count.sql');

    // The same directory on an empty database: probe_count(integer) only ever lived in a file, which
    // runs after the numbered migrations, so 9002 finds nothing to drop (hence `if exists`).
    const fresh = await emptyDatabase();
    try {
      await migrate(fresh.url, dir);
      expect(await definitions(fresh.knex)).toEqual(await definitions(t.owner));
    } finally {
      await fresh.drop();
    }
  });
});

describe('a failing function file', () => {
  let t: TestDb;
  let dir: string;
  beforeAll(async () => {
    t = await createTestDb();
    dir = await migrationsCopy();
    // A numbered migration and a good function change in the same run: both must roll back.
    await writeFile(path.join(dir, '9000_rollback_probe.sql'), 'create table rollback_probe (id integer);\n');
    await editFile(path.join(dir, 'functions', 'emit_event.sql'), '  from delivery\n$$;', '  from delivery -- changed\n$$;');
  });
  afterAll(() => t.drop());

  const state = async () => ({
    probe: (await t.owner.raw(`select to_regclass('rollback_probe')::text as t`)).rows[0].t,
    migrations: (await t.owner('knex_migrations').orderBy('id').pluck('name')) as string[],
    lock: (await t.owner('knex_migrations_lock').pluck('is_locked')) as number[],
    bookkeeping: await bookkeeping(t.owner),
    functions: await ourFunctions(t.owner),
  });

  it.each([
    {
      what: 'a body that names a missing table (caught by the validation pass)',
      file: 'message_settings.sql',
      from: 'from tenants t where',
      to: 'from no_such_table t where',
      error: /function message_settings\(uuid\[\]\) is invalid: relation "no_such_table" does not exist/,
    },
    {
      what: 'a PL/pgSQL syntax error',
      file: 'app_private.add_job.sql',
      from: '  return v_job.id;\nend $$;',
      to: '  return v_job.id\nend $$;',
      error: /function app_private\.add_job\(.*\) is invalid: syntax error/,
    },
    {
      what: 'a statement that fails',
      file: 'lock_resource.sql',
      from: '$$;\n',
      to: '$$;\nselect 1 / 0;\n',
      error: /migrations\/functions\/lock_resource\.sql: division by zero/,
    },
    {
      what: 'a file that does not create the function it is named for',
      file: 'service_offer.sql',
      from: 'create or replace function service_offer(',
      to: 'create or replace function service_offers(',
      error: /migrations\/functions\/service_offer\.sql: expected a line starting "create or replace function service_offer\("/,
    },
  ])('rolls back the whole run: $what', async ({ file, from, to, error }) => {
    const target = path.join(dir, 'functions', file);
    const good = await readFile(target, 'utf8');
    await editFile(target, from, to);
    const before = await state();
    try {
      await expect(migrate(t.url, dir)).rejects.toThrow(error);
      expect(await state()).toEqual(before);
      expect(before.probe).toBeNull();
    } finally {
      await writeFile(target, good);
    }
  });

  it('leaves the lock free, so the next run applies everything', async () => {
    expect(await migrate(t.url, dir)).toEqual(['9000_rollback_probe.sql', 'functions/emit_event.sql']);
    expect((await state()).probe).toBe('rollback_probe');
  });
});

describe('a fresh database and an upgraded one', () => {
  let fresh: TestDb;
  let upgraded: EmptyDb;
  beforeAll(async () => {
    fresh = await createTestDb(); // a clone of the template, which global-setup migrated from empty with migrate()
    upgraded = await emptyDatabase();
  });
  afterAll(async () => {
    await fresh.drop();
    await upgraded.drop();
  });

  it('end with identical function definitions', async () => {
    // Before function files: the numbered migrations up to 0020, by the migrator of then.
    const dir = await migrationsCopy();
    await rm(path.join(dir, 'functions'), { recursive: true });
    for (const f of await listMigrationFiles(dir)) if (f > '0020') await unlink(path.join(dir, f));
    await migrateTheOldWay(upgraded.url, dir);
    expect((await upgraded.knex.raw(`select to_regclass('app_private.function_files') as t`)).rows[0].t).toBeNull();

    const applied = await migrate(upgraded.url);
    expect(applied.filter((a) => a.startsWith('functions/'))).toEqual((await functionFiles()).map((f) => `functions/${f}`));
    expect(applied.filter((a) => !a.startsWith('functions/'))).toEqual((await listMigrationFiles()).filter((f) => f > '0020'));

    const want = await definitions(fresh.owner);
    expect(Object.keys(want)).toHaveLength((await functionFiles()).length);
    expect(await definitions(upgraded.knex)).toEqual(want);
    expect(await bookkeeping(upgraded.knex)).toEqual(
      (await bookkeeping(fresh.owner)).map((r) => ({ ...r, applied_at: expect.any(Date) })),
    );
  });
});
