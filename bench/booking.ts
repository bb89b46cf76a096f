/**
 * Booking throughput benchmark: the real HTTP app (createApp) on a throwaway
 * embedded Postgres, virtual customers with their own session cookie, CSRF
 * token and keep-alive connection, POSTing the public booking form.
 *
 * Scenarios, each for BENCH_SECONDS (default 10) at every concurrency of
 * BENCH_CONCURRENCY (default "16,64"):
 *   distinct   every request books a different free slot (round-robin over
 *              RESOURCES resources, quarter hours over DAYS days) → 303s
 *   any        "any available": RESOURCES requests per start, on the quarter
 *              hours after the distinct grid; the app picks the resource → 303s
 *   picker     every request GETs the times page (14-day strip, one day's
 *              times) for a resource and a start date of the grid → 200s
 *   contended  every client fights for the same slot of one resource; when it
 *              is taken (a 303, or a 409 saying so) everyone moves to the next
 *   open       distinct slots again, but open loop: customers arrive at a fixed
 *              rate, BENCH_OPEN_RATIO (default 0.3) of the first ceiling run's
 *              best, whether or not earlier ones have had their answer (as
 *              real customers do); each arrival takes an idle one of
 *              BENCH_OPEN_CLIENTS (default 512) keep-alive connections, and its
 *              latency counts from its scheduled arrival, so a backlog shows
 *              (no coordinated omission); it runs twice BENCH_SECONDS. Sustained
 *              if the bookings made per second, until the last answer, reach
 *              97 % of the rate offered, and no backlog builds: the median
 *              latency of the last fifth of the arrivals is at most 1.5 times
 *              that of the first (a queue that builds at any time shows).
 *   ceiling    raw single-statement INSERTs of the same columns into
 *              `bookings` through pg as the owner, no HTTP, no app; run once
 *              before the app scenarios and once after, the ratio taking the
 *              higher of the two
 * Besides latency: CPU per request of the app's main thread and of Postgres,
 * and SQL statements (round trips) per request.
 * After each scenario: the SQL self-join for overlapping active bookings
 * (must be 0), and the new row count must equal the 303s.
 *
 * The load generator runs in a worker thread of this process, so the app's
 * event loop (main thread) serves requests only.
 *
 * Run: npx node bench/booking.ts
 * Knobs: BENCH_SECONDS, BENCH_CONCURRENCY, BENCH_SCENARIOS (comma list),
 * BENCH_CPU_PROFILE=/tmp/booking (writes /tmp/booking-distinct.cpuprofile and
 * /tmp/booking-contended.cpuprofile: the app's main thread during those runs,
 * including the clients' setup GETs; open them in Chrome DevTools or VS Code).
 */
