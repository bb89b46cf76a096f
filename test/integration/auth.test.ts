import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApp } from '../../src/http/app.ts';
import { createTestDb, TestClock, testDeps, type TestDb } from '../support/db.ts';
import { Client, makeTenant, signedIn } from '../support/http.ts';
import type { AppDeps } from '../../src/deps.ts';
import { runJobs } from '../support/jobs.ts';
import { Mailbox } from '../support/mail.ts';

let t: TestDb;
let deps: AppDeps;
let app: ReturnType<typeof createApp>;
let mail: Mailbox;
const clock = new TestClock(Date.parse('2026-03-08T06:30:00Z'));
const HOST = 'acme.slotwise.test';

beforeAll(async () => {
  t = await createTestDb();
  mail = await new Mailbox().start();
  // Other tests sign in often from one address; the rate-limit test builds its own app with real limits.
  deps = testDeps(t, clock, { RATE_LIMIT_MULTIPLIER: '100', ...mail.env });
  app = createApp(deps);
  await makeTenant(deps, 'acme', { email: 'owner@acme.example' });
});
afterAll(async () => {
  await mail.stop();
  await t.drop();
});

/** The reset link as the owner receives it (the outbox keeps no private links). */
async function lastResetLink(): Promise<string> {
  await runJobs(t, deps);
  return mail.lastLinkPath('owner@acme.example', 'password_reset', '/password/reset/');
}

describe('login and logout', () => {
  it('signs in with the right password and out again', async () => {
    const c = await signedIn(app, HOST, 'owner@acme.example');
    expect((await c.get('/admin')).status).toBe(200);
    const out = await c.post('/logout');
    expect(out.status).toBe(303);
    expect((await c.get('/admin')).status).toBe(303);
  });

  it('refuses a wrong password with one message that does not say which part was wrong', async () => {
    const c = new Client(app, HOST);
    await c.open('/login');
    const wrongPassword = await c.post('/login', { email: 'owner@acme.example', password: 'not-the-password' });
    const unknownEmail = await c.post('/login', { email: 'nobody@acme.example', password: 'not-the-password' });
    for (const res of [wrongPassword, unknownEmail]) {
      expect(res.status).toBe(401);
      expect(res.text).toContain('That email and password do not match an account here.');
    }
    expect((await c.get('/admin')).status).toBe(303);
  });

  it('re-renders an invalid login form with 422 and field errors', async () => {
    const c = new Client(app, HOST);
    await c.open('/login');
    const res = await c.post('/login', { email: 'nope', password: '' });
    expect(res.status).toBe(422);
    expect(res.text).toContain('Enter an email address');
    expect(res.text).toContain('Enter your password');
  });

  it('never redirects to another host after login', async () => {
    const c = new Client(app, HOST);
    await c.open('/login');
    const res = await c.post('/login', { email: 'owner@acme.example', password: 'correct-horse-battery', next: '//evil.example/x' });
    expect(res.status).toBe(303);
    expect(res.headers.location).toBe('/admin');
  });

  it('rate-limits login attempts per address and tenant with 429 and Retry-After', async () => {
    await makeTenant(deps, 'limited');
    const strict = createApp(testDeps(t, clock));
    const c = new Client(strict, 'limited.slotwise.test');
    await c.open('/login');
    const statuses: number[] = [];
    for (let i = 0; i < 11; i++) statuses.push((await c.post('/login', { email: 'owner@limited.example', password: 'wrong-password' })).status);
    expect(statuses.slice(0, 10).every((s) => s === 401)).toBe(true);
    const limited = await c.post('/login', { email: 'owner@limited.example', password: 'correct-horse-battery' });
    expect(limited.status).toBe(429);
    expect(Number(limited.headers['retry-after'])).toBeGreaterThan(0);
    expect(limited.text).toContain('Too many attempts');
  });
});

