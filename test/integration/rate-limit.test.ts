import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RateLimiter } from '../../src/http/rate-limit.ts';
import { createTestDb, type TestDb } from '../support/db.ts';

/**
 * The shared counters: a process decides later hits of a window locally and
 * writes them in batches; two processes (two limiters on one database) learn
 * each other's hits at the first hit of a window and at every flush.
 */
let t: TestDb;
beforeAll(async () => {
  t = await createTestDb();
});
afterAll(() => t.drop());

const hitsInDb = async (key: string) => (await t.owner('rate_limits').where({ key }).first())?.hits as number | undefined;

describe('RateLimiter', () => {
  it('enforces the limit in one process at once, and writes every hit at the flush', async () => {
    const a = new RateLimiter(t.db);
    const answers = [];
    for (let i = 0; i < 5; i++) answers.push((await a.hit('one', 3, 60)).allowed);
    expect(answers).toEqual([true, true, true, false, false]);
    expect(await hitsInDb('one')).toBe(1); // only the window's first hit so far
    await a.flush();
    expect(await hitsInDb('one')).toBe(5);
    const refused = await a.hit('one', 3, 60);
    expect(refused.allowed).toBe(false);
    expect(refused.retryAfter).toBeGreaterThan(0);
    expect(refused.retryAfter).toBeLessThanOrEqual(60);
  });

  it("shares counts between processes: a window's first hit and each flush bring the others' hits", async () => {
    const a = new RateLimiter(t.db);
    const b = new RateLimiter(t.db);
    for (let i = 0; i < 3; i++) expect((await a.hit('shared', 4, 60)).allowed).toBe(true);
    await a.flush();
    // b's first hit sees a's three: its fourth overall is allowed, the fifth not.
    expect((await b.hit('shared', 4, 60)).allowed).toBe(true);
    expect((await b.hit('shared', 4, 60)).allowed).toBe(false);
    await b.flush();
    expect(await hitsInDb('shared')).toBe(5);
    // a learns b's hits at its next flush.
    await a.hit('shared', 4, 60);
    await a.flush();
    expect((await a.hit('shared', 4, 60)).allowed).toBe(false);
    expect(await hitsInDb('shared')).toBe(6);
  });

  it('forgets ended windows, also of callers seen only once', async () => {
    const a = new RateLimiter(t.db);
    for (let i = 0; i < 20; i++) await a.hit(`once:${i}`, 5, 1);
    expect(a.known.size).toBe(20);
    await new Promise((r) => setTimeout(r, 1100));
    await a.flush();
    expect(a.known.size).toBe(0);
  });

  it('starts a new window once the old one has ended', async () => {
    const a = new RateLimiter(t.db);
    expect((await a.hit('window', 1, 1)).allowed).toBe(true);
    expect((await a.hit('window', 1, 1)).allowed).toBe(false);
    await a.flush();
    await new Promise((r) => setTimeout(r, 1100));
    expect((await a.hit('window', 1, 1)).allowed).toBe(true);
    expect(await hitsInDb('window')).toBe(1);
  });
});