import { readdirSync, readFileSync } from 'node:fs';
import { chmod, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { Session } from 'node:inspector/promises';
import type { Server } from 'node:http';
import { connect, type AddressInfo, type Socket } from 'node:net';
import { availableParallelism, loadavg, tmpdir } from 'node:os';
import path from 'node:path';
import { randomBytes, randomUUID } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import { isMainThread, parentPort, Worker } from 'node:worker_threads';
import pg from 'pg';
import type { Database } from '../src/db/database.ts';
import type { EmbeddedServer } from '../src/db/embedded.ts';
import type { AppDeps } from '../src/deps.ts';

const MINUTE = 60_000;
const DAY = 86_400_000;
const SLOT_MIN = 15;
const SLOTS_PER_DAY = (24 * 60) / SLOT_MIN;
const RESOURCES = 32;
/** Days of the distinct grid: RESOURCES × DAYS × 96 slots (92 160), far more than a run books. */
const DAYS = 30;
/** The ceiling books much faster (and its resources are not offered, so no horizon applies): 1.1 M slots. */
const CEILING_DAYS = 365;
const ZONE = 'Europe/London';
const HOST = 'acme.bench.test';
const SECONDS = Number(process.env.BENCH_SECONDS ?? 10);
const WARMUP_SECONDS = 2;
const CONCURRENCY = (process.env.BENCH_CONCURRENCY ?? '16,64').split(',').map(Number);
/** Which scenarios to run (e.g. BENCH_SCENARIOS=distinct for a profile of the booking path alone). */
const SCENARIOS = new Set((process.env.BENCH_SCENARIOS ?? 'distinct,open,any,picker,contended,ceiling').split(','));
const CPU_PROFILE = process.env.BENCH_CPU_PROFILE;
const TARGET_RATIO = 0.3;
/** The open loop's arrival rate, as a share of the first ceiling run's best (see "open" above). */
const OPEN_RATIO = Number(process.env.BENCH_OPEN_RATIO ?? TARGET_RATIO);
const OPEN_CLIENTS = Number(process.env.BENCH_OPEN_CLIENTS ?? 512);
/** Open loop: bookings per second until the last answer, at least this share of the rate offered… */
const SUSTAINED = 0.97;
/** …and the last fifth of the arrivals waiting at most this many times as long (median) as the first. */
const BACKLOG = 1.5;

// ---------------------------------------------------------------- shared types

type HttpScenario = 'distinct' | 'any' | 'contended' | 'picker' | 'open';

interface HttpSpec {
  scenario: HttpScenario;
  port: number;
  serviceId: string;
  concurrency: number;
  durationMs: number;
  /** distinct, any, picker: resources of the grid; contended: the one resource. */
  resourceIds: string[];
  /** First instant of the grid (UTC midnight, a quarter hour in London too). */
  base: number;
  /** Index of the first slot to use; the result says where the next run starts. */
  cursor: number;
  /** open: arrivals per second (`concurrency` is then the number of connections). */
  rate?: number;
}

interface HttpResult {
  setupMs: number;
  elapsedMs: number;
  statuses: Record<string, number>;
  /** Latency (ms) of every POST, and of those answered 303 / 409. */
  all: number[];
  ok: number[];
  taken: number[];
  nextCursor: number;
  /** contended: slots some client saw two 303s for (client-side double booking check). */
  doubleWins: number;
  /** First body of an unexpected status, for diagnosis. */
  sample?: string;
  /** open: the most requests in flight at once, and arrivals that found no idle connection. */
  peak?: number;
  queued?: number;
  /** open: median latency (ms) of the first fifth of the arrivals, and of the last fifth. */
  early?: number;
  late?: number;
}

// ------------------------------------------------------- load generator (worker)

interface Reply {
  status: number;
  /** Lower-case names; a repeated header (Set-Cookie) keeps every value. */
  headers: Map<string, string[]>;
  body: string;
}

/**
 * A customer's browser tab: one keep-alive HTTP/1.1 connection, its cookies,
 * the page's CSRF token. The requests are written and the answers parsed by
 * hand on a plain socket: the customers' browsers run elsewhere in
 * production, and Node's HTTP client cost about 0.4 ms of this machine's two
 * cores per request, a tenth of what a booking costs here.
 */
class VirtualClient {
  readonly port: number;
  cookie = '';
  token = '';
  #socket: Socket | undefined;
  #buffer: Buffer = Buffer.alloc(0);
  #waiting: { resolve: (r: Reply) => void; reject: (e: Error) => void; keepBody: boolean } | undefined;

  constructor(port: number) {
    this.port = port;
  }

  async open(urlPath: string): Promise<void> {
    const res = await this.send('GET', urlPath, true);
    if (res.status !== 200) throw new Error(`GET ${urlPath} → ${res.status}: ${res.body.slice(0, 300)}`);
    // Whatever cookies the page sets (the CSRF browser id; a session only if the app starts one).
    const cookies = (res.headers.get('set-cookie') ?? []).map((c) => c.split(';')[0]!);
    if (cookies.length) this.cookie = cookies.join('; ');
    const m = /<meta name="csrf-token" content="([^"]*)"/.exec(res.body);
    if (!this.cookie || !m?.[1]) throw new Error(`GET ${urlPath}: no cookie or CSRF token`);
    this.token = m[1];
  }

  post(urlPath: string, form: Record<string, string>): Promise<Reply> {
    return this.send('POST', urlPath, false, new URLSearchParams({ _csrf: this.token, ...form }).toString());
  }

  /** One request on the connection (opened on first use); the body of a 303 or 409 is read but not kept unless keepBody. */
  send(method: 'GET' | 'POST', urlPath: string, keepBody: boolean, body?: string): Promise<Reply> {
    let head = `${method} ${urlPath} HTTP/1.1\r\nHost: ${HOST}\r\n`;
    if (this.cookie) head += `Cookie: ${this.cookie}\r\n`;
    if (body !== undefined) head += `Content-Type: application/x-www-form-urlencoded\r\nContent-Length: ${Buffer.byteLength(body)}\r\n`;
    return new Promise((resolve, reject) => {
      this.#waiting = { resolve, reject, keepBody };
      this.#connection().write(`${head}\r\n${body ?? ''}`);
    });
  }

  close(): void {
    this.#socket?.destroy();
  }

  #connection(): Socket {
    if (this.#socket) return this.#socket;
    const socket = connect({ host: '127.0.0.1', port: this.port, noDelay: true });
    socket.on('data', (chunk: Buffer) => {
      this.#buffer = this.#buffer.length ? Buffer.concat([this.#buffer, chunk]) : chunk;
      this.#parse();
    });
    const fail = (err: Error) => {
      const w = this.#waiting;
      this.#waiting = undefined;
      this.#socket = undefined;
      w?.reject(err);
    };
    socket.on('error', fail);
    socket.on('close', () => fail(new Error('connection closed by the server')));
    this.#socket = socket;
    return socket;
  }

  /** Answers come whole or in pieces; one is complete when its Content-Length (or last chunk) has arrived. */
  #parse(): void {
    const w = this.#waiting;
    if (!w) return;
    const end = this.#buffer.indexOf('\r\n\r\n');
    if (end < 0) return;
    const lines = this.#buffer.toString('latin1', 0, end).split('\r\n');
    const status = Number(lines[0]!.split(' ')[1]);
    const headers = new Map<string, string[]>();
    for (const line of lines.slice(1)) {
      const colon = line.indexOf(':');
      const name = line.slice(0, colon).toLowerCase();
      headers.set(name, [...(headers.get(name) ?? []), line.slice(colon + 1).trim()]);
    }
    let body: Buffer;
    let used: number;
    if (headers.has('content-length')) {
      used = end + 4 + Number(headers.get('content-length')![0]);
      if (this.#buffer.length < used) return;
      body = this.#buffer.subarray(end + 4, used);
    } else if (headers.get('transfer-encoding')?.[0] === 'chunked') {
      const parts: Buffer[] = [];
      let at = end + 4;
      for (;;) {
        const lineEnd = this.#buffer.indexOf('\r\n', at);
        if (lineEnd < 0) return;
        const size = parseInt(this.#buffer.toString('latin1', at, lineEnd), 16);
        if (this.#buffer.length < lineEnd + 2 + size + 2) return;
        parts.push(this.#buffer.subarray(lineEnd + 2, lineEnd + 2 + size));
        at = lineEnd + 2 + size + 2;
        if (size === 0) break;
      }
      used = at;
      body = Buffer.concat(parts);
    } else {
      this.#waiting = undefined;
      w.reject(new Error(`answer ${status} without Content-Length or chunked body`));
      return;
    }
    this.#buffer = this.#buffer.subarray(used);
    this.#waiting = undefined;
    const keep = w.keepBody || (status !== 303 && status !== 409);
    w.resolve({ status, headers, body: keep ? body.toString('utf8') : '' });
  }
}

/** Slot i of the distinct grid: consecutive indices go to different resources, then days, then times of day. */
function distinctSlot(spec: HttpSpec, i: number): { resourceId: string; start: number } {
  const n = spec.resourceIds.length;
  const quarter = Math.floor(i / (DAYS * n));
  if (quarter >= SLOTS_PER_DAY) throw new Error('distinct slot grid exhausted: raise DAYS');
  const rem = i % (DAYS * n);
  return { resourceId: spec.resourceIds[rem % n]!, start: spec.base + Math.floor(rem / n) * DAY + quarter * SLOT_MIN * MINUTE };
}

/**
 * Request i of "any available": as many requests per start as the grid has
 * resources, on the quarter hours after the distinct grid's days, so the app
 * finds a free resource for each and none is refused.
 */
function anySlot(spec: HttpSpec, i: number): { resourceId: 'any'; start: number } {
  return { resourceId: 'any', start: spec.base + (DAYS + 1) * DAY + Math.floor(i / spec.resourceIds.length) * SLOT_MIN * MINUTE };
}

async function runHttp(spec: HttpSpec, ready: () => Promise<void>): Promise<HttpResult> {
  const t00 = performance.now();
  const clients = await Promise.all(
    Array.from({ length: spec.concurrency }, async (_, i) => {
      const c = new VirtualClient(spec.port);
      await c.open(`/book/${spec.serviceId}?resource=${spec.resourceIds[i % spec.resourceIds.length]!}&tz=${encodeURIComponent(ZONE)}`);
      return c;
    }),
  );
  const setupMs = performance.now() - t00;
  await ready(); // the main thread starts its CPU accounting after the setup GETs
  const statuses: Record<string, number> = {};
  const all: number[] = [];
  const ok: number[] = [];
  const taken: number[] = [];
  const winsBySlot = new Map<number, number>();
  let sample: string | undefined;
  let cursor = spec.cursor;
  let current = spec.cursor; // contended: the slot everyone is after
  const t0 = performance.now();
  const deadline = t0 + spec.durationMs;
  const book = (c: VirtualClient, slot: { resourceId: string; start: number }, email: string) =>
    c.post(`/book/${spec.serviceId}`, {
      resource: slot.resourceId,
      tz: ZONE,
      start: new Date(slot.start).toISOString(),
      name: 'Bench Customer',
      email,
      phone: '',
      notes: '',
    });
  if (spec.scenario === 'open') {
    const idle = [...clients];
    const waiting: ((c: VirtualClient) => void)[] = [];
    const release = (c: VirtualClient) => {
      const next = waiting.shift();
      if (next) next(c);
      else idle.push(c);
    };
    let inFlight = 0;
    let peak = 0;
    let queued = 0;
    let last = t0;
    const interval = 1000 / spec.rate!;
    const total = Math.floor(spec.durationMs / interval);
    const fifths: number[][] = [[], [], [], [], []];
    const arrive = async (k: number, scheduled: number) => {
      let c = idle.pop();
      if (!c) {
        queued++;
        c = await new Promise<VirtualClient>((resolve) => waiting.push(resolve));
      }
      peak = Math.max(peak, ++inFlight);
      const res = await book(c, distinctSlot(spec, k), `open${k}@bench.test`);
      inFlight--;
      release(c);
      last = performance.now();
      const ms = last - scheduled; // from the arrival, not from when a connection was free
      all.push(ms);
      fifths[Math.min(4, Math.floor(((scheduled - t0) / interval / total) * 5))]!.push(ms);
      statuses[res.status] = (statuses[res.status] ?? 0) + 1;
      if (res.status === 303) {
        ok.push(ms);
        winsBySlot.set(k, (winsBySlot.get(k) ?? 0) + 1);
      } else if (res.status === 409) taken.push(ms);
      else sample ??= `${res.status}: ${res.body.replace(/\s+/g, ' ').slice(0, 400)}`;
    };
    const arrivals: Promise<void>[] = [];
    while (arrivals.length < total) {
      // Every arrival due by now, each with its own scheduled instant.
      const due = Math.min(total, Math.floor((performance.now() - t0) / interval) + 1);
      while (arrivals.length < due) arrivals.push(arrive(cursor++, t0 + arrivals.length * interval));
      await new Promise((resolve) => setTimeout(resolve, 1));
    }
    await Promise.all(arrivals);
    for (const c of clients) c.close();
    const doubleWins = [...winsBySlot.values()].filter((w) => w > 1).length;
    const median = (xs: number[]) => percentile(xs.sort((a, b) => a - b), 50);
    return {
      setupMs, elapsedMs: last - t0, statuses, all, ok, taken, nextCursor: cursor, doubleWins, peak, queued,
      early: median(fifths[0]!), late: median(fifths[4]!), ...(sample ? { sample } : {}),
    };
  }
  await Promise.all(
    clients.map(async (c, ci) => {
      let n = 0;
      while (performance.now() < deadline) {
        if (spec.scenario === 'picker') {
          // A customer opening the times page: the 14-day strip and one day's times, for a resource and a start date of the grid.
          const k = cursor++;
          const from = new Date(spec.base + (k % DAYS) * DAY).toISOString().slice(0, 10);
          const t = performance.now();
          const res = await c.send('GET', `/book/${spec.serviceId}?resource=${spec.resourceIds[k % spec.resourceIds.length]!}&tz=${encodeURIComponent(ZONE)}&from=${from}`, false);
          const ms = performance.now() - t;
          all.push(ms);
          statuses[res.status] = (statuses[res.status] ?? 0) + 1;
          if (res.status === 200) ok.push(ms);
          else sample ??= `${res.status}: ${res.body.replace(/\s+/g, ' ').slice(0, 400)}`;
          continue;
        }
        const k = spec.scenario === 'contended' ? current : cursor++;
        const slot = spec.scenario === 'distinct' ? distinctSlot(spec, k)
          : spec.scenario === 'any' ? anySlot(spec, k)
          : { resourceId: spec.resourceIds[0]!, start: spec.base + k * SLOT_MIN * MINUTE };
        const t = performance.now();
        const res = await book(c, slot, `c${ci}.${n++}@bench.test`);
        const ms = performance.now() - t;
        all.push(ms);
        statuses[res.status] = (statuses[res.status] ?? 0) + 1;
        if (res.status === 303) {
          ok.push(ms);
          winsBySlot.set(k, (winsBySlot.get(k) ?? 0) + 1);
        } else if (res.status === 409) {
          taken.push(ms);
        } else {
          sample ??= `${res.status}: ${res.body.replace(/\s+/g, ' ').slice(0, 400)}`;
        }
        // Taken (by us, or by someone whose 303 we have not seen yet): on to the next slot.
        if (spec.scenario === 'contended' && (res.status === 303 || res.status === 409) && current === k) current = k + 1;
      }
    }),
  );
  const elapsedMs = performance.now() - t0;
  for (const c of clients) c.close();
  const doubleWins = [...winsBySlot.values()].filter((w) => w > 1).length;
  const nextCursor = spec.scenario === 'contended' ? current + 1 : cursor;
  return { setupMs, elapsedMs, statuses, all, ok, taken, nextCursor, doubleWins, ...(sample ? { sample } : {}) };
}

if (!isMainThread) {
  let go: (() => void) | undefined;
  parentPort!.on('message', (m: HttpSpec | 'go') => {
    if (m === 'go') return go?.();
    const spec = m;
    const ready = () =>
      new Promise<void>((resolve) => {
        go = resolve;
        parentPort!.postMessage('ready');
      });
    runHttp(spec, ready).then(
      (result) => parentPort!.postMessage({ result }),
      (err: unknown) => parentPort!.postMessage({ error: err instanceof Error ? (err.stack ?? err.message) : String(err) }),
    );
  });
}

// ------------------------------------------------------------- measurement

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)] ?? NaN;
}

