/**
 * Customer-load benchmark: what customers and businesses feel, with
 * everything on this machine. A throwaway embedded PostgreSQL, the web
 * process (src/server.ts) and the worker (src/worker.ts) each in its own
 * child process, a SendGrid receiver and the load generator in this one.
 *
 *   e2e        customers arrive open loop at --rate per second over 50+
 *              businesses, half through the public form, half through the
 *              API; a booking counts once committed and its confirmation
 *              accepted by the SendGrid receiver
 *   crowd      200 customers at once for one start of one resource (1 wins),
 *              then for one start of "any available" over 5 (5 win)
 *   big        on a business with ~100 000 bookings and 40 000 busy blocks:
 *              the times page and GET /api/v1/availability (a week, 8
 *              resources, 15-minute grid), --clients at a time
 *   ceiling    pgbench running the bare booking transaction (advisory lock +
 *              INSERT under the exclusion constraint) at --clients
 *
 * After each: no overlapping active bookings, new rows = successes, no 5xx,
 * no confirmation sent twice; a failed check exits 1, a missed target does
 * not. See bench/README.md.
 *
 * Run: node bench/booking.ts [--smoke] [--seconds N] [--rate R] [--clients C] [--profile DIR]
 */
import { spawn, execFile, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { chmod, mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { availableParallelism, loadavg, tmpdir } from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { promisify } from 'node:util';
import { parseConfig } from '../src/config.ts';
import { connectDatabase, type Database } from '../src/db/database.ts';
import { ensureDatabase, pgbenchPath, startEmbeddedPostgres, type EmbeddedServer } from '../src/db/embedded.ts';
import { migrate } from '../src/db/migrate.ts';
import { setLogLevel } from '../src/log.ts';
import { adminQuery as sql, freePort } from '../test/support/net.ts';
import { booked, bookByApi, BASE_DOMAIN, Http, openForm, submitForm, type Answer, type Ask, type OpenForm } from './customers.ts';
import { arrivalTimes, parseOptions, slotFor, summarize, type Summary } from './measure.ts';
import { MailSink } from './sendgrid.ts';
import { seedBigTenant, seedLoadTenants, seedTenant, SLOT_MIN, ZONE, type BigTenant, type SeededTenant } from './seed.ts';

const MINUTE = 60_000;
const DAY = 86_400_000;
const TENANTS = 50;
const CROWD = 200;
const TARGETS = { rate: 150, rateFloor: 100, bookingP95: 100, confirmP95: 2000, crowdP95: 300, pageP95: 50, apiP95: 50 };

const opts = parseOptions(process.argv.slice(2));
const exec = promisify(execFile);
let failed = false;
const failures: string[] = [];
function check(scenario: string, ok: boolean, what: string): void {
  if (ok) return;
  failed = true;
  failures.push(`${scenario}: ${what}`);
  console.error(`CHECK FAILED ${scenario}: ${what}`);
}

// ------------------------------------------------------------ processes

/** A child process running one of the project's entry points, with its own environment. */
function startChild(entry: string, env: Record<string, string>): ChildProcess {
  const prof = opts.profileDir ? ['--cpu-prof', `--cpu-prof-dir=${opts.profileDir}`, `--cpu-prof-name=${path.basename(entry, '.ts')}.cpuprofile`] : [];
  return spawn(process.execPath, [...prof, path.join(import.meta.dirname, '..', entry)], { env: { ...process.env, ...env }, stdio: ['ignore', 'inherit', 'inherit'] });
}

async function stopChild(child: ChildProcess | undefined): Promise<void> {
  if (!child || child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), 15_000);
  await exited;
  clearTimeout(timer);
}

/** CPU time (ms, user + system) a process has used so far, from /proc; 0 once it is gone. */
function cpuOf(pid: number): number {
  try {
    const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
    return ((Number(fields[11]) + Number(fields[12])) * 1000) / 100; // utime, stime in clock ticks (USER_HZ = 100)
  } catch {
    return 0;
  }
}

/** The postmaster and its children (backends, walwriter, …). */
function postgresPids(postmaster: number): number[] {
  const pids = [postmaster];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      if (Number(readFileSync(`/proc/${entry}/stat`, 'utf8').split(') ')[1]!.split(' ')[1]) === postmaster) pids.push(Number(entry));
    } catch {
      // gone meanwhile
    }
  }
  return pids;
}

