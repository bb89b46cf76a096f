import type { Interval } from '../scheduling/index.ts';

interface Write {
  blocked: Interval;
  /** Whether it was written; false as well when it failed. */
  written: Promise<boolean>;
  /** When it was written: the value of the counter after it, and performance.now(). */
  writtenAt?: { mark: number; ms: number };
}

/**
 * How long a written booking is remembered: far longer than a decision's
 * read takes (milliseconds), and short enough that a busy resource's list
 * stays a handful long (it is scanned at every write and check).
 */
const REMEMBER_MS = 2_000;

/**
 * What this process knows of the bookings it is writing or has just written
 * on a pool, per tenant and resource, with the ranges they block. `book`
 * registers every write it sends (src/bookings/queries.ts), so no caller can
 * leave one out.
 *
 * "Any available" reads it so that customers who ask for the same start at
 * the same moment spread over the free resources instead of all writing the
 * first one: all but one of those writes would find their digest changed and
 * try the next resource, one after the other (for n customers, n²/2
 * writes). A decision takes a `mark()` before it reads; a resource its
 * engine finds free but that a booking over the same time was written on
 * after the mark has changed since the read (the read would have shown that
 * booking), so writing it can only fail. It is a hint, never a guarantee:
 * the check under the resource's lock still decides every booking, and
 * writes of other processes, which this one cannot see, cost a failed write
 * as before.
 */
export class WritesInFlight {
  /** Per tenant, per resource. */
  readonly #writes = new Map<string, Map<string, Write[]>>();
  #counter = 0;
  #swept = performance.now();

  /** Taken before a decision's read: writes that end after it are news to that read. */
  mark(): number {
    return this.#counter;
  }

  /** `write`, known as writing `blocked` on the resource until it settles, and, if it wrote, for a while after. */
  track(tenantId: string, resourceId: string, blocked: Interval, write: Promise<boolean>): Promise<boolean> {
    if (performance.now() - this.#swept > REMEMBER_MS) this.#sweep();
    const entry: Write = { blocked, written: write.then((ok) => ok, () => false) };
    const live = this.#live(tenantId, resourceId); // may drop the tenant's map: look it up after
    let tenant = this.#writes.get(tenantId);
    if (!tenant) this.#writes.set(tenantId, (tenant = new Map()));
    tenant.set(resourceId, [...live, entry]);
    void entry.written.then((ok) => {
      if (ok) entry.writtenAt = { mark: ++this.#counter, ms: performance.now() };
      else this.#keep(tenantId, resourceId, this.#live(tenantId, resourceId).filter((w) => w !== entry));
    });
    return write;
  }

  /**
   * The resource's writes over `blocked`: whether one was written after
   * `mark`, and the outcomes of those still in flight.
   */
  since(tenantId: string, resourceId: string, blocked: Interval, mark: number): { written: boolean; pending: Promise<boolean>[] } {
    const overlapping = this.#live(tenantId, resourceId).filter((w) => overlaps(w.blocked, blocked));
    return {
      written: overlapping.some((w) => w.writtenAt && w.writtenAt.mark > mark),
      pending: overlapping.filter((w) => !w.writtenAt).map((w) => w.written),
    };
  }

  /** Forget what was written too long ago on every resource, not only on those asked about again. */
  #sweep(): void {
    this.#swept = performance.now();
    for (const [tenantId, tenant] of [...this.#writes]) for (const resourceId of [...tenant.keys()]) this.#live(tenantId, resourceId);
  }

  /** The resource's writes that are in flight or were written within REMEMBER_MS (older ones are dropped). */
  #live(tenantId: string, resourceId: string): Write[] {
    const list = this.#writes.get(tenantId)?.get(resourceId);
    if (!list) return [];
    const horizon = performance.now() - REMEMBER_MS;
    const live = list.filter((w) => !w.writtenAt || w.writtenAt.ms >= horizon);
    if (live.length !== list.length) this.#keep(tenantId, resourceId, live);
    return live;
  }

  #keep(tenantId: string, resourceId: string, list: Write[]): void {
    const tenant = this.#writes.get(tenantId);
    if (!tenant) return;
    if (list.length) tenant.set(resourceId, list);
    else if (tenant.delete(resourceId) && !tenant.size) this.#writes.delete(tenantId);
  }
}

const overlaps = (a: Interval, b: Interval) => a.start < b.end && b.start < a.end;

/**
 * How many bookings this process is making right now, per tenant and start
 * (deciding or writing): how many customers want that time at once. "Any
 * available" reads that many more resources than it would alone, since the
 * others may take the first ones it finds.
 */
export class Crowds {
  readonly #counts = new Map<string, number>();

  /** Counts one more until the returned function is called. */
  join(tenantId: string, start: number): () => void {
    const key = `${tenantId}:${start}`;
    this.#counts.set(key, (this.#counts.get(key) ?? 0) + 1);
    let left = false;
    return () => {
      if (left) return;
      left = true;
      const n = (this.#counts.get(key) ?? 1) - 1;
      if (n) this.#counts.set(key, n);
      else this.#counts.delete(key);
    };
  }

  size(tenantId: string, start: number): number {
    return this.#counts.get(`${tenantId}:${start}`) ?? 0;
  }
}
