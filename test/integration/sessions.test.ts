import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { createApp } from '../../src/http/app.ts';
import { withTenant } from '../../src/db/tenant.ts';
import { hashPassword } from '../../src/auth/passwords.ts';
import { insertUser } from '../../src/auth/queries.ts';
import type { AppDeps } from '../../src/deps.ts';
import { createTestDb, TestClock, testDeps, type TestDb } from '../support/db.ts';
import { Client, makeTenant, signedIn } from '../support/http.ts';
import { runJobs } from '../support/jobs.ts';
import { Mailbox } from '../support/mail.ts';
import { concretePath, listRoutes } from '../support/routes.ts';

let t: TestDb;
let deps: AppDeps;
let app: ReturnType<typeof createApp>;
let mail: Mailbox;
let tenantId: string;
const clock = new TestClock(Date.parse('2026-07-01T08:00:00Z'));
const HOUR = 3600_000;
const HOST = 'keys.slotwise.test';

beforeAll(async () => {
  t = await createTestDb();
  mail = await new Mailbox().start();
  deps = testDeps(t, clock, { RATE_LIMIT_MULTIPLIER: '100', ...mail.env });
  app = createApp(deps);
  tenantId = (await makeTenant(deps, 'keys', { email: 'owner@keys.example' })).tenant.id;
  const hash = await hashPassword('correct-horse-battery');
  await withTenant(deps.db, tenantId, async (tx) => {
    for (const who of ['reset', 'change', 'idle', 'slack', 'busy', 'other']) await insertUser(tx, { email: `${who}@keys.example`, name: who, role: 'admin', passwordHash: hash });
  });
});
afterAll(async () => {
  await mail.stop();
  await t.drop();
});

const isSignedIn = async (c: Client) => (await c.get('/admin')).status === 200;
const sessionsOf = async (email: string) => {
  const user = await t.owner('users').where({ email }).first();
  return t.owner('http_sessions').where({ signed_in_tenant: tenantId, signed_in_user: user.id });
};

describe('a new password ends the other sessions', () => {
  it('a password reset signs the user out everywhere, other people stay signed in', async () => {
    const laptop = await signedIn(app, HOST, 'reset@keys.example');
    const phone = await signedIn(app, HOST, 'reset@keys.example');
    const colleague = await signedIn(app, HOST, 'other@keys.example');
    expect(await sessionsOf('reset@keys.example')).toHaveLength(2);

    const c = new Client(app, HOST);
    await c.open('/password/forgot');
    await c.post('/password/forgot', { email: 'reset@keys.example' });
    await runJobs(t, deps);
    const link = mail.lastLinkPath('reset@keys.example', 'password_reset', '/password/reset/');
    await c.open(link);
    expect((await c.post(link, { password: 'fresh-harbor-lights', confirm: 'fresh-harbor-lights' })).status).toBe(303);

    expect(await isSignedIn(laptop)).toBe(false);
    expect(await isSignedIn(phone)).toBe(false);
    expect(await sessionsOf('reset@keys.example')).toHaveLength(0);
    expect(await isSignedIn(colleague)).toBe(true);
    await signedIn(app, HOST, 'reset@keys.example', 'fresh-harbor-lights');
  });

  it('changing the password keeps this session and ends the others', async () => {
    const here = await signedIn(app, HOST, 'change@keys.example');
    const elsewhere = await signedIn(app, HOST, 'change@keys.example');
    await here.open('/admin/account/password');
    const wrong = await here.post('/admin/account/password', { current: 'not-my-password', password: 'second-harbor-lights', confirm: 'second-harbor-lights' });
    expect(wrong.status).toBe(422);
    expect(wrong.text).toContain('That is not your current password.');
    expect(await isSignedIn(elsewhere)).toBe(true);

    const done = await here.post('/admin/account/password', { current: 'correct-horse-battery', password: 'second-harbor-lights', confirm: 'second-harbor-lights' });
    expect(done.status).toBe(303);
    expect(await isSignedIn(here)).toBe(true);
    expect(await isSignedIn(elsewhere)).toBe(false);
    expect(await sessionsOf('change@keys.example')).toHaveLength(1);
    expect(await t.owner('audit_log').where({ action: 'account.password' })).toHaveLength(1);
  });
});

describe('session lifetime (on the wall clock, as the cookie and the store)', () => {
  afterEach(() => {
    vi.useRealTimers();
  });
  let wall = 0;
  const startWall = () => {
    wall = Date.now();
    vi.useFakeTimers({ toFake: ['Date'] });
    vi.setSystemTime(wall);
  };
  const advance = (ms: number) => vi.setSystemTime((wall += ms));

  it('ends a session after 12 hours without a request', async () => {
    startWall();
    const c = await signedIn(app, HOST, 'idle@keys.example');
    advance(11 * HOUR);
    expect(await isSignedIn(c)).toBe(true);
    advance(11 * HOUR); // 22 h after signing in, 11 h after the last request
    expect(await isSignedIn(c)).toBe(true);
    advance(12 * HOUR + 60_000);
    const res = await c.get('/admin');
    expect(res.status).toBe(303);
    expect(res.headers.location).toBe('/login?next=%2Fadmin');
  });

  it('ends it on the server even while the cookie and the row are still there (their expiry trails by up to 5 minutes)', async () => {
    const c = await signedIn(app, HOST, 'slack@keys.example');
    const [row] = await sessionsOf('slack@keys.example');
    // The last request 12 h ago as the session remembers it; cookie and row left as they are.
    await t.owner('http_sessions').where({ sid: row.sid }).update({
      sess: t.owner.raw(`jsonb_set(sess::jsonb, '{seenAt}', to_jsonb(?::bigint))::json`, [Date.now() - 12 * HOUR - 60_000]),
    });
    const res = await c.get('/admin');
    expect(res.status).toBe(303);
    expect((await c.get('/login')).text).toContain('Your session has ended. Sign in again.');
    expect(await sessionsOf('slack@keys.example')).toHaveLength(0);
  });

  it('ends even a busy session 14 days after signing in', async () => {
    startWall();
    const c = await signedIn(app, HOST, 'busy@keys.example');
    for (let h = 0; h < 14 * 24 - 12; h += 10) {
      advance(10 * HOUR);
      expect(await isSignedIn(c), `after ${h + 10} h`).toBe(true);
    }
    advance(13 * HOUR);
    expect(await isSignedIn(c)).toBe(false);
  });
});

describe('caching', () => {
  it('marks every /admin answer no-store: pages, fragments, redirects and errors, signed in or not', async () => {
    const owner = await signedIn(app, HOST, 'owner@keys.example');
    const gets = listRoutes(app).filter((r) => r.path.startsWith('/admin') && r.methods.includes('GET'));
    expect(gets.length).toBeGreaterThan(20);
    for (const route of gets) {
      const res = await owner.get(concretePath(route.path));
      expect(res.headers['cache-control'], `GET ${route.path} (${res.status})`).toBe('no-store');
    }
    const anonymous = await new Client(app, HOST).get('/admin/settings');
    expect(anonymous.status).toBe(303);
    expect(anonymous.headers['cache-control']).toBe('no-store');
    const missing = await owner.get('/admin/no-such-page');
    expect(missing.status).toBe(404);
    expect(missing.headers['cache-control']).toBe('no-store');
  });
});
