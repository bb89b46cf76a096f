import { afterEach, describe, expect, it, vi } from 'vitest';
import { Crowds, WritesInFlight } from '../../src/bookings/in-flight.ts';

const at = (h: number) => Date.parse('2026-07-06T00:00:00Z') + h * 3_600_000;
const slot = { start: at(9), end: at(10) };
const settle = () => new Promise((resolve) => setImmediate(resolve));

function deferred() {
  let resolve!: (ok: boolean) => void;
  let reject!: (err: unknown) => void;
  const promise = new Promise<boolean>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  return { promise, resolve, reject };
}

afterEach(() => vi.restoreAllMocks());

describe('WritesInFlight', () => {
  it('lists a write in flight over the same time on the same resource of the same tenant, and nothing else', () => {
    const w = new WritesInFlight();
    const mark = w.mark();
    void w.track('t1', 'r1', slot, deferred().promise);
    expect(w.since('t1', 'r1', slot, mark).pending).toHaveLength(1);
    expect(w.since('t1', 'r1', { start: at(9.5), end: at(11) }, mark).pending).toHaveLength(1);
    expect(w.since('t1', 'r1', { start: at(10), end: at(11) }, mark).pending).toHaveLength(0); // touching is not overlapping
    expect(w.since('t1', 'r2', slot, mark).pending).toHaveLength(0);
    expect(w.since('t2', 'r1', slot, mark).pending).toHaveLength(0);
    expect(w.since('t1', 'r1', slot, mark).written).toBe(false);
  });

  it('forgets a write that failed or threw, and answers false for it to whoever waits', async () => {
    const w = new WritesInFlight();
    const mark = w.mark();
    const failed = deferred();
    const threw = deferred();
    const written = w.track('t1', 'r1', slot, failed.promise);
    const thrown = w.track('t1', 'r1', slot, threw.promise);
    const { pending } = w.since('t1', 'r1', slot, mark);
    failed.resolve(false);
    threw.reject(Object.assign(new Error('exclusion'), { code: '23P01' }));
    expect(await Promise.all(pending)).toEqual([false, false]);
    expect(await written).toBe(false);
    await expect(thrown).rejects.toThrow('exclusion'); // the caller still gets its own error
    await settle();
    expect(w.since('t1', 'r1', slot, mark)).toEqual({ written: false, pending: [] });
  });

  it('knows a booking written after a mark, not before it, and forgets it after two seconds', async () => {
    const w = new WritesInFlight();
    const before = w.mark();
    const write = deferred();
    void w.track('t1', 'r1', slot, write.promise);
    write.resolve(true);
    await settle();
    const after = w.mark();
    expect(w.since('t1', 'r1', slot, before)).toEqual({ written: true, pending: [] });
    expect(w.since('t1', 'r1', slot, after)).toEqual({ written: false, pending: [] });
    const now = performance.now();
    vi.spyOn(performance, 'now').mockReturnValue(now + 1_900);
    expect(w.since('t1', 'r1', slot, before).written).toBe(true);
    vi.spyOn(performance, 'now').mockReturnValue(now + 2_100);
    expect(w.since('t1', 'r1', slot, before).written).toBe(false);
  });
});

describe('Crowds', () => {
  it('counts the bookings being made per tenant and start until each leaves, once', () => {
    const crowds = new Crowds();
    const first = crowds.join('t1', at(9));
    const second = crowds.join('t1', at(9));
    crowds.join('t1', at(10));
    crowds.join('t2', at(9));
    expect(crowds.size('t1', at(9))).toBe(2);
    first();
    first();
    expect(crowds.size('t1', at(9))).toBe(1);
    second();
    expect(crowds.size('t1', at(9))).toBe(0);
    expect(crowds.size('t1', at(10))).toBe(1);
    expect(crowds.size('t2', at(9))).toBe(1);
  });
});
