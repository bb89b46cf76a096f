import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { createApp } from '../../src/http/app.ts';
import { createBooking } from '../../src/bookings/service.ts';
import { seedDemoIfEmpty } from '../../src/tenancy/seed.ts';
import type { AppDeps } from '../../src/deps.ts';
import { createTestDb, TestClock, testDeps, type TestDb } from '../support/db.ts';
import { Client, makeTenant, signedIn } from '../support/http.ts';
import { makeResource, makeService } from '../support/catalog.ts';
import { runJobs } from '../support/jobs.ts';
import { Mailbox } from '../support/mail.ts';

/**
 * The platform's mail is not a free spam cannon: a new business sends a
 * small allowance (2 here) before its owner confirms their address, and at
 * most a daily cap (4 here) once confirmed. What waits is `held`, says why,
 * and goes out later. Account mail (resets, confirmations, API key notices)
 * is never held.
 */
let t: TestDb;
let deps: AppDeps;
let app: ReturnType<typeof createApp>;
let mail: Mailbox;
const clock = new TestClock(Date.parse('2026-09-07T10:00:00Z'));
const ALLOWANCE = 2;
const CAP = 4;

beforeAll(async () => {
  t = await createTestDb();
  mail = await new Mailbox().start();
  deps = testDeps(t, clock, { RATE_LIMIT_MULTIPLIER: '100', MAIL_UNVERIFIED_ALLOWANCE: String(ALLOWANCE), MAIL_DAILY_CAP_PER_TENANT: String(CAP), ...mail.env });
  app = createApp(deps);
});
afterAll(async () => {
  await mail.stop();
  await t.drop();
});
afterEach(() => {
  vi.useRealTimers();
});

/** Book `n` appointments, one per hour from two days ahead, each with its own customer. */
async function bookings(tenantId: string, n: number, prefix: string) {
  const resource = await makeResource(deps, tenantId, `Room ${prefix}`, 'UTC', [['00:00', '24:00']]);
  const service = await makeService(deps, tenantId, [resource.id], { name: `Visit ${prefix}` });
  const day = Math.floor(clock.now().getTime() / 86_400_000) + 2;
  for (let i = 0; i < n; i++) {
    await createBooking(deps, tenantId, { source: 'public', userId: null }, {
      serviceId: service.id, resourceId: null, start: day * 86_400_000 + (8 + i) * 3_600_000,
      customer: { name: `Customer ${i}`, email: `${prefix}${i}@customers.example`, phone: null, timeZone: 'UTC' }, notes: null,
    });
  }
}

/**
 * Move the app's clock and the worker's together ("due" follows the process
 * clock with useNodeTime), so reminders days ahead stay not due.
 */
function at(iso: string): void {
  clock.set(iso);
  vi.useFakeTimers({ toFake: ['Date'] });
  vi.setSystemTime(clock.now());
}
const work = () => runJobs(t, deps, { useNodeTime: true });

const confirmations = (tenantId: string) =>
  t.owner('notifications').where({ tenant_id: tenantId, kind: 'booking_confirmation' }).orderBy('to_address').select('to_address', 'status', 'last_error');
const sentTo = (prefix: string) => mail.sg.received.filter((m) => m.body.personalizations[0]!.to[0]!.email.startsWith(prefix)).length;

