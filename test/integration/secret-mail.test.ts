import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { createApp } from '../../src/http/app.ts';
import { withTenant } from '../../src/db/tenant.ts';
import { hashPassword } from '../../src/auth/passwords.ts';
import { insertUser } from '../../src/auth/queries.ts';
import { setLogLevel } from '../../src/log.ts';
import type { AppDeps } from '../../src/deps.ts';
import { createTestDb, testDeps, type TestDb } from '../support/db.ts';
import { Client, makeTenant, signedIn } from '../support/http.ts';
import { runJobs } from '../support/jobs.ts';

/**
 * Without a mail provider, mail is kept in the business's outbox, which its
 * admins read at /admin/outbox. Mail that carries a private link (password
 * reset, invitation, email confirmation) must not be readable there: an
 * admin could otherwise reset the owner's password and take the account.
 */
let t: TestDb;
let deps: AppDeps;
let app: ReturnType<typeof createApp>;
const HOST = 'heist.slotwise.test';
const SECRET_LINK = /https?:\/\/[^\s"'<>]+\/(?:password\/reset|invite|verify-email)\/[^\s"'<>]+/;

beforeAll(async () => {
  t = await createTestDb();
  deps = testDeps(t, undefined, { RATE_LIMIT_MULTIPLIER: '100' }); // no SENDGRID_API_KEY: the outbox transport
  app = createApp(deps);
  const { tenant } = await makeTenant(deps, 'heist', { email: 'owner@heist.example' });
  await withTenant(deps.db, tenant.id, async (tx) =>
    insertUser(tx, { email: 'mallory@heist.example', name: 'Mallory Admin', role: 'admin', passwordHash: await hashPassword('correct-horse-battery') }),
  );
});
afterAll(() => t.drop());
afterEach(() => {
  vi.restoreAllMocks();
  setLogLevel('silent');
});

async function requestReset(email: string) {
  const c = new Client(app, HOST);
  await c.open('/password/forgot');
  expect((await c.post('/password/forgot', { email })).status).toBe(200);
}

describe('secret mail in the outbox', () => {
  it('keeps an admin from taking over the owner account through a reset link in the outbox', async () => {
    const mallory = await signedIn(app, HOST, 'mallory@heist.example');
    await requestReset('owner@heist.example');
    await runJobs(t, deps);

    const outbox = await mallory.get('/admin/outbox');
    expect(outbox.status).toBe(200);
    expect(outbox.text).toContain('Reset your heist business password'); // the message is listed…
    expect(outbox.text).toContain('[link removed: it was sent to the recipient only]'); // …without its link
    expect(outbox.text).not.toMatch(SECRET_LINK);
    const kept = await t.owner('outbox_messages').where({ kind: 'password_reset', to_address: 'owner@heist.example' });
    expect(kept).toHaveLength(1);
    expect(kept[0].text_body).not.toMatch(SECRET_LINK);
    expect(kept[0].html_body).not.toMatch(SECRET_LINK);
    const asEmail = await mallory.get(`/admin/outbox/${kept[0].id}/html`);
    expect(asEmail.status).toBe(200);
    expect(asEmail.text).toContain('href="#link-removed"');
    expect(asEmail.text).not.toMatch(SECRET_LINK);
    // The notification row holds the link only sealed, and not at all once sent.
    const row = await t.owner('notifications').where({ kind: 'password_reset', to_address: 'owner@heist.example' }).first();
    expect(row).toMatchObject({ status: 'sent', payload: {} });

    // Nothing Mallory can read opens the owner's reset form; the owner's password still works.
    for (const m of outbox.text.matchAll(/\/password\/reset\/[\w-]+/g)) expect((await mallory.get(m[0])).status).toBe(410);
    await signedIn(app, HOST, 'owner@heist.example');
  });

  it('shows the operator the real links in the server log in development, and still never in the outbox', async () => {
    const dev = testDeps(t, undefined, { NODE_ENV: 'development', RATE_LIMIT_MULTIPLIER: '100' });
    const devApp = createApp(dev);
    setLogLevel('info');
    const lines: string[] = [];
    vi.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => (lines.push(String(chunk)), true));

    const owner = await signedIn(devApp, HOST, 'owner@heist.example');
    await owner.post('/admin/staff/invitations', { email: 'newbie@heist.example', role: 'staff' });
    const c = new Client(devApp, HOST);
    await c.open('/password/forgot');
    await c.post('/password/forgot', { email: 'owner@heist.example' });
    await runJobs(t, dev);
    vi.restoreAllMocks();
    setLogLevel('silent');

    const logged = lines.filter((l) => l.includes('shown in development only')).map((l) => JSON.parse(l) as { kind: string; links: string[] });
    const links = logged.flatMap((l) => l.links);
    expect(logged.map((l) => l.kind).sort()).toEqual(['password_reset', 'staff_invite']);
    expect(links).toHaveLength(2);
    // The logged links are the real ones…
    for (const link of links) expect((await new Client(devApp, HOST).get(new URL(link).pathname)).status).toBe(200);
    // …and no trace of their tokens is kept anywhere an admin reads.
    const page = (await owner.get('/admin/outbox')).text;
    const rows = await t.owner('outbox_messages').select('text_body', 'html_body');
    for (const link of links) {
      const token = link.split('/').pop()!;
      expect(page).not.toContain(token);
      for (const r of rows) expect(`${r.text_body} ${r.html_body}`).not.toContain(token);
    }
  });

  it('never logs the links outside development', async () => {
    setLogLevel('info');
    const lines: string[] = [];
    vi.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => (lines.push(String(chunk)), true));
    await requestReset('owner@heist.example');
    await runJobs(t, deps);
    vi.restoreAllMocks();
    expect(lines.some((l) => l.includes('mail kept in outbox'))).toBe(true);
    expect(lines.join('')).not.toMatch(SECRET_LINK);
  });

  it('keeps the confirmation link mailed at sign-up out of the outbox too', async () => {
    const root = new Client(app, 'slotwise.test');
    await root.open('/signup');
    const res = await root.post('/signup', { businessName: 'Fresh Start', slug: 'fresh-start', email: 'founder@fresh.example', password: 'tide-pool-anemone', timeZone: 'UTC' });
    expect(res.status).toBe(303);
    await runJobs(t, deps);
    const kept = await t.owner('outbox_messages').where({ kind: 'email_verification', to_address: 'founder@fresh.example' });
    expect(kept).toHaveLength(1);
    expect(kept[0].subject).toBe('Confirm your email address for Fresh Start');
    expect(kept[0].text_body).toContain('[link removed: it was sent to the recipient only]');
    expect(`${kept[0].text_body} ${kept[0].html_body}`).not.toMatch(SECRET_LINK);
  });
});
