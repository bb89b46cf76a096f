/**
 * The pure parts of the customer-load benchmark (bench/booking.ts): its
 * options, the open-loop arrival schedule, which free slot each arrival
 * books, and percentiles. No I/O, so test/unit/bench-measure.test.ts can
 * check them.
 */

export interface Options {
  /** A quick check: a few seconds per scenario and a small big tenant. */
  smoke: boolean;
  /** Seconds of arrivals in the end-to-end scenario (and of each availability and ceiling run). */
  seconds: number;
  /** Customers arriving per second, open loop. */
  rate: number;
  /** Concurrent clients of the availability runs, and pgbench's clients for the ceiling. */
  clients: number;
  /** Where to write the app's and the worker's V8 CPU profiles (`--cpu-prof`), if anywhere. */
  profileDir: string | undefined;
}

const USAGE = 'usage: node bench/booking.ts [--smoke] [--seconds N] [--rate R] [--clients C] [--profile DIR]';

/** `--smoke` sets short defaults; explicit numbers given beside it still win. */
export function parseOptions(argv: readonly string[]): Options {
  const given: Partial<Record<'seconds' | 'rate' | 'clients', number>> = {};
  let smoke = false;
  let profileDir: string | undefined;
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (arg === '--smoke') {
      smoke = true;
      continue;
    }
    if (arg === '--profile') {
      profileDir = argv[++i];
      if (!profileDir || profileDir.startsWith('--')) throw new Error(`--profile needs a directory. ${USAGE}`);
      continue;
    }
    const name = arg.replace(/^--/, '');
    if (name !== 'seconds' && name !== 'rate' && name !== 'clients') throw new Error(`unknown option ${arg}. ${USAGE}`);
    const raw = argv[++i];
    const value = Number(raw);
    if (raw === undefined || !Number.isInteger(value) || value < 1 || value > 10_000) {
      throw new Error(`--${name} needs a whole number from 1 to 10000, not ${raw ?? 'nothing'}. ${USAGE}`);
    }
    given[name] = value;
  }
  const defaults = smoke ? { seconds: 3, rate: 50, clients: 16 } : { seconds: 20, rate: 150, clients: 16 };
  return { smoke, profileDir, ...defaults, ...given };
}

/**
 * When each arrival is due, in ms after the start: a fixed rate, whatever
 * happens to earlier ones (open loop). Latency is measured from these
 * times, so a server that falls behind shows it (no coordinated omission).
 */
export function arrivalTimes(rate: number, seconds: number): number[] {
  return Array.from({ length: Math.round(rate * seconds) }, (_, i) => (i * 1000) / rate);
}

/**
 * The free slot arrival `i` books: tenants in turn, then each tenant's
 * resources in turn, then the next slot of that resource. So consecutive
 * arrivals go to different tenants, and no two arrivals ever ask for the
 * same slot of the same resource.
 */
export function slotFor(i: number, resourcesPerTenant: readonly number[]): { tenant: number; resource: number; slot: number } {
  const tenant = i % resourcesPerTenant.length;
  const k = Math.floor(i / resourcesPerTenant.length);
  const n = resourcesPerTenant[tenant]!;
  return { tenant, resource: k % n, slot: Math.floor(k / n) };
}

/** Nearest-rank percentile (p in 0–100) of values sorted ascending; NaN for none. */
export function percentile(sorted: readonly number[], p: number): number {
  if (!sorted.length) return NaN;
  const rank = Math.ceil((p / 100) * sorted.length);
  return sorted[Math.min(sorted.length, Math.max(1, rank)) - 1]!;
}

export interface Summary {
  count: number;
  p50: number;
  p95: number;
  p99: number;
}

export function summarize(values: readonly number[]): Summary {
  const sorted = [...values].sort((a, b) => a - b);
  return { count: sorted.length, p50: percentile(sorted, 50), p95: percentile(sorted, 95), p99: percentile(sorted, 99) };
}