interface Cpu {
  web: number;
  worker: number;
  postgres: number;
  bench: number;
  /** Every process of the machine (from /proc/stat), ours included. */
  machine: number;
}

function machineCpuMs(): number {
  const [, ...ticks] = readFileSync('/proc/stat', 'utf8').split('\n')[0]!.trim().split(/\s+/).map(Number);
  return ((ticks[0]! + ticks[1]! + ticks[2]! + ticks[5]! + ticks[6]! + ticks[7]!) * 1000) / 100; // user nice system irq softirq steal
}

/** A snapshot of CPU used so far by each of the run's processes. */
function cpuNow(pids: { web: number; worker: number; postmaster: number | undefined }): Cpu {
  const u = process.cpuUsage();
  return {
    web: cpuOf(pids.web),
    worker: cpuOf(pids.worker),
    postgres: pids.postmaster ? postgresPids(pids.postmaster).reduce((n, pid) => n + cpuOf(pid), 0) : NaN,
    bench: (u.user + u.system) / 1000,
    machine: machineCpuMs(),
  };
}

const cpuSince = (a: Cpu, b: Cpu): Cpu => ({ web: b.web - a.web, worker: b.worker - a.worker, postgres: b.postgres - a.postgres, bench: b.bench - a.bench, machine: b.machine - a.machine });