describe('CSRF', () => {
  it('refuses a state-changing request without the session token and changes nothing', async () => {
    const c = await signedIn(app, HOST, 'owner@acme.example');
    const res = await c.agent.post('/admin/settings').set('Host', HOST).type('form').send({ name: 'Hacked', accentColor: '#000000', timeZone: 'UTC', logoUrl: '' });
    expect(res.status).toBe(403);
    expect(res.text).toContain('This form has expired');
    const tenant = await t.owner('tenants').where({ slug: 'acme' }).first();
    expect(tenant.name).not.toBe('Hacked');
  });

  it('refuses a token from another session', async () => {
    const victim = await signedIn(app, HOST, 'owner@acme.example');
    const attacker = new Client(app, HOST);
    await attacker.open('/login');
    victim.token = attacker.token;
    const res = await victim.post('/admin/settings', { name: 'Hacked', accentColor: '#000000', timeZone: 'UTC', logoUrl: '' });
    expect(res.status).toBe(403);
  });

  it('refuses, once signed in, the token the login page carried (tokens are bound to the session and renewed)', async () => {
    const c = new Client(app, HOST);
    await c.open('/login');
    const before = c.token;
    expect((await c.post('/login', { email: 'owner@acme.example', password: 'correct-horse-battery' })).status).toBe(303);
    const res = await c.post('/admin/settings', { _csrf: before, name: 'Hacked', accentColor: '#000000', timeZone: 'UTC', logoUrl: '' });
    expect(res.status).toBe(403);
    await c.open('/admin/settings');
    expect(c.token).not.toBe(before);
    const ok = await c.post('/admin/settings', { name: 'acme business', accentColor: '#2563eb', timeZone: 'America/New_York', logoUrl: '' });
    expect(ok.status).toBe(303);
  });

  it('refuses a request from another origin even with a valid token (tenant subdomains are same-site)', async () => {
    const c = await signedIn(app, HOST, 'owner@acme.example');
    const res = await c.agent
      .post('/admin/settings')
      .set('Host', HOST)
      .set('Origin', 'http://evil.slotwise.test')
      .type('form')
      .send({ _csrf: c.token, name: 'Hacked', accentColor: '#000000', timeZone: 'UTC', logoUrl: '' });
    expect(res.status).toBe(403);
  });

  it('accepts the token in the X-CSRF-Token header, as htmx sends it', async () => {
    const c = await signedIn(app, HOST, 'owner@acme.example');
    const res = await c.agent
      .post('/admin/settings')
      .set('Host', HOST)
      .set('Origin', `http://${HOST}`)
      .set('X-CSRF-Token', c.token)
      .type('form')
      .send({ name: 'Acme Clinic', accentColor: '#0F766E', timeZone: 'America/Chicago', logoUrl: '' });
    expect(res.status).toBe(303);
    const tenant = await t.owner('tenants').where({ slug: 'acme' }).first();
    expect(tenant).toMatchObject({ name: 'Acme Clinic', accent_color: '#0f766e', time_zone: 'America/Chicago' });
    const css = await c.get('/brand.css');
    expect(css.text).toContain('--accent: #0f766e');
  });
});

describe('password reset', () => {
  it('sends a link that works once, then never again', async () => {
    const c = new Client(app, HOST);
    await c.open('/password/forgot');
    const sent = await c.post('/password/forgot', { email: 'owner@acme.example' });
    expect(sent.status).toBe(200);
    expect(sent.text).toContain('If that address belongs to an account here');
    const path = await lastResetLink();

    expect((await c.open(path)).status).toBe(200);
    const weak = await c.post(path, { password: 'short', confirm: 'short' });
    expect(weak.status).toBe(422);
    const done = await c.post(path, { password: 'new-harbor-lights', confirm: 'new-harbor-lights' });
    expect(done.status).toBe(303);
    expect(done.headers.location).toBe('/login');

    expect((await c.get(path)).status).toBe(410);
    const reuse = await c.post(path, { password: 'another-one-entirely', confirm: 'another-one-entirely' });
    expect(reuse.status).toBe(410);

    await signedIn(app, HOST, 'owner@acme.example', 'new-harbor-lights');
    const old = new Client(app, HOST);
    await old.open('/login');
    expect((await old.post('/login', { email: 'owner@acme.example', password: 'correct-horse-battery' })).status).toBe(401);
  });

  it('expires the link after 60 minutes', async () => {
    const c = new Client(app, HOST);
    await c.open('/password/forgot');
    await c.post('/password/forgot', { email: 'owner@acme.example' });
    const path = await lastResetLink();
    clock.advance(61 * 60 * 1000);
    expect((await c.get(path)).status).toBe(410);
    const res = await c.post(path, { password: 'late-harbor-lights', confirm: 'late-harbor-lights' });
    expect(res.status).toBe(410);
  });

  it('answers the same for an unknown address and sends nothing', async () => {
    await runJobs(t, deps);
    const before = mail.sg.received.length;
    const c = new Client(app, HOST);
    await c.open('/password/forgot');
    const res = await c.post('/password/forgot', { email: 'stranger@acme.example' });
    await runJobs(t, deps);
    expect(res.status).toBe(200);
    expect(res.text).toContain('If that address belongs to an account here');
    expect(mail.sg.received.length).toBe(before);
    expect(await t.owner('notifications').where({ to_address: 'stranger@acme.example' })).toHaveLength(0);
  });

  it('refuses a forged token', async () => {
    const res = await new Client(app, HOST).get('/password/reset/forged-token-value');
    expect(res.status).toBe(410);
  });
});