describe('before the owner confirms their email address', () => {
  it('sends the allowance, holds the rest with a clear status, and sends them once the owner opens the link', async () => {
    at('2026-09-07T10:00:00Z');
    const root = new Client(app, 'slotwise.test');
    await root.open('/signup');
    const signup = await root.post('/signup', { businessName: 'Spam Ltd', slug: 'spam-ltd', email: 'founder@spam.example', password: 'tide-pool-anemone', timeZone: 'UTC' });
    expect(signup.status).toBe(303);
    const tenant = await t.owner('tenants').where({ slug: 'spam-ltd' }).first();
    expect(tenant.owner_email_verified_at).toBeNull();

    await bookings(tenant.id, ALLOWANCE + 2, 'spam');
    await work();
    expect(sentTo('spam')).toBe(ALLOWANCE);
    const rows = await confirmations(tenant.id);
    expect(rows.filter((r) => r.status === 'sent')).toHaveLength(ALLOWANCE);
    const held = rows.filter((r) => r.status === 'held');
    expect(held).toHaveLength(2);
    for (const r of held) expect(r.last_error).toContain(`a new business sends ${ALLOWANCE} messages before its owner verifies their email address`);
    // Account mail is not held: the confirmation link itself went out.
    expect(mail.to('founder@spam.example', 'email_verification')).toHaveLength(1);

    // The Messages page says so, and the owner may ask for a new link.
    const owner = await signedIn(app, 'spam-ltd.slotwise.test', 'founder@spam.example', 'tide-pool-anemone');
    const page = await owner.open('/admin/outbox');
    expect(page.text).toContain('is not confirmed yet');
    expect(page.text).toContain('(2 waiting now)');
    expect(page.text).toContain('Send the link again');
    expect((await owner.post('/admin/verify-email')).status).toBe(303);
    await work();
    expect(mail.to('founder@spam.example', 'email_verification')).toHaveLength(2);
    const older = mail.to('founder@spam.example', 'email_verification')[0]!.body.content[0]!.value.match(/\/verify-email\/\S+/)![0];
    expect((await owner.get(older)).status).toBe(410); // the new link replaces the old one

    // Opening the link shows a button; only the POST confirms (mail scanners fetch links).
    const link = mail.lastLinkPath('founder@spam.example', 'email_verification', '/verify-email/');
    await owner.open(link);
    expect((await t.owner('tenants').where({ id: tenant.id }).first()).owner_email_verified_at).toBeNull();
    const confirmed = await owner.post(link);
    expect(confirmed.status).toBe(303);
    expect((await t.owner('tenants').where({ id: tenant.id }).first()).owner_email_verified_at).not.toBeNull();
    expect((await owner.get(link)).status).toBe(410);

    await work();
    expect(sentTo('spam')).toBe(ALLOWANCE + 2);
    expect((await confirmations(tenant.id)).map((r) => r.status)).toEqual(Array(ALLOWANCE + 2).fill('sent'));
    expect((await owner.open('/admin/outbox')).text).not.toContain('is not confirmed yet');
  });

  it('refuses a forged or used confirmation link and changes nothing', async () => {
    const { tenant } = await makeTenant(deps, 'forged', { verified: false });
    const c = new Client(app, 'forged.slotwise.test');
    expect((await c.open('/verify-email/not-a-real-token-at-all')).status).toBe(410);
    expect((await c.post('/verify-email/not-a-real-token-at-all')).status).toBe(410);
    expect((await t.owner('tenants').where({ id: tenant.id }).first()).owner_email_verified_at).toBeNull();
  });
});

describe('the daily cap', () => {
  it('holds what goes over the cap until the next UTC day, and never holds account mail', async () => {
    at('2026-09-10T10:00:00Z');
    const { tenant } = await makeTenant(deps, 'busy', { email: 'owner@busy.example' });
    await bookings(tenant.id, CAP + 2, 'busy');
    await work();
    expect(sentTo('busy')).toBe(CAP);
    const held = (await confirmations(tenant.id)).filter((r) => r.status === 'held');
    expect(held).toHaveLength(2);
    for (const r of held) expect(r.last_error).toContain(`the daily limit of ${CAP} messages is reached. It goes out after 00:00 UTC`);

    // A password reset goes out all the same.
    const c = new Client(app, 'busy.slotwise.test');
    await c.open('/password/forgot');
    await c.post('/password/forgot', { email: 'owner@busy.example' });
    await work();
    expect(mail.to('owner@busy.example', 'password_reset')).toHaveLength(1);

    // Later the same day: still held. After midnight UTC: sent.
    at('2026-09-10T23:59:00Z');
    await work();
    expect(sentTo('busy')).toBe(CAP);
    at('2026-09-11T00:00:30Z');
    await work();
    expect(sentTo('busy')).toBe(CAP + 2);
    expect((await confirmations(tenant.id)).map((r) => r.status)).toEqual(Array(CAP + 2).fill('sent'));
  });
});

describe('businesses the operator vouches for', () => {
  it('counts the demo business as verified', async () => {
    const empty = await createTestDb();
    try {
      const demoDeps = testDeps(empty, clock);
      expect(await seedDemoIfEmpty(demoDeps)).toBe(true);
      expect((await empty.owner('tenants').where({ slug: 'demo' }).first()).owner_email_verified_at).not.toBeNull();
    } finally {
      await empty.drop();
    }
  });
});