async function waitForHealth(http: Http): Promise<void> {
  for (let i = 0; i < 300; i++) {
    try {
      if ((await http.send('GET', 'www', '/healthz')).status === 200) return;
    } catch {
      // not listening yet
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error('the web process did not answer /healthz within 30 s');
}

// ------------------------------------------------------------ checks

interface Checker {
  /** Overlapping active bookings of these tenants. */
  overlaps(tenantIds: string[]): Promise<number>;
  rows(tenantIds: string[]): Promise<number>;
}

function checker(db: Database): Checker {
  const scalar = async (sql: string, params: unknown[] = []) => Number(Object.values((await db.owner.raw(sql, params as never[])).rows[0] as object)[0]);
  return {
    // The exclusion constraint's promise, asked again with a self-join.
    overlaps: (tenantIds) =>
      scalar(`select count(*) from bookings a join bookings b
                on b.tenant_id = a.tenant_id and b.resource_id = a.resource_id and b.id > a.id and b.blocked && a.blocked
               where a.tenant_id = any(?::uuid[]) and a.status in ('held', 'confirmed') and b.status in ('held', 'confirmed')`, [tenantIds]),
    rows: (tenantIds) => scalar('select count(*) from bookings where tenant_id = any(?::uuid[])', [tenantIds]),
  };
}

/** Every scenario's common checks: no overlap, rows = successes, no 5xx (or failed request), no message sent twice. */
async function checkScenario(name: string, c: Checker, sink: MailSink, tenantIds: string[], rowsAdded: number, successes: number, statuses: Map<number, number>): Promise<void> {
  const overlaps = await c.overlaps(tenantIds);
  check(name, overlaps === 0, `${overlaps} overlapping active bookings`);
  check(name, rowsAdded === successes, `${rowsAdded} new rows but ${successes} successes`);
  const bad = [...statuses].filter(([s]) => s >= 500 || s === 0);
  check(name, bad.length === 0, `answers ${bad.map(([s, n]) => `${n} × ${s || 'no answer'}`).join(', ')}`);
  const seen = new Map<string, number>();
  for (const a of sink.accepted) seen.set(a.notificationId, (seen.get(a.notificationId) ?? 0) + 1);
  const twice = [...seen.values()].filter((n) => n > 1).length;
  check(name, twice === 0, `${twice} notifications delivered more than once`);
}

const tally = (answers: { status: number }[]) => {
  const m = new Map<number, number>();
  for (const a of answers) m.set(a.status, (m.get(a.status) ?? 0) + 1);
  return m;
};
const statusText = (m: Map<number, number>) => [...m].sort(([a], [b]) => a - b).map(([s, n]) => `${n}×${s || 'err'}`).join(' ');

// ------------------------------------------------------------ scenarios

interface Arrival {
  email: string;
  via: 'form' | 'api';
  status: number;
  /** ms from the scheduled arrival to the booking's answer. */
  latency: number;
  /** Epoch ms of the answer: after the commit. */
  answeredAt: number;
}

/** Where the load tenants' slots start: two UTC midnights ahead, so no reminder falls due during the run. */
const LOAD_BASE = Math.ceil(Date.now() / DAY) * DAY + 2 * DAY;

/** Customers arriving open loop: arrival `first + i` books the slot `slotFor` gives it, at t0 + i / rate. */
async function openLoop(http: Http, tenants: SeededTenant[], rate: number, seconds: number, first: number): Promise<{ arrivals: Arrival[]; startedAt: number }> {
  const counts = tenants.map((t) => t.resourceIds.length);
  const due = arrivalTimes(rate, seconds);
  const t0 = performance.now();
  const pending: Promise<Arrival>[] = [];
  const arrive = async (i: number, at: number): Promise<Arrival> => {
    const n = first + i;
    const s = slotFor(n, counts);
    const tenant = tenants[s.tenant]!;
    const ask: Ask = {
      tenant, serviceId: tenant.serviceId, resourceId: tenant.resourceIds[s.resource]!,
      start: new Date(LOAD_BASE + s.slot * SLOT_MIN * MINUTE),
      customer: { name: `Customer ${n}`, email: `c${n}@${tenant.slug}.${BASE_DOMAIN}` },
    };
    const via = n % 2 ? 'api' : 'form';
    let status = 0;
    try {
      status = (via === 'api' ? await bookByApi(http, ask) : await submitForm(http, await openForm(http, ask))).status;
    } catch {
      status = 0; // no answer: counted as a failure by the checks
    }
    const end = performance.now();
    return { email: ask.customer.email, via, status, latency: end - at, answeredAt: performance.timeOrigin + end };
  };
  let next = 0;
  await new Promise<void>((resolve) => {
    const tick = () => {
      const now = performance.now() - t0;
      while (next < due.length && due[next]! <= now) {
        pending.push(arrive(next, t0 + due[next]!));
        next++;
      }
      if (next >= due.length) return resolve();
      setTimeout(tick, Math.max(0, due[next]! - (performance.now() - t0)));
    };
    tick();
  });
  return { arrivals: await Promise.all(pending), startedAt: performance.timeOrigin + t0 };
}

/** Wait (bounded) until every booked customer's confirmation has reached the receiver; their arrival times by address. */
async function confirmations(sink: MailSink, emails: string[], timeoutMs: number): Promise<Map<string, number>> {
  const deadline = Date.now() + timeoutMs;
  const wanted = new Set(emails);
  for (;;) {
    const got = new Map<string, number>();
    for (const a of sink.accepted) if (a.kind === 'booking_confirmation' && wanted.has(a.to) && !got.has(a.to)) got.set(a.to, a.at);
    if (got.size === wanted.size || Date.now() > deadline) return got;
    await new Promise((r) => setTimeout(r, 100));
  }
}

interface E2e {
  offered: number;
  arrivals: number;
  booked: number;
  confirmed: number;
  rate: number;
  latency: Summary;
  formP95: number;
  apiP95: number;
  confirmDelay: Summary;
  statuses: Map<number, number>;
}

async function e2e(http: Http, tenants: SeededTenant[], sink: MailSink, c: Checker, rate: number, seconds: number, first: number, name: string): Promise<E2e> {
  const ids = tenants.map((t) => t.tenantId);
  const before = await c.rows(ids);
  const { arrivals, startedAt } = await openLoop(http, tenants, rate, seconds, first);
  const ok = arrivals.filter((a) => booked(a.status));
  const conf = await confirmations(sink, ok.map((a) => a.email), Math.max(15_000, seconds * 1000));
  const delays = ok.filter((a) => conf.has(a.email)).map((a) => conf.get(a.email)! - a.answeredAt);
  const last = conf.size ? Math.max(...conf.values()) : NaN;
  const statuses = tally(arrivals);
  await checkScenario(name, c, sink, ids, (await c.rows(ids)) - before, ok.length, statuses);
  check(name, conf.size === ok.length, `${ok.length - conf.size} of ${ok.length} confirmations never arrived`);
  const confirmedTwice = new Map<string, number>();
  for (const a of sink.accepted) if (a.kind === 'booking_confirmation') confirmedTwice.set(a.to, (confirmedTwice.get(a.to) ?? 0) + 1);
  const twice = [...confirmedTwice.values()].filter((n) => n > 1).length;
  check(name, twice === 0, `${twice} customers got their confirmation twice`);
  const p95 = (via: 'form' | 'api') => summarize(arrivals.filter((a) => a.via === via).map((a) => a.latency)).p95;
  return {
    offered: rate,
    arrivals: arrivals.length,
    booked: ok.length,
    confirmed: conf.size,
    // Bookings confirmed end to end, per second from the first arrival to the last confirmation.
    rate: conf.size ? conf.size / ((last - startedAt) / 1000) : 0,
    latency: summarize(arrivals.map((a) => a.latency)),
    formP95: p95('form'),
    apiP95: p95('api'),
    confirmDelay: summarize(delays),
    statuses,
  };
}

interface Crowd {
  winners: number;
  losers: Summary;
  /** The losers' p95 by the way they came. */
  formP95: number;
  apiP95: number;
  statuses: Map<number, number>;
}

/** CROWD customers at once for one start: half POST a form opened beforehand, half the API. */
async function crowd(http: Http, tenant: SeededTenant, anyOf: boolean, sink: MailSink, c: Checker, name: string): Promise<Crowd> {
  const start = new Date(LOAD_BASE + 10 * DAY + 10 * 60 * MINUTE);
  const asks: Ask[] = Array.from({ length: CROWD }, (_, i) => ({
    tenant, serviceId: tenant.serviceId, resourceId: anyOf ? null : tenant.resourceIds[0]!, start,
    customer: { name: `Crowd ${i}`, email: `crowd${i}@${tenant.slug}.${BASE_DOMAIN}` },
  }));
  const forms: OpenForm[] = [];
  for (let i = 0; i < CROWD; i += 2 * opts.clients) {
    forms.push(...(await Promise.all(asks.slice(i, i + 2 * opts.clients).filter((_, j) => (i + j) % 2 === 0).map((a) => openForm(http, a)))));
  }
  const before = await c.rows([tenant.tenantId]);
  const t0 = performance.now();
  const answers = await Promise.all(
    asks.map(async (a, i) => {
      let r: Answer | undefined;
      try {
        r = i % 2 === 0 ? await submitForm(http, forms[i / 2]!) : await bookByApi(http, a);
      } catch {
        r = undefined;
      }
      return { status: r?.status ?? 0, ms: performance.now() - t0 };
    }),
  );
  const winners = answers.filter((a) => booked(a.status)).length;
  const statuses = tally(answers);
  await checkScenario(name, c, sink, [tenant.tenantId], (await c.rows([tenant.tenantId])) - before, winners, statuses);
  const expected = anyOf ? tenant.resourceIds.length : 1;
  check(name, winners === expected, `${winners} customers won, not ${expected}`);
  check(name, (statuses.get(409) ?? 0) === CROWD - expected, `losers answered ${statusText(statuses)}, not all 409`);
  const losers = (via: number) => summarize(answers.filter((a, i) => !booked(a.status) && i % 2 === via).map((a) => a.ms));
  return { winners, losers: summarize(answers.filter((a) => !booked(a.status)).map((a) => a.ms)), formP95: losers(0).p95, apiP95: losers(1).p95, statuses };
}

interface Closed {
  perSecond: number;
  latency: Summary;
  kib: number;
  statuses: Map<number, number>;
}

/** `clients` clients, each sending its next request when its last is answered, for `seconds`. */
async function closedLoop(clients: number, seconds: number, request: (i: number) => Promise<Answer>): Promise<Closed> {
  const lat: number[] = [];
  const answers: { status: number }[] = [];
  let bytes = 0;
  let n = 0;
  const t0 = performance.now();
  const deadline = t0 + seconds * 1000;
  await Promise.all(
    Array.from({ length: clients }, async () => {
      while (performance.now() < deadline) {
        const t = performance.now();
        const r = await request(n++).catch(() => ({ status: 0, body: '', bytes: 0 }));
        lat.push(performance.now() - t);
        answers.push(r);
        bytes += r.bytes;
      }
    }),
  );
  return { perSecond: lat.length / ((performance.now() - t0) / 1000), latency: summarize(lat), kib: bytes / lat.length / 1024, statuses: tally(answers) };
}

/** A calendar date `days` after today (UTC), as YYYY-MM-DD. */
const dateIn = (days: number) => new Date(Date.now() + days * DAY).toISOString().slice(0, 10);

interface Ceiling {
  /** Which pgbench ran (the embedded binaries may not include one). */
  version: string;
  tps: number;
  latencyMs: number;
  transactions: number;
}

/**
 * The bare booking transaction, run by pgbench as the owner: begin; the
 * resource's advisory lock (the key of migrations/functions/lock_resource.sql);
 * one INSERT of a distinct, non-overlapping range under the exclusion
 * constraint; commit. Spread over 32 resources like the load is.
 */
async function ceiling(pg: EmbeddedServer, db: Database, dir: string, t: SeededTenant, c: Checker, seconds: number): Promise<Ceiling> {
  const bin = (await pgbenchPath().then((p) => (existsSync(p) ? p : undefined))) ?? 'pgbench';
  await db.owner.raw('create sequence if not exists bench_ceiling');
  const resources = `array[${t.resourceIds.map((id) => `'${id}'`).join(', ')}]::uuid[]`;
  const base = new Date(LOAD_BASE).toISOString();
  const script = `begin;
select k, pg_advisory_xact_lock(hashtextextended('${t.tenantId}:' || (${resources})[k % ${t.resourceIds.length} + 1]::text, 0)) as locked
  from (select nextval('bench_ceiling') as k) s \\gset
insert into bookings (tenant_id, service_id, resource_id, starts_at, ends_at, blocked, status, customer_name,
                      customer_email, customer_time_zone, manage_nonce, manage_token_hash, source)
  select '${t.tenantId}', '${t.serviceId}', (${resources})[:k::bigint % ${t.resourceIds.length} + 1], s.t, s.t + interval '15 minutes',
         tstzrange(s.t, s.t + interval '15 minutes'), 'confirmed', 'Ceiling', 'ceiling' || :k::bigint || '@bench.test', '${ZONE}',
         md5(:k::bigint::text), md5('token' || :k::bigint), 'api'
    from (select timestamptz '${base}' + (:k::bigint / ${t.resourceIds.length}) * interval '15 minutes' as t) s;
commit;
`;
  const file = path.join(dir, 'ceiling.sql');
  await writeFile(file, script);
  const url = new URL(pg.url('slotwise_bench'));
  const before = await c.rows([t.tenantId]);
  const { stdout } = await exec(bin, ['-n', '-M', 'prepared', '-c', String(opts.clients), '-j', '2', '-T', String(seconds), '-f', file,
    '-h', url.hostname, '-p', url.port, '-U', url.username, 'slotwise_bench'], { env: { ...process.env, PGPASSWORD: url.password } });
  const version = (await exec(bin, ['--version'])).stdout.trim();
  const tps = Number(/tps = ([\d.]+)/.exec(stdout)?.[1]);
  const transactions = Number(/actually processed: (\d+)/.exec(stdout)?.[1]);
  const latencyMs = Number(/latency average = ([\d.]+) ms/.exec(stdout)?.[1]);
  check('ceiling', Number.isFinite(tps) && transactions > 0, `pgbench said: ${stdout.slice(-400)}`);
  const added = (await c.rows([t.tenantId])) - before;
  check('ceiling', added === transactions, `${added} new rows but ${transactions} transactions`);
  const overlaps = await c.overlaps([t.tenantId]);
  check('ceiling', overlaps === 0, `${overlaps} overlapping active bookings`);
  return { tps, latencyMs, transactions, version };
}

// ------------------------------------------------------------ main

const ms = (v: number) => (Number.isFinite(v) ? v.toFixed(v < 10 ? 1 : 0) : '-');
const verdict = (ok: boolean) => (ok ? 'met' : 'MISSED');

/** Everything a run starts, filled in as it starts; `stop` ends whatever was started. */
interface Run {
  dir: string;
  sink: MailSink;
  pg?: EmbeddedServer;
  db?: Database;
  app?: ChildProcess;
  worker?: ChildProcess;
  http?: Http;
}

async function stop(run: Run): Promise<void> {
  await run.http?.close().catch(() => undefined);
  await Promise.all([stopChild(run.app), stopChild(run.worker)]);
  await run.db?.close();
  await run.pg?.stop();
  await run.sink.stop();
  await rm(run.dir, { recursive: true, force: true });
}

/** Postgres (with pg_stat_statements under --profile), migrated; the environment the web and worker processes get. */
async function startDatabase(run: Run): Promise<Record<string, string>> {
  const port = await freePort();
  const dataDir = path.join(run.dir, 'pg');
  run.pg = await startEmbeddedPostgres({ dataDir, port, ephemeral: true });
  if (opts.profileDir) {
    // pg_stat_statements is loaded at start only.
    await sql(run.pg.url('postgres'), `alter system set shared_preload_libraries = 'pg_stat_statements'`);
    await run.pg.stop();
    run.pg = await startEmbeddedPostgres({ dataDir, port, ephemeral: true });
  }
  await ensureDatabase(run.pg.url('postgres'), 'slotwise_bench');
  const url = run.pg.url('slotwise_bench');
  await migrate(url);
  if (opts.profileDir) await sql(url, 'create extension pg_stat_statements');
  return {
    NODE_ENV: 'production', // as deployed: template and view caches on
    DATABASE_URL: url,
    BASE_DOMAIN,
    SESSION_SECRET: randomBytes(32).toString('hex'),
    LOG_LEVEL: 'error',
    SEED_DEMO: 'false',
    RATE_LIMIT_MULTIPLIER: '10000',
    // The default daily cap (2 000 messages a business) would hold back the confirmations of a long run.
    MAIL_DAILY_CAP_PER_TENANT: '1000000',
    SENDGRID_API_KEY: 'SG.bench-key',
    SENDGRID_BASE_URL: run.sink.url,
  };
}

async function seedAll(db: Database, env: Record<string, string>) {
  const deps = { config: parseConfig(env), db, now: () => new Date() };
  const tenants = await seedLoadTenants(deps, TENANTS);
  const crowdOne = await seedTenant(deps, 'crowd-one', 1);
  const crowdAny = await seedTenant(deps, 'crowd-any', 5);
  const ceilingTenant = await seedTenant(deps, 'ceiling', 32);
  const big = await seedBigTenant(deps, opts.smoke ? 60 : 1095, opts.smoke ? 200 : 2000);
  await db.owner.raw('analyze'); // the statistics a running deployment has
  return { tenants, crowdOne, crowdAny, ceilingTenant, big };
}

/**
 * The big tenant's times page and week of availability, `clients` at a
 * time; before each, one client alone for a second (what a request costs
 * without a queue in front of it).
 */
async function bigTenant(http: Http, big: BigTenant, seconds: number): Promise<{ page: Closed; week: Closed; pageAlone: Closed; weekAlone: Closed }> {
  const pick = (i: number) => ({ resource: big.resourceIds[i % 8]!, date: dateIn(1 + (i % 80)) });
  const page = (i: number) => {
    const p = pick(i);
    return http.send('GET', big.slug, `/book/${big.availabilityServiceId}?${new URLSearchParams({ resource: p.resource, tz: ZONE, from: p.date, date: p.date })}`);
  };
  const week = (i: number) => {
    const q = new URLSearchParams({ service_id: big.availabilityServiceId, from: pick(i).date, to: dateIn(7 + (i % 80)), time_zone: ZONE });
    return http.send('GET', big.slug, `/api/v1/availability?${q}`, { authorization: `Bearer ${big.apiKey}` });
  };
  const r = {
    pageAlone: await closedLoop(1, 1, page),
    page: await closedLoop(opts.clients, seconds, page),
    weekAlone: await closedLoop(1, 1, week),
    week: await closedLoop(opts.clients, seconds, week),
  };
  for (const [name, run] of Object.entries(r)) check(name, run.statuses.size === 1 && run.statuses.has(200), `answers ${statusText(run.statuses)}`);
  return r;
}

async function main(run: Run): Promise<void> {
  setLogLevel('silent');
  const load0 = loadavg()[0]!;
  const tSetup = performance.now();
  if (opts.profileDir) await mkdir(opts.profileDir, { recursive: true });
  const env = await startDatabase(run);
  const db = (run.db = connectDatabase({ databaseUrl: env.DATABASE_URL! }));
  // The web process and the worker load their modules while the seed runs.
  const webPort = await freePort();
  const app = (run.app = startChild('src/server.ts', { ...env, PORT: String(webPort), HOST: '127.0.0.1' }));
  const worker = (run.worker = startChild('src/worker.ts', env));
  const http = (run.http = new Http(webPort, 512));
  const tSeed = performance.now();
  const { tenants, crowdOne, crowdAny, ceilingTenant, big } = await seedAll(db, env);
  const seedS = (performance.now() - tSeed) / 1000;
  if (opts.profileDir) await db.owner.raw('select pg_stat_statements_reset()');
  const c = checker(db);
  await waitForHealth(http);
  const resources = tenants.reduce((n, t) => n + t.resourceIds.length, 0);
  console.log(`node ${process.version}; ${TENANTS} businesses (${resources} resources), big one: ${big.bookings} bookings, ${big.busyBlocks} busy blocks; ` +
    `rate ${opts.rate}/s for ${opts.seconds} s, ${opts.clients} clients; setup ${((performance.now() - tSetup) / 1000).toFixed(1)} s (seed ${seedS.toFixed(1)} s); load average ${load0.toFixed(2)}`);

  // Warm-up (JIT, pools, the worker's first jobs), then the measured run on the next slots.
  const warm = Math.max(opts.smoke ? 1 : 2, Math.round(opts.seconds / 10));
  await e2e(http, tenants, run.sink, c, opts.rate, warm, 0, 'warm-up');
  const postmasterFile = path.join(run.dir, 'pg', 'postmaster.pid');
  const pids = { web: app.pid!, worker: worker.pid!, postmaster: existsSync(postmasterFile) ? Number(readFileSync(postmasterFile, 'utf8').split('\n')[0]) : undefined };
  const cpu0 = cpuNow(pids);
  const t0 = performance.now();
  const load = await e2e(http, tenants, run.sink, c, opts.rate, opts.seconds, opts.rate * warm, 'e2e');
  const cpu = cpuSince(cpu0, cpuNow(pids));
  const wallMs = performance.now() - t0;
  const topLoad = opts.profileDir ? await topStatements(db, 'the warm-up and e2e') : [];
  const one = await crowd(http, crowdOne, false, run.sink, c, 'crowd one');
  const any = await crowd(http, crowdAny, true, run.sink, c, 'crowd any');
  // The side scenarios run shorter than the load, so a full run stays within 3 minutes.
  const sideSeconds = Math.min(10, Math.max(1, opts.seconds / 2));
  const { page, week, pageAlone, weekAlone } = await bigTenant(http, big, sideSeconds);
  const topRest = opts.profileDir ? await topStatements(db, 'the crowds and the big tenant') : [];
  const ceil = await ceiling(run.pg!, db, run.dir, ceilingTenant, c, Math.ceil(sideSeconds));
  const everyone = [...tenants, crowdOne, crowdAny, ceilingTenant, big].map((t) => t.tenantId);
  const overlaps = await c.overlaps(everyone);
  check('all businesses, at the end', overlaps === 0, `${overlaps} overlapping active bookings`);

  printTable([
    ['e2e booking', `${load.rate.toFixed(1)}/s confirmed (offered ${load.offered}/s; ${load.booked}/${load.arrivals} booked, ${load.confirmed} confirmed)`,
      ...p(load.latency), `≥ ${TARGETS.rate}/s (floor ${TARGETS.rateFloor}), p95 < ${TARGETS.bookingP95}`,
      `${verdict(load.rate >= TARGETS.rate)} / ${verdict(load.latency.p95 < TARGETS.bookingP95)}`],
    ['  form / API', `p95 form ${ms(load.formP95)}, API ${ms(load.apiP95)}`, '', '', '', '', ''],
    ['confirmation delay', `commit → accepted, ${load.confirmDelay.count} messages`, ...p(load.confirmDelay), `p95 < ${TARGETS.confirmP95}`, verdict(load.confirmDelay.p95 < TARGETS.confirmP95)],
    ['crowd, one resource', `${one.winners} won, ${statusText(one.statuses)}`, ...p(one.losers), `losers p95 < ${TARGETS.crowdP95}`, verdict(one.losers.p95 < TARGETS.crowdP95)],
    ['crowd, any of 5', `${any.winners} won, ${statusText(any.statuses)}`, ...p(any.losers), `losers p95 < ${TARGETS.crowdP95}`, verdict(any.losers.p95 < TARGETS.crowdP95)],
    ['  losers form / API', `p95 one: form ${ms(one.formP95)}, API ${ms(one.apiP95)}; any: form ${ms(any.formP95)}, API ${ms(any.apiP95)}`, '', '', '', '', ''],
    ['times page (big)', `${page.perSecond.toFixed(1)}/s, ${page.kib.toFixed(0)} KiB; 1 client: p50 ${ms(pageAlone.latency.p50)}, p95 ${ms(pageAlone.latency.p95)}`, ...p(page.latency), `p95 < ${TARGETS.pageP95}`, verdict(page.latency.p95 < TARGETS.pageP95)],
    ['API week (big)', `${week.perSecond.toFixed(1)}/s, ${week.kib.toFixed(0)} KiB; 1 client: p50 ${ms(weekAlone.latency.p50)}, p95 ${ms(weekAlone.latency.p95)}`, ...p(week.latency), `p95 < ${TARGETS.apiP95}`, verdict(week.latency.p95 < TARGETS.apiP95)],
    ['ceiling (pgbench)', `${ceil.tps.toFixed(0)} tx/s, ${ceil.transactions} tx, mean ${ms(ceil.latencyMs)} ms (${ceil.version})`, '', '', '', '', ''],
  ]);
  const cores = availableParallelism();
  const per = (v: number) => (v / load.confirmed).toFixed(1);
  const ours = cpu.web + cpu.worker + cpu.postgres + cpu.bench;
  console.log(`\nCPU per confirmed booking (e2e, ${(wallMs / 1000).toFixed(1)} s): web ${per(cpu.web)} ms, worker ${per(cpu.worker)}, Postgres ${per(cpu.postgres)}, ` +
    `load generator and SendGrid receiver ${per(cpu.bench)}; the machine was ${((100 * cpu.machine) / (cores * wallMs)).toFixed(0)} % busy, ` +
    `${((100 * Math.max(0, cpu.machine - ours)) / (cores * wallMs)).toFixed(0)} % of it other processes`);
  console.log(`end to end / ceiling: ${((100 * load.rate) / ceil.tps).toFixed(1)} %   load average ${load0.toFixed(2)} → ${loadavg()[0]!.toFixed(2)}`);
  for (const line of [...topLoad, ...topRest]) console.log(line);
  console.log(`run took ${((performance.now() - tSetup) / 1000).toFixed(0)} s`);
  console.log(failed ? `\nFAILED checks:\n  ${failures.join('\n  ')}` : '\nAll checks passed: no overlapping bookings, rows = successes, no 5xx, no message sent twice.');
}

const p = (s: Summary) => [ms(s.p50), ms(s.p95), ms(s.p99)];

function printTable(body: string[][]): void {
  const rows = [['scenario', 'result', 'p50 ms', 'p95 ms', 'p99 ms', 'target', ''], ...body];
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => r[i]!.length)));
  console.log('');
  for (const r of rows) console.log(r.map((cell, i) => cell.padEnd(widths[i]!)).join('  ').trimEnd());
}