const CLK_TCK_MS = 10; // USER_HZ = 100 on Linux

/**
 * CPU ms of a /proc stat line: utime + stime, and `children`, the CPU of
 * its children that have exited and been waited for (cutime + cstime).
 */
function statCpuMs(stat: string): { ppid: number; ms: number; children: number } {
  const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return { ppid: Number(f[1]), ms: (Number(f[11]) + Number(f[12])) * CLK_TCK_MS, children: (Number(f[13]) + Number(f[14])) * CLK_TCK_MS };
}

/**
 * CPU time so far of the postmaster and its children (backends, walwriter,
 * …), those running and those that have exited: a backend that ends during
 * a scenario (a pool closing a connection) takes its CPU with it from
 * /proc, and the postmaster's count of its children's gives it back.
 */
function postgresCpuMs(postmasterPid: number): number {
  let total = 0;
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    try {
      const { ppid, ms, children } = statCpuMs(readFileSync(`/proc/${name}/stat`, 'utf8'));
      if (Number(name) === postmasterPid) total += ms + children;
      else if (ppid === postmasterPid) total += ms;
    } catch {
      // exited meanwhile
    }
  }
  return total;
}

/** CPU time so far of this process's main thread: the app's event loop (and the ceiling's pg client). */
function mainThreadCpuMs(): number {
  try {
    return statCpuMs(readFileSync(`/proc/self/task/${process.pid}/stat`, 'utf8')).ms;
  } catch {
    return NaN;
  }
}

