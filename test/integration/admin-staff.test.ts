import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApp } from '../../src/http/app.ts';
import { withTenant } from '../../src/db/tenant.ts';
import { hashPassword } from '../../src/auth/passwords.ts';
import { insertUser } from '../../src/auth/queries.ts';
import type { AppDeps } from '../../src/deps.ts';
import { createTestDb, TestClock, testDeps, type TestDb } from '../support/db.ts';
import { Client, makeTenant, signedIn } from '../support/http.ts';
import { runJobs } from '../support/jobs.ts';
import { Mailbox } from '../support/mail.ts';

let t: TestDb;
let deps: AppDeps;
let app: ReturnType<typeof createApp>;
let tenantId: string;
let ownerId: string;
let mail: Mailbox;
const HOST = 'crew.slotwise.test';
const clock = new TestClock(Date.parse('2026-05-04T12:00:00Z'));

beforeAll(async () => {
  t = await createTestDb();
  mail = await new Mailbox().start();
  deps = testDeps(t, clock, { RATE_LIMIT_MULTIPLIER: '100', ...mail.env });
  app = createApp(deps);
  const made = await makeTenant(deps, 'crew', { email: 'owner@crew.example' });
  tenantId = made.tenant.id;
  ownerId = made.owner.id;
  const hash = await hashPassword('correct-horse-battery');
  await withTenant(deps.db, tenantId, async (tx) => {
    await insertUser(tx, { email: 'admin@crew.example', name: 'Ada Admin', role: 'admin', passwordHash: hash });
    await insertUser(tx, { email: 'sam@crew.example', name: 'Sam Staff', role: 'staff', passwordHash: hash });
  });
});
afterAll(async () => {
  await mail.stop();
  await t.drop();
});

/** The invitation link as the invitee receives it (the outbox keeps no private links). */
async function inviteLink(email: string): Promise<string> {
  await runJobs(t, deps);
  return mail.lastLinkPath(email, 'staff_invite', '/invite/');
}

describe('staff invitations', () => {
  it('invites by email with a single-use link that creates the account with its role and signs it in', async () => {
    const admin = await signedIn(app, HOST, 'admin@crew.example');
    const bad = await admin.post('/admin/staff/invitations', { email: 'nope', role: 'owner' });
    expect(bad.status).toBe(422);
    expect(await t.owner('invitations')).toHaveLength(0);
    const taken = await admin.post('/admin/staff/invitations', { email: 'sam@crew.example', role: 'staff' });
    expect(taken.status).toBe(422);
    expect(taken.text).toContain('already on your staff');
    expect((await admin.post('/admin/staff/invitations', { email: 'New.Person@crew.example', role: 'staff' })).status).toBe(303);
    const link = await inviteLink('new.person@crew.example');

    const newcomer = new Client(app, HOST);
    const form = await newcomer.open(link);
    expect(form.text).toContain('new.person@crew.example');
    expect((await newcomer.post(link, { name: 'Nell', password: 'short' })).status).toBe(422);
    const joined = await newcomer.post(link, { name: 'Nell Newcomer', password: 'lantern-harbour-77' });
    expect(joined.status).toBe(303);
    expect((await newcomer.get('/admin')).text).toContain('Welcome, Nell Newcomer');
    expect(await t.owner('users').where({ email: 'new.person@crew.example' }).first()).toMatchObject({ role: 'staff', tenant_id: tenantId });

    expect((await new Client(app, HOST).get(link)).status).toBe(410);
    clock.advance(8 * 24 * 3600_000);
    try {
      await admin.post('/admin/staff/invitations', { email: 'late@crew.example', role: 'admin' });
      const late = await inviteLink('late@crew.example');
      clock.advance(8 * 24 * 3600_000);
      expect((await new Client(app, HOST).get(late)).status).toBe(410);
    } finally {
      clock.set('2026-05-04T12:00:00Z');
    }
    expect(await t.owner('audit_log').where({ action: 'staff.invite' })).toHaveLength(2);
  });
});

describe('invitation links', () => {
  it('limit how often one address may try them, like the login form', async () => {
    await makeTenant(deps, 'crewtwo'); // its own counters
    const strict = createApp(testDeps(t, clock)); // real limits: 10 tries in 15 minutes per address and business
    const c = new Client(strict, 'crewtwo.slotwise.test');
    await c.open('/login');
    const statuses: number[] = [];
    for (let i = 0; i < 11; i++) statuses.push((await c.post('/invite/not-a-real-invitation', { name: 'Eve', password: 'correct-horse-battery' })).status);
    expect(statuses.slice(0, 10).every((s) => s === 410)).toBe(true);
    expect(statuses[10]).toBe(429);
  });
});

describe('roles are enforced on the server', () => {
  it('refuses staff the staff page and every staff action', async () => {
    const staff = await signedIn(app, HOST, 'sam@crew.example');
    expect((await staff.get('/admin/staff')).status).toBe(403);
    expect((await staff.post('/admin/staff/invitations', { email: 'x@crew.example', role: 'admin' })).status).toBe(403);
    expect((await staff.post(`/admin/staff/${ownerId}/remove`, {})).status).toBe(403);
    expect(await t.owner('invitations').where({ email: 'x@crew.example' })).toHaveLength(0);
  });

  it('lets an admin change staff roles but never touch the owner or hand over ownership', async () => {
    const admin = await signedIn(app, HOST, 'admin@crew.example');
    const sam = await t.owner('users').where({ email: 'sam@crew.example' }).first();
    expect((await admin.post(`/admin/staff/${sam.id}/role`, { role: 'admin' })).status).toBe(303);
    expect((await t.owner('users').where({ id: sam.id }).first()).role).toBe('admin');
    expect((await admin.post(`/admin/staff/${ownerId}/role`, { role: 'staff' })).status).toBe(403);
    expect((await admin.post(`/admin/staff/${ownerId}/remove`, {})).status).toBe(403);
    expect((await admin.post(`/admin/staff/${sam.id}/ownership`, {})).status).toBe(403);
    expect((await t.owner('users').where({ id: ownerId }).first()).role).toBe('owner');
    await admin.post(`/admin/staff/${sam.id}/role`, { role: 'staff' });
  });

  it('lets the owner hand ownership over; there is always exactly one owner', async () => {
    const owner = await signedIn(app, HOST, 'owner@crew.example');
    const ada = await t.owner('users').where({ email: 'admin@crew.example' }).first();
    expect((await owner.post(`/admin/staff/${ada.id}/ownership`, {})).status).toBe(303);
    const roles = await t.owner('users').where({ tenant_id: tenantId }).orderBy('email').select('email', 'role');
    expect(roles.filter((r) => r.role === 'owner').map((r) => r.email)).toEqual(['admin@crew.example']);
    expect(roles.find((r) => r.email === 'owner@crew.example')!.role).toBe('admin');
    expect(await t.owner('audit_log').where({ action: 'staff.transfer_ownership' })).toHaveLength(1);
  });

  it('removes a person, whose session then stops working', async () => {
    const sam = await signedIn(app, HOST, 'sam@crew.example');
    const boss = await signedIn(app, HOST, 'admin@crew.example');
    const samRow = await t.owner('users').where({ email: 'sam@crew.example' }).first();
    expect((await boss.post(`/admin/staff/${samRow.id}/remove`, {})).status).toBe(303);
    expect((await sam.get('/admin')).status).toBe(303); // back to the login page
    expect(await t.owner('users').where({ email: 'sam@crew.example' })).toHaveLength(0);
  });
});
