/**
 * Statements of one group (a tenant) that arrive while earlier ones are
 * still running wait, and then go to the database together, as one
 * statement: for writes, a group commit. With no such overlap nothing waits
 * and every call is its own statement, exactly as without this class.
 *
 * - At most `maxRunning` statements per group at once; a call that finds
 *   them all busy joins the queue, and when one returns, everything queued
 *   (up to `maxItems`) leaves together.
 * - Two calls with the same `conflictKey` never share a statement (for
 *   bookings: the resource, whose rules are decided one booking at a time).
 *   The later one waits for the next statement.
 * - `many` answers one result per item, in order. If it throws, nothing of
 *   it happened (it is one transaction), and each item is sent again alone
 *   with `one`, so one item's error is its own and the others still succeed.
 */
export interface CoalescerOptions<T, R> {
  one(group: string, item: T): Promise<R>;
  many(group: string, items: T[]): Promise<R[]>;
  /** Items with the same key never share a statement; without it, any may. */
  conflictKey?(item: T): string;
  maxRunning: number;
  maxItems: number;
  /** Told when a shared statement failed and its items go one by one. */
  onSplit?(group: string, items: number, err: unknown): void;
}

interface Waiting<T, R> {
  item: T;
  resolve(result: R): void;
  reject(err: unknown): void;
}

export class Coalescer<T, R> {
  private readonly queues = new Map<string, Waiting<T, R>[]>();
  private readonly running = new Map<string, number>();
  /** Statements sent, items carried, statements that carried more than one: for tests and benchmarks. */
  readonly stats = { statements: 0, items: 0, together: 0 };

  private readonly opts: CoalescerOptions<T, R>;

  constructor(opts: CoalescerOptions<T, R>) {
    this.opts = opts;
  }

  send(group: string, item: T): Promise<R> {
    return new Promise((resolve, reject) => {
      const queue = this.queues.get(group);
      if (queue) queue.push({ item, resolve, reject });
      else this.queues.set(group, [{ item, resolve, reject }]);
      this.pump(group);
    });
  }

  private pump(group: string): void {
    const queue = this.queues.get(group);
    while (queue?.length && (this.running.get(group) ?? 0) < this.opts.maxRunning) {
      const batch = this.take(queue);
      if (!queue.length) this.queues.delete(group);
      this.running.set(group, (this.running.get(group) ?? 0) + 1);
      void this.run(group, batch).finally(() => {
        const left = this.running.get(group)! - 1;
        if (left) this.running.set(group, left);
        else this.running.delete(group);
        this.pump(group);
      });
    }
  }

  /** The oldest waiting writes with distinct conflict keys, up to maxItems; the rest keep their place. */
  private take(queue: Waiting<T, R>[]): Waiting<T, R>[] {
    const keys = new Set<string>();
    const batch: Waiting<T, R>[] = [];
    for (let i = 0; i < queue.length && batch.length < this.opts.maxItems; ) {
      const key = this.opts.conflictKey?.(queue[i]!.item);
      if (key !== undefined && keys.has(key)) {
        i++;
        continue;
      }
      if (key !== undefined) keys.add(key);
      batch.push(queue.splice(i, 1)[0]!);
    }
    return batch;
  }

  private async run(group: string, batch: Waiting<T, R>[]): Promise<void> {
    this.stats.statements++;
    this.stats.items += batch.length;
    if (batch.length === 1) return this.alone(group, batch[0]!);
    this.stats.together++;
    let results: R[];
    try {
      results = await this.opts.many(group, batch.map((w) => w.item));
      if (results.length !== batch.length) throw new Error(`coalesce: ${results.length} answers for ${batch.length} items`);
    } catch (err) {
      this.opts.onSplit?.(group, batch.length, err);
      this.stats.statements += batch.length;
      await Promise.all(batch.map((w) => this.alone(group, w)));
      return;
    }
    batch.forEach((w, i) => w.resolve(results[i]!));
  }

  private async alone(group: string, w: Waiting<T, R>): Promise<void> {
    try {
      w.resolve(await this.opts.one(group, w.item));
    } catch (err) {
      w.reject(err);
    }
  }
}