/** Busy CPU ms of the whole machine so far, all cores (/proc/stat: user nice system irq softirq steal). */
function machineBusyMs(): number {
  const f = readFileSync('/proc/stat', 'utf8').split('\n')[0]!.trim().split(/\s+/).slice(1).map(Number);
  return ((f[0] ?? 0) + (f[1] ?? 0) + (f[2] ?? 0) + (f[5] ?? 0) + (f[6] ?? 0) + (f[7] ?? 0)) * CLK_TCK_MS;
}

/**
 * SQL statements sent by this process's pg clients (the app's pools, the
 * session store's borrowed connections, the ceiling's pool): every
 * `Client.query` is one round trip to Postgres.
 */
let statements = 0;
function countStatements(): void {
  const query = pg.Client.prototype.query;
  pg.Client.prototype.query = function (this: pg.Client, ...args: unknown[]) {
    statements++;
    return (query as (...a: unknown[]) => unknown).apply(this, args);
  } as typeof query;
}

interface CpuSnapshot {
  at: number;
  /** statements sent so far (see countStatements) */
  sql: number;
  /** the app's main thread */
  app: number;
  /** this whole process: app, load generator thread, GC and libuv threads */
  node: number;
  pg: number;
  machine: number;
}

function cpuSnapshot(postmasterPid: number): CpuSnapshot {
  const u = process.cpuUsage();
  return { at: performance.now(), sql: statements, app: mainThreadCpuMs(), node: (u.user + u.system) / 1000, pg: postgresCpuMs(postmasterPid), machine: machineBusyMs() };
}

/** Per-operation CPU, and the share of the machine other processes (not this bench, not its Postgres) used meanwhile. */
function cpuSince(a: CpuSnapshot, b: CpuSnapshot, ops: number): { appPerOp: number; clientsPerOp: number; pgPerOp: number; sqlPerOp: number; foreign: number } {
  const wall = b.at - a.at;
  const foreign = (b.machine - a.machine - (b.node - a.node) - (b.pg - a.pg)) / (wall * availableParallelism());
  const per = (x: number) => x / Math.max(1, ops);
  return { appPerOp: per(b.app - a.app), clientsPerOp: per(b.node - a.node - (b.app - a.app)), pgPerOp: per(b.pg - a.pg), sqlPerOp: per(b.sql - a.sql), foreign: Math.max(0, foreign) };
}

