/**
 * The booking path without HTTP: `createBooking` called directly, C at a
 * time, on a throwaway embedded Postgres with statistics in place (1 500
 * bookings, then ANALYZE). It answers "how far can this design go on this
 * machine", by also running variants that change the throwaway database:
 *
 *   committed      the code as it is
 *   no-notify      graphile_worker.add_jobs without its NOTIFY
 *   no-follow-ups  queue_notifications writes nothing (no messages, no jobs)
 *
 * The variants are experiments, never a configuration: they drop guarantees.
 * Reports bookings/s and Postgres CPU per booking (the postmaster and its
 * children, from /proc), and checks that no two active bookings overlap.
 *
 * Run: npx node bench/booking-direct.ts
 * Knobs: BENCH_VARIANTS=committed,no-notify,no-follow-ups BENCH_CONCURRENCY=16 BENCH_SECONDS=8
 */
import { readdirSync, readFileSync } from 'node:fs';
import { chmod, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import pg from 'pg';

const VARIANTS = (process.env.BENCH_VARIANTS ?? 'committed,no-notify,no-follow-ups').split(',');
const CONCURRENCY = Number(process.env.BENCH_CONCURRENCY ?? 16);
const SECONDS = Number(process.env.BENCH_SECONDS ?? 8);
const RESOURCES = 32;
const DAYS = 300;
const ZONE = 'Europe/London';
const MINUTE = 60_000;
const DAY = 86_400_000;

const VARIANT_SQL: Record<string, string[]> = {
  committed: [],
  'no-notify': ['no-notify'],
  'no-follow-ups': [`create or replace function queue_notifications(p_input jsonb, p_task text, p_max_attempts integer) returns uuid[]
     language sql volatile as $$ select '{}'::uuid[] $$`],
};

function postgresCpuMs(postmasterPid: number): number {
  let total = 0;
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    try {
      const stat = readFileSync(`/proc/${name}/stat`, 'utf8');
      const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      if (Number(name) === postmasterPid || Number(f[1]) === postmasterPid) total += (Number(f[11]) + Number(f[12])) * 10;
    } catch {
      // exited meanwhile
    }
  }
  return total;
}

async function runVariant(variant: string): Promise<string> {
  const { startEmbeddedPostgres, ensureDatabase } = await import('../src/db/embedded.ts');
  const { migrate } = await import('../src/db/migrate.ts');
  const { connectDatabase } = await import('../src/db/database.ts');
  const { parseConfig } = await import('../src/config.ts');
  const { signUp } = await import('../src/tenancy/service.ts');
  const { createResource, createService } = await import('../src/catalog/service.ts');
  const { createBooking } = await import('../src/bookings/service.ts');
  const { freePort } = await import('../test/support/net.ts');

  const dir = await mkdtemp(path.join(tmpdir(), 'slotwise-direct-'));
  await chmod(dir, 0o755);
  const dataDir = path.join(dir, 'pg');
  const embedded = await startEmbeddedPostgres({ dataDir, port: await freePort(), ephemeral: true });
  let db: Awaited<ReturnType<typeof connectDatabase>> | undefined;
  try {
    await ensureDatabase(embedded.url('postgres'), 'direct');
    const url = embedded.url('direct');
    await migrate(url);
    const postmasterPid = Number(readFileSync(path.join(dataDir, 'postmaster.pid'), 'utf8').split('\n')[0]);
    const owner = new pg.Client({ connectionString: url });
    await owner.connect();
    for (const sql of VARIANT_SQL[variant] ?? []) {
      if (sql === 'no-notify') {
        const def = (await owner.query(`select pg_get_functiondef('graphile_worker.add_jobs(graphile_worker.job_spec[], boolean)'::regprocedure) as d`)).rows[0].d as string;
        const patched = def.replace(/perform pg_notify\('jobs:insert'[^;]*;/, '');
        if (patched === def) throw new Error('no NOTIFY found in graphile_worker.add_jobs');
        await owner.query(patched);
      } else {
        await owner.query(sql);
      }
    }
    const config = parseConfig({ NODE_ENV: 'production', DATABASE_URL: url, BASE_DOMAIN: 'bench.test', SESSION_SECRET: randomBytes(32).toString('hex'), LOG_LEVEL: 'silent', SEED_DEMO: 'false' });
    db = connectDatabase({ databaseUrl: url });
    const deps = { config, db, now: () => new Date() };
    const { tenant } = await signUp(deps, { slug: 'acme', businessName: 'Acme', email: 'owner@acme.bench.test', password: 'bench-password-0123456789', timeZone: ZONE });
    const weekly = ([1, 2, 3, 4, 5, 6, 7] as const).map((weekday) => ({ weekday, start: '00:00', end: '24:00' }));
    const resources: string[] = [];
    for (let i = 0; i < RESOURCES; i++) resources.push((await createResource(deps, tenant.id, { name: `R${i}`, kind: 'staff', timeZone: ZONE, position: i, weekly })).id);
    const service = await createService(deps, tenant.id, {
      name: 'Bench 15', durationMin: 15, intervalMin: 15, bufferBeforeMin: 0, bufferAfterMin: 0, minNoticeMin: 0, horizonDays: 365,
      maxPerDay: null, priceMinor: 0, currency: 'GBP', resourceIds: resources,
    });
    // Slot i: resource i mod 32, then the day, then the quarter hour; no two collide.
    const base = Math.ceil(Date.now() / DAY) * DAY + DAY;
    const slot = (i: number) => ({ resourceId: resources[i % RESOURCES]!, start: base + (Math.floor(i / RESOURCES) % DAYS) * DAY + Math.floor(i / (RESOURCES * DAYS)) * 15 * MINUTE });
    let cursor = 0;
    const book = (i: number) => {
      const s = slot(i);
      return createBooking(deps, tenant.id, { source: 'public', userId: null }, {
        serviceId: service.id, resourceId: s.resourceId, start: s.start, customer: { name: 'Bench', email: `c${i}@bench.test`, phone: null, timeZone: ZONE }, notes: null,
      });
    };
    for (let i = 0; i < 1500; i++) await book(cursor++);
    await owner.query('analyze');

    const cpu0 = postgresCpuMs(postmasterPid);
    const t0 = performance.now();
    let n = 0;
    await Promise.all(Array.from({ length: CONCURRENCY }, async () => {
      while (performance.now() - t0 < SECONDS * 1000) {
        await book(cursor++);
        n++;
      }
    }));
    const ms = performance.now() - t0;
    const pgMs = (postgresCpuMs(postmasterPid) - cpu0) / n;
    const overlaps = Number((await owner.query(
      `select count(*) as n from bookings a join bookings b on b.tenant_id = a.tenant_id and b.resource_id = a.resource_id and b.id > a.id
         and b.blocked && a.blocked where a.status in ('held','confirmed') and b.status in ('held','confirmed')`,
    )).rows[0].n);
    await owner.end();
    if (overlaps) process.exitCode = 1;
    return `${variant.padEnd(14)} C=${CONCURRENCY}  ${(n / (ms / 1000)).toFixed(1).padStart(7)} bookings/s  pg CPU ${pgMs.toFixed(2)} ms/booking  overlaps ${overlaps}`;
  } finally {
    await db?.close();
    await embedded.stop();
    await rm(dir, { recursive: true, force: true });
  }
}

const { setLogLevel } = await import('../src/log.ts');
setLogLevel('silent');
for (const variant of VARIANTS) {
  if (!(variant in VARIANT_SQL)) throw new Error(`unknown variant ${variant}`);
  console.log(await runVariant(variant));
}