/** With --profile: the statements Postgres spent most time on since the last call (which it resets). */
async function topStatements(db: Database, since: string): Promise<string[]> {
  const { rows } = await db.owner.raw<{ rows: { calls: string; total: number; mean: number; query: string }[] }>(
    `select calls, total_exec_time as total, mean_exec_time as mean, regexp_replace(query, '\\s+', ' ', 'g') as query
       from pg_stat_statements order by total_exec_time desc limit 12`,
  );
  const all = (await db.owner.raw<{ rows: { calls: string; total: number }[] }>('select sum(calls) as calls, sum(total_exec_time) as total from pg_stat_statements')).rows[0]!;
  await db.owner.raw('select pg_stat_statements_reset()');
  return ['', `pg_stat_statements, ${since}: ${all.calls} statements, ${all.total.toFixed(0)} ms; the top by total time:`, ...rows.map((r) => `  ${r.total.toFixed(0).padStart(7)} ms ${String(r.calls).padStart(7)} calls ${r.mean.toFixed(2).padStart(7)} ms  ${r.query.slice(0, 110)}`)];
}

const dir = await mkdtemp(path.join(tmpdir(), 'slotwise-bench-'));
await chmod(dir, 0o755); // as root, the postgres user must reach the data dir
const run: Run = { dir, sink: await new MailSink().start() };
// Also on Ctrl-C or a timeout's SIGTERM: the children, Postgres and the temp dir go with the run.
let stopping: Promise<void> | undefined;
const stopOnce = () => (stopping ??= stop(run));
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => {
    console.error(`${signal}: stopping the web process, the worker and Postgres`);
    void stopOnce().finally(() => process.exit(1));
  });
}
try {
  await main(run);
} catch (err) {
  console.error(err);
  failed = true;
} finally {
  await stopOnce();
}
process.exit(failed ? 1 : 0);
