import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApp } from '../../src/http/app.ts';
import { withTenant } from '../../src/db/tenant.ts';
import { hashPassword } from '../../src/auth/passwords.ts';
import { insertUser } from '../../src/auth/queries.ts';
import type { AppDeps } from '../../src/deps.ts';
import { createTestDb, TestClock, testDeps, type TestDb } from '../support/db.ts';
import { Client, makeTenant } from '../support/http.ts';

/**
 * Sign-in throttles with the real limits: per account (tenant + email) from
 * any address, and per client address (IPv6 by /64) across accounts, each
 * with a growing wait rather than a lockout. Client addresses come from
 * X-Forwarded-For, which the app trusts from loopback (TRUST_PROXY).
 */
let t: TestDb;
let deps: AppDeps;
let app: ReturnType<typeof createApp>;
const clock = new TestClock(Date.parse('2026-06-01T09:00:00Z'));
const PASSWORD = 'correct-horse-battery';
let hash: string;

beforeAll(async () => {
  t = await createTestDb();
  deps = testDeps(t, clock);
  app = createApp(deps);
  hash = await hashPassword(PASSWORD);
});
afterAll(() => t.drop());

async function business(slug: string, people = 0) {
  const { tenant } = await makeTenant(deps, slug, { email: `owner@${slug}.example`, password: PASSWORD });
  await withTenant(deps.db, tenant.id, async (tx) => {
    for (let i = 0; i < people; i++) await insertUser(tx, { email: `p${i}@${slug}.example`, name: `Person ${i}`, role: 'staff', passwordHash: hash });
  });
  return `${slug}.slotwise.test`;
}

async function loginPage(host: string) {
  const c = new Client(app, host);
  await c.open('/login');
  return c;
}

const attempt = (c: Client, from: string, email: string, password: string) => c.post('/login', { email, password }).set('X-Forwarded-For', from);

describe('per account', () => {
  it('slows down guesses at one account from many addresses, says how long to wait, and lets the owner in after it', async () => {
    const host = await business('guessed');
    const c = await loginPage(host);
    for (let i = 1; i <= 10; i++) expect((await attempt(c, `198.51.100.${i}`, 'owner@guessed.example', 'wrong-password')).status).toBe(401);
    const held = await attempt(c, '203.0.113.99', 'owner@guessed.example', PASSWORD);
    expect(held.status).toBe(429);
    expect(held.headers['retry-after']).toBe('30');
    expect(held.text).toContain('Too many attempts to sign in. Try again in 30 seconds.');
    expect(held.text).toContain('<form method="post" action="/login"'); // the form again, not an error page

    clock.advance(31_000);
    expect((await attempt(c, '203.0.113.99', 'owner@guessed.example', PASSWORD)).status).toBe(303);
  });

  it('doubles the wait with each further failure', async () => {
    const host = await business('doubling');
    const c = await loginPage(host);
    const waits: string[] = [];
    for (let i = 0; i < 10; i++) await attempt(c, '198.51.100.20', 'owner@doubling.example', 'wrong-password');
    for (let round = 0; round < 3; round++) {
      const refused = await attempt(c, '198.51.100.20', 'owner@doubling.example', 'wrong-password');
      expect(refused.status).toBe(429);
      waits.push(refused.headers['retry-after']!);
      clock.advance(Number(refused.headers['retry-after']) * 1000);
      expect((await attempt(c, '198.51.100.20', 'owner@doubling.example', 'wrong-password')).status).toBe(401);
    }
    expect(waits).toEqual(['30', '60', '120']);
  });

  it('decides attempts sent in parallel one after another: never more than the free ones get a password check', async () => {
    const host = await business('parallel');
    const c = await loginPage(host);
    const statuses = (await Promise.all(Array.from({ length: 20 }, (_, i) => attempt(c, `198.51.100.${100 + i}`, 'owner@parallel.example', 'wrong-password')))).map((r) => r.status);
    expect(statuses.filter((s) => s === 401)).toHaveLength(10);
    expect(statuses.filter((s) => s === 429)).toHaveLength(10);
  });
});

describe('per address', () => {
  it('counts an IPv6 client by its /64: a few guesses at many accounts from one /64 are slowed down, another /64 is not', async () => {
    const host = await business('spray', 31);
    const c = await loginPage(host);
    // 30 accounts, one wrong password each, each from a different address of one /64.
    for (let i = 0; i < 30; i++) expect((await attempt(c, `2001:db8:aa:1::${(i + 1).toString(16)}`, `p${i}@spray.example`, 'wrong-password')).status).toBe(401);
    const sameNet = await attempt(c, '2001:db8:aa:1:ffff:ffff:ffff:1', 'p30@spray.example', PASSWORD);
    expect(sameNet.status).toBe(429);
    expect(Number(sameNet.headers['retry-after'])).toBeGreaterThan(0);
    expect((await attempt(await loginPage(host), '2001:db8:aa:2::1', 'p30@spray.example', PASSWORD)).status).toBe(303);
  });

  it('never locks out an office behind one NAT that signs in normally, typos included', async () => {
    const host = await business('office', 40);
    const statuses: number[] = [];
    for (let i = 0; i < 40; i++) {
      const c = await loginPage(host);
      if (i % 2 === 0) statuses.push((await attempt(c, '192.0.2.10', `p${i}@office.example`, 'typo-in-password')).status);
      statuses.push((await attempt(c, '192.0.2.10', `p${i}@office.example`, PASSWORD)).status);
    }
    expect(statuses.filter((s) => s === 401)).toHaveLength(20);
    expect(statuses.filter((s) => s === 303)).toHaveLength(40);
    expect(statuses).not.toContain(429);
  });
});