interface Row {
  scenario: string;
  /** open: the most requests in flight at once */
  concurrency: number;
  /** open: arrivals per second, arrivals that waited for a connection, median latency of the first and of the last fifth */
  offered?: number;
  queued?: number;
  early?: number;
  late?: number;
  ok: number;
  taken: number;
  other: string;
  perSecond: number;
  p50: number;
  p95: number;
  p50Taken: number;
  overlaps: number;
  newRows: number;
  appCpuPerOp: number;
  /** the rest of this process: the load generator's thread (for ceiling, nothing), GC and libuv helpers */
  clientsCpuPerOp: number;
  pgCpuPerOp: number;
  sqlPerOp: number;
  appBusy: number;
  foreign: number;
}

// ------------------------------------------------------------------ main

async function main(): Promise<void> {
  // As deployed: Express's view cache and Eta's template cache are on only in production.
  process.env.NODE_ENV = 'production';
  const { startEmbeddedPostgres, ensureDatabase } = await import('../src/db/embedded.ts');
  const { migrate } = await import('../src/db/migrate.ts');
  const { connectDatabase } = await import('../src/db/database.ts');
  const { parseConfig } = await import('../src/config.ts');
  const { setLogLevel } = await import('../src/log.ts');
  const { createApp } = await import('../src/http/app.ts');
  const { signUp } = await import('../src/tenancy/service.ts');
  const { createResource, createService } = await import('../src/catalog/service.ts');
  const { freePort } = await import('../test/support/net.ts');
  setLogLevel('silent');
  countStatements();

  const dir = await mkdtemp(path.join(tmpdir(), 'slotwise-bench-'));
  await chmod(dir, 0o755); // as root, the postgres user must reach the data dir
  const dataDir = path.join(dir, 'pg');
  let embedded: EmbeddedServer | undefined;
  let db: Database | undefined;
  let server: Server | undefined;
  let worker: Worker | undefined;
  let checkPool: pg.Pool | undefined;
  let failed = false;
  try {
    const tSetup = performance.now();
    embedded = await startEmbeddedPostgres({ dataDir, port: await freePort(), ephemeral: true });
    await ensureDatabase(embedded.url('postgres'), 'slotwise_bench');
    const url = embedded.url('slotwise_bench');
    await migrate(url);
    const postmasterPid = Number(readFileSync(path.join(dataDir, 'postmaster.pid'), 'utf8').split('\n')[0]);

    const config = parseConfig({
      NODE_ENV: 'production',
      DATABASE_URL: url,
      BASE_DOMAIN: 'bench.test',
      SESSION_SECRET: randomBytes(32).toString('hex'),
      LOG_LEVEL: 'silent',
      RATE_LIMIT_MULTIPLIER: '10000',
      SEED_DEMO: 'false',
    });
    db = connectDatabase({ databaseUrl: url, ...(process.env.BENCH_APP_POOL ? { appPoolMax: Number(process.env.BENCH_APP_POOL) } : {}) }); // default pools, as src/server.ts: app 10, owner 4
    const deps: AppDeps = { config, db, now: () => new Date() };

    const { tenant } = await signUp(deps, { slug: 'acme', businessName: 'Acme Bench', email: 'owner@acme.bench.test', password: 'bench-password-0123456789', timeZone: ZONE });
    const weekly = ([1, 2, 3, 4, 5, 6, 7] as const).map((weekday) => ({ weekday, start: '00:00', end: '24:00' }));
    const make = async (name: string, position: number) => (await createResource(deps, tenant.id, { name, kind: 'staff', timeZone: ZONE, position, weekly })).id;
    const grid: string[] = [];
    for (let i = 0; i < RESOURCES; i++) grid.push(await make(`Grid ${String(i).padStart(2, '0')}`, i));
    const hot = await make('Contended', RESOURCES);
    const raw: string[] = [];
    for (let i = 0; i < RESOURCES; i++) raw.push(await make(`Ceiling ${String(i).padStart(2, '0')}`, 100 + i)); // not offered; FK targets of the raw inserts
    const service = await createService(deps, tenant.id, {
      name: 'Bench 15',
      durationMin: SLOT_MIN,
      intervalMin: SLOT_MIN,
      bufferBeforeMin: 0,
      bufferAfterMin: 0,
      minNoticeMin: 0,
      horizonDays: 365,
      maxPerDay: null,
      priceMinor: 0,
      currency: 'GBP',
      resourceIds: [...grid, hot],
    });

    server = createApp(deps).listen(0, '127.0.0.1');
    await new Promise<void>((resolve, reject) => {
      server!.once('listening', resolve).once('error', reject);
    });
    const port = (server.address() as AddressInfo).port;
    worker = new Worker(new URL(import.meta.url));

    // Every grid starts at a UTC midnight after now: on London's quarter-hour grid whatever its offset.
    // Each scenario has its own resources, so they can share the days.
    const base = Math.ceil(Date.now() / DAY) * DAY + DAY;
    console.log(
      `node ${process.version}, ${RESOURCES} resources (${ZONE}, 24/7), 15-min service, ` +
        `${SECONDS} s per scenario, concurrency ${CONCURRENCY.join('/')}, setup ${((performance.now() - tSetup) / 1000).toFixed(1)} s`,
    );

    const checks = new pg.Pool({ connectionString: url, options: '-c TimeZone=UTC', max: 2 });
    checkPool = checks;
    const scalar = async (sql: string, params: unknown[] = []): Promise<number> => Number(Object.values((await checks.query(sql, params)).rows[0] as object)[0]);
    // No two active bookings of one resource overlap (a self-join, as the exclusion constraint promises).
    const overlaps = () =>
      scalar(
        `select count(*) from bookings a join bookings b
           on b.tenant_id = a.tenant_id and b.resource_id = a.resource_id and b.id > a.id and b.blocked && a.blocked
         where a.status in ('held','confirmed') and b.status in ('held','confirmed')`,
      );
    const activeCount = () => scalar(`select count(*) from bookings where status in ('held','confirmed')`);

    const rows: Row[] = [];
    const check = (what: string, good: boolean, detail: string) => {
      if (!good) {
        failed = true;
        console.error(`CHECK FAILED ${what}: ${detail}`);
      }
    };

    /** Run `spec` in the load generator; `onReady` runs once its clients have their sessions, just before the timed part. */
    const runInWorker = (spec: HttpSpec, onReady: () => void): Promise<HttpResult> =>
      new Promise((resolve, reject) => {
        const done = () => {
          worker!.off('message', onMessage);
          worker!.off('error', onError);
        };
        const onError = (err: Error) => {
          done();
          reject(err);
        };
        const onMessage = (m: 'ready' | { result?: HttpResult; error?: string }) => {
          if (m === 'ready') {
            onReady();
            worker!.postMessage('go');
            return;
          }
          done();
          if (m.result) resolve(m.result);
          else reject(new Error(m.error));
        };
        worker!.on('message', onMessage);
        worker!.on('error', onError);
        worker!.postMessage(spec);
      });

    // open books on the distinct grid, after the slots distinct took.
    const cursors = { distinct: 0, any: 0, contended: 0, picker: 0 };
    const gridOf = (scenario: HttpScenario) => (scenario === 'open' ? 'distinct' : scenario);
    const httpScenario = async (scenario: HttpScenario, concurrency: number, durationMs: number, record: boolean, rate?: number) => {
      const before = await activeCount();
      let cpu0 = cpuSnapshot(postmasterPid);
      let elu0 = performance.eventLoopUtilization();
      const r = await runInWorker({
        scenario,
        port,
        serviceId: service.id,
        concurrency,
        durationMs,
        resourceIds: scenario === 'contended' ? [hot] : grid,
        base,
        cursor: cursors[gridOf(scenario)],
        ...(rate ? { rate } : {}),
      }, () => {
        cpu0 = cpuSnapshot(postmasterPid);
        elu0 = performance.eventLoopUtilization();
      });
      const appBusy = performance.eventLoopUtilization(elu0).utilization;
      const cpu = cpuSince(cpu0, cpuSnapshot(postmasterPid), r.all.length);
      cursors[gridOf(scenario)] = r.nextCursor;
      const newRows = (await activeCount()) - before;
      const label = `${scenario}${record ? '' : ' (warm-up)'} ${rate ? `at ${rate.toFixed(1)}/s` : `C=${concurrency}`}`;
      // picker: the pages served (200); the others: the bookings made (303).
      const won = r.statuses[scenario === 'picker' ? '200' : '303'] ?? 0;
      const taken = r.statuses['409'] ?? 0;
      const other = Object.entries(r.statuses).filter(([s]) => (scenario === 'picker' ? s !== '200' : s !== '303' && s !== '409'));
      const ov = await overlaps();
      check(label, ov === 0, `${ov} overlapping active bookings`);
      check(label, newRows === (scenario === 'picker' ? 0 : won), `${newRows} new bookings but ${won} answers ${scenario === 'picker' ? 'of pages' : '303'}`);
      check(label, other.length === 0, `unexpected answers ${JSON.stringify(Object.fromEntries(other))}; first: ${r.sample ?? ''}`);
      check(label, r.doubleWins === 0, `${r.doubleWins} slots answered 303 twice`);
      if (scenario !== 'contended') check(label, taken === 0, `${taken} answers 409`);
      if (scenario === 'contended') {
        const dup = await scalar(
          `select count(*) from (select starts_at from bookings where resource_id = $1 and status in ('held','confirmed') group by starts_at having count(*) > 1) d`,
          [hot],
        );
        check(label, dup === 0, `${dup} contended slots booked twice`);
      }
      if (!record) return;
      const all = r.all.sort((a, b) => a - b);
      rows.push({
        scenario,
        concurrency: r.peak ?? concurrency,
        ...(rate ? { offered: rate, queued: r.queued ?? 0, early: r.early ?? NaN, late: r.late ?? NaN } : {}),
        ok: won,
        taken,
        other: other.map(([s, n]) => `${s}×${n}`).join(' ') || '-',
        perSecond: won / (r.elapsedMs / 1000),
        p50: percentile(all, 50),
        p95: percentile(all, 95),
        p50Taken: percentile(r.taken.sort((a, b) => a - b), 50),
        overlaps: ov,
        newRows,
        appCpuPerOp: cpu.appPerOp,
        clientsCpuPerOp: cpu.clientsPerOp,
        pgCpuPerOp: cpu.pgPerOp,
        sqlPerOp: cpu.sqlPerOp,
        appBusy,
        foreign: cpu.foreign,
      });
    };

    /** With BENCH_CPU_PROFILE: a profile of this process's main thread (the app) while `run` runs. */
    const profiled = async (name: string, run: () => Promise<void>) => {
      if (!CPU_PROFILE) return run();
      const inspector = new Session();
      inspector.connect();
      await inspector.post('Profiler.enable');
      await inspector.post('Profiler.start');
      try {
        await run();
      } finally {
        const { profile } = await inspector.post('Profiler.stop');
        const file = `${CPU_PROFILE.replace(/\.cpuprofile$/, '')}-${name}.cpuprofile`;
        await writeFile(file, JSON.stringify(profile));
        inspector.disconnect();
        console.log(`CPU profile of the app's main thread during the ${name} runs: ${file}`);
      }
    };

    const ceilingCursor = { i: 0 };
    const ceiling = async (concurrency: number, durationMs: number, scenario = 'ceiling') => {
      const pool = new pg.Pool({ connectionString: url, options: '-c TimeZone=UTC', max: concurrency });
      try {
        // Open every connection before the clock starts.
        const held = await Promise.all(Array.from({ length: concurrency }, () => pool.connect()));
        for (const c of held) c.release();
        const before = await activeCount();
        const cpu0 = cpuSnapshot(postmasterPid);
        const lat: number[] = [];
        const t0 = performance.now();
        const deadline = t0 + durationMs;
        await Promise.all(
          Array.from({ length: concurrency }, async () => {
            while (performance.now() < deadline) {
              const i = ceilingCursor.i++;
              const n = raw.length;
              const quarter = Math.floor(i / (CEILING_DAYS * n));
              if (quarter >= SLOTS_PER_DAY) throw new Error('ceiling slot grid exhausted: raise CEILING_DAYS');
              const rem = i % (CEILING_DAYS * n);
              const start = base + Math.floor(rem / n) * DAY + quarter * SLOT_MIN * MINUTE;
              const end = start + SLOT_MIN * MINUTE;
              const iso = (ms: number) => new Date(ms).toISOString();
              const t = performance.now();
              // One INSERT of the columns the SQL function `book` inserts (migrations/0012), with the same values.
              await pool.query(
                `insert into bookings (tenant_id, id, service_id, resource_id, starts_at, ends_at, blocked, status, customer_name,
                   customer_email, customer_phone, customer_time_zone, notes, manage_nonce, manage_token_hash, source, created_by)
                 values ($1, $2, $3, $4, $5::timestamptz, $6::timestamptz,
                   tstzrange($7::timestamptz, $8::timestamptz, '[)'), $9, $10, $11, $12, $13, $14, $15, $16, $17, $18)
                 returning *`,
                [
                  tenant.id, randomUUID(), service.id, raw[rem % n], iso(start), iso(end), iso(start), iso(end), 'confirmed', 'Bench Customer',
                  `raw${i}@bench.test`, null, ZONE, null, randomBytes(32).toString('base64url'), randomBytes(32).toString('hex'), 'public', null,
                ],
              );
              lat.push(performance.now() - t);
            }
          }),
        );
        const elapsedMs = performance.now() - t0;
        const cpu = cpuSince(cpu0, cpuSnapshot(postmasterPid), lat.length);
        const newRows = (await activeCount()) - before;
        const ov = await overlaps();
        const label = `${scenario} C=${concurrency}`;
        check(label, ov === 0, `${ov} overlapping active bookings`);
        check(label, newRows === lat.length, `${newRows} new rows but ${lat.length} inserts`);
        lat.sort((a, b) => a - b);
        rows.push({
          scenario,
          concurrency,
          ok: lat.length,
          taken: 0,
          other: '-',
          perSecond: lat.length / (elapsedMs / 1000),
          p50: percentile(lat, 50),
          p95: percentile(lat, 95),
          p50Taken: NaN,
          overlaps: ov,
          newRows,
          appCpuPerOp: cpu.appPerOp,
          clientsCpuPerOp: cpu.clientsPerOp,
          pgCpuPerOp: cpu.pgPerOp,
          sqlPerOp: cpu.sqlPerOp,
          appBusy: NaN,
          foreign: cpu.foreign,
        });
      } finally {
        await pool.end();
      }
    };

    await httpScenario('distinct', 16, WARMUP_SECONDS * 1000, false);
    // Statistics, as a running deployment has them. Before the first ANALYZE
    // (autovacuum's comes a minute or more after the tables fill), the
    // planner has no row counts: foreign-key checks and graphile-worker's
    // job-key update then read whole tables, and the pool's connections
    // keep those plans until statistics invalidate them.
    await checks.query('analyze');
    // The ceiling runs both before the app scenarios and after them, and the
    // ratio takes the higher: the host's speed drifts within minutes, and a
    // slow spell during one ceiling run must not flatter the ratio.
    if (SCENARIOS.has('ceiling') && (SCENARIOS.has('distinct') || SCENARIOS.has('open'))) for (const c of CONCURRENCY) await ceiling(c, SECONDS * 1000, 'ceiling-1st');
    if (SCENARIOS.has('distinct')) await profiled('distinct', async () => {
      for (const c of CONCURRENCY) await httpScenario('distinct', c, SECONDS * 1000, true);
    });
    // Customers who do not wait for each other, at the target's rate of the ceiling measured above.
    const firstCeiling = Math.max(...rows.filter((r) => r.scenario === 'ceiling-1st').map((r) => r.perSecond));
    if (SCENARIOS.has('open') && Number.isFinite(firstCeiling)) {
      await httpScenario('open', OPEN_CLIENTS, 2 * SECONDS * 1000, true, OPEN_RATIO * firstCeiling);
    }
    // "Any available", the customer's usual choice: the app decides among all 32 resources.
    if (SCENARIOS.has('any')) await profiled('any', async () => {
      for (const c of CONCURRENCY) await httpScenario('any', c, SECONDS * 1000, true);
    });
    // The times page, after the bookings above: its strip and times are computed around them.
    if (SCENARIOS.has('picker')) await profiled('picker', async () => {
      for (const c of CONCURRENCY) await httpScenario('picker', c, SECONDS * 1000, true);
    });
    if (SCENARIOS.has('contended')) await profiled('contended', async () => {
      for (const c of CONCURRENCY) await httpScenario('contended', c, SECONDS * 1000, true);
    });
    // Last, so its rows do not bloat the table under the app scenarios.
    if (SCENARIOS.has('ceiling')) for (const c of CONCURRENCY) await ceiling(c, SECONDS * 1000);

    const f = (x: number, d = 1) => (Number.isFinite(x) ? x.toFixed(d) : '-');
    const table = [
      ['scenario', 'C', '303/ins', '409', 'other', 'per s', 'p50 ms', 'p95 ms', 'p50 409 ms', 'overlaps', 'app CPU ms/req', 'clients CPU ms/req', 'pg CPU ms/req', 'SQL/req', 'app loop busy', 'others\' CPU'],
      ...rows.map((r) => [
        r.scenario, String(r.concurrency), String(r.ok), String(r.taken), r.other, f(r.perSecond), f(r.p50), f(r.p95), f(r.p50Taken), String(r.overlaps),
        f(r.appCpuPerOp, 2), f(r.clientsCpuPerOp, 2), f(r.pgCpuPerOp, 2), f(r.sqlPerOp), Number.isFinite(r.appBusy) ? `${Math.round(r.appBusy * 100)} %` : '-', `${Math.round(r.foreign * 100)} %`,
      ]),
    ];
    const widths = table[0]!.map((_, i) => Math.max(...table.map((row) => row[i]!.length)));
    console.log();
    for (const [i, row] of table.entries()) {
      console.log(row.map((cell, j) => (j <= 1 || j === 4 ? cell.padEnd(widths[j]!) : cell.padStart(widths[j]!))).join('  '));
      if (i === 0) console.log(widths.map((w) => '-'.repeat(w)).join('  '));
    }
    console.log();
    for (const c of CONCURRENCY) {
      const app = rows.find((r) => r.scenario === 'distinct' && r.concurrency === c);
      const ceilings = rows.filter((r) => (r.scenario === 'ceiling' || r.scenario === 'ceiling-1st') && r.concurrency === c);
      if (!app || !ceilings.length) continue;
      const ceil = Math.max(...ceilings.map((r) => r.perSecond));
      const ratio = app.perSecond / ceil;
      console.log(
        `C=${c}: app ${f(app.perSecond)} bookings/s vs ceiling ${f(ceil)} inserts/s (the higher of ${ceilings.length}) = ${f(ratio * 100)} % ` +
          `(target ≥ ${TARGET_RATIO * 100} %: ${ratio >= TARGET_RATIO ? 'met' : 'MISSED'})`,
      );
    }
    // Capacity against capacity: each side at the concurrency where it goes fastest (a per-C ratio
    // divides the app's, which group commit raises with C, by the ceiling's, which contention lowers).
    const best = (names: string[]) => rows.filter((r) => names.includes(r.scenario)).sort((x, y) => y.perSecond - x.perSecond)[0];
    const bestApp = best(['distinct']);
    const bestCeiling = best(['ceiling', 'ceiling-1st']);
    if (CONCURRENCY.length > 1 && bestApp && bestCeiling) {
      console.log(
        `best of each: app ${f(bestApp.perSecond)} bookings/s (C=${bestApp.concurrency}) vs ceiling ${f(bestCeiling.perSecond)} inserts/s ` +
          `(C=${bestCeiling.concurrency}) = ${f((100 * bestApp.perSecond) / bestCeiling.perSecond)} %`,
      );
    }
    // The target as customers load the app: can it take bookings at that share of the ceiling's rate?
    const open = rows.find((r) => r.scenario === 'open');
    if (open?.offered && bestCeiling) {
      const sustained = open.perSecond >= SUSTAINED * open.offered && open.late! <= BACKLOG * open.early!;
      const share = open.offered / bestCeiling.perSecond;
      console.log(
        `open loop: ${f(open.offered)} arrivals/s (${f(OPEN_RATIO * 100)} % of ${f(firstCeiling)}, the first ceiling run's best) = ${f(share * 100)} % of the best ceiling; ` +
          `${f(open.perSecond)} bookings/s made (${f((100 * open.perSecond) / open.offered)} %), p95 ${f(open.p95)} ms from arrival, ` +
          `median ${f(open.early!)} ms in the first fifth and ${f(open.late!)} in the last, at most ${open.concurrency} in flight, ` +
          `${open.queued} arrivals waited for a connection: ${sustained ? 'sustained' : 'NOT sustained'} ` +
          `(target: ≥ ${TARGET_RATIO * 100} % of the ceiling sustained: ${sustained && share >= TARGET_RATIO ? 'met' : 'MISSED'})`,
      );
    }
    console.log(
      `app CPU = this process's main thread (the app; for ceiling, the pg client); clients CPU = the rest of this process (the load generator's thread, GC and libuv helpers); pg CPU = the postmaster and its children; ` +
        `others' CPU = share of the ${availableParallelism()} cores used by other processes meanwhile (load average now ${loadavg().map((l) => l.toFixed(1)).join(' ')})`,
    );
    const totalOverlaps = rows.reduce((s, r) => s + r.overlaps, 0);
    console.log(`double bookings (overlapping active bookings of one resource): ${totalOverlaps}${failed ? '; SOME CHECKS FAILED (see above)' : ''}`);
  } finally {
    await checkPool?.end();
    await worker?.terminate();
    if (server) {
      const s = server;
      await new Promise<void>((resolve) => {
        s.close(() => resolve());
        s.closeAllConnections();
      });
    }
    await db?.close();
    await embedded?.stop();
    await rm(dir, { recursive: true, force: true });
  }
  if (failed) process.exitCode = 1;
}

if (isMainThread) {
  main().then(
    () => {
      // Everything is closed; if a stray handle kept the process alive, do not hang the bench script.
      setTimeout(() => process.exit(process.exitCode ?? 0), 5000).unref();
    },
    (err: unknown) => {
      console.error(err);
      process.exit(1);
    },
  );
}
