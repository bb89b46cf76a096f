import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApp } from '../../src/http/app.ts';
import { withTenant } from '../../src/db/tenant.ts';
import { hashPassword } from '../../src/auth/passwords.ts';
import { insertUser } from '../../src/auth/queries.ts';
import { createApiKey } from '../../src/api/keys.ts';
import type { AppDeps } from '../../src/deps.ts';
import { createTestDb, TestClock, testDeps, type TestDb } from '../support/db.ts';
import { makeTenant, signedIn, type Client } from '../support/http.ts';
import { runJobs } from '../support/jobs.ts';
import { api } from '../support/api.ts';

/**
 * An API key acts for the whole business, so it lives no longer than its
 * creator's right to make keys, and the owner hears of every new one.
 */
let t: TestDb;
let deps: AppDeps;
let app: ReturnType<typeof createApp>;
let tenantId: string;
const HOST = 'lockers.slotwise.test';
const clock = new TestClock();

beforeAll(async () => {
  t = await createTestDb();
  deps = testDeps(t, clock, { RATE_LIMIT_MULTIPLIER: '100' });
  app = createApp(deps);
  tenantId = (await makeTenant(deps, 'lockers', { email: 'owner@lockers.example' })).tenant.id;
  const hash = await hashPassword('correct-horse-battery');
  await withTenant(deps.db, tenantId, async (tx) => {
    for (const who of ['ana', 'ben', 'cy']) await insertUser(tx, { email: `${who}@lockers.example`, name: who.toUpperCase(), role: 'admin', passwordHash: hash });
  });
});
afterAll(() => t.drop());

async function keyMadeBy(c: Client, name: string): Promise<string> {
  await c.open('/admin/developers');
  const created = await c.post('/admin/developers/keys', { name });
  expect(created.status).toBe(201);
  return /<code class="secret">(sw_[^<]+)<\/code>/.exec(created.text)![1]!;
}
const works = async (key: string) => (await api(app, key).get('/services')).status === 200;
const userId = async (email: string) => (await t.owner('users').where({ email }).first()).id as string;

describe('API keys and the people who made them', () => {
  it('emails the owner about every new key, naming it and its maker, never containing it', async () => {
    const ana = await signedIn(app, HOST, 'ana@lockers.example');
    const key = await keyMadeBy(ana, 'Zapier sync');
    const cliKey = (await createApiKey(deps, tenantId, 'Operator import')).key;
    await runJobs(t, deps);
    const mails = await t.owner('outbox_messages').where({ kind: 'api_key_created' }).orderBy('created_at');
    expect(mails.map((m) => m.to_address)).toEqual(['owner@lockers.example', 'owner@lockers.example']);
    expect(mails[0].subject).toBe('New API key "Zapier sync" for lockers business');
    expect(mails[0].text_body).toContain('Created by:  ANA <ana@lockers.example>');
    expect(mails[0].text_body).toContain(`Starts with: ${key.split('_').slice(0, 2).join('_')}_`);
    expect(mails[0].text_body).toContain('http://lockers.slotwise.test/admin/developers');
    expect(mails[1].text_body).toContain('Created by:  the operator command line');
    for (const [m, k] of [[mails[0], key], [mails[1], cliKey]] as const) expect(`${m.text_body} ${m.html_body}`).not.toContain(k);
  });

  it('revokes the keys a person made when they become staff, and only theirs', async () => {
    const ben = await signedIn(app, HOST, 'ben@lockers.example');
    const bens = await keyMadeBy(ben, 'Ben key');
    const owner = await signedIn(app, HOST, 'owner@lockers.example');
    const owners = await keyMadeBy(owner, 'Owner key');
    expect(await works(bens)).toBe(true);

    const demoted = await owner.post(`/admin/staff/${await userId('ben@lockers.example')}/role`, { role: 'staff' });
    expect(demoted.status).toBe(303);
    expect(await works(bens)).toBe(false);
    expect(await works(owners)).toBe(true);
    expect((await owner.open('/admin/staff')).text).toContain('The API key they created is revoked.');
    // Made an admin again, they do not get the old key back.
    await owner.post(`/admin/staff/${await userId('ben@lockers.example')}/role`, { role: 'admin' });
    expect(await works(bens)).toBe(false);
  });

  it('revokes the keys of a person who is removed, keeps keys made by the CLI', async () => {
    const cy = await signedIn(app, HOST, 'cy@lockers.example');
    const cys = [await keyMadeBy(cy, 'Cy one'), await keyMadeBy(cy, 'Cy two')];
    const cliKey = (await createApiKey(deps, tenantId, 'Operator key')).key;
    const owner = await signedIn(app, HOST, 'owner@lockers.example');
    expect((await owner.post(`/admin/staff/${await userId('cy@lockers.example')}/remove`, {})).status).toBe(303);
    for (const k of cys) expect(await works(k)).toBe(false);
    expect(await works(cliKey)).toBe(true);
    expect(await t.owner('api_keys').where({ tenant_id: tenantId }).whereIn('name', ['Cy one', 'Cy two']).whereNull('revoked_at')).toHaveLength(0);
    const audit = await t.owner('audit_log').where({ action: 'staff.remove' }).first();
    expect(audit.after).toEqual({ apiKeysRevoked: 2 });
  });

  it('revokes them whoever makes the change: a direct write to users, as any later code path would', async () => {
    const ana = await signedIn(app, HOST, 'ana@lockers.example');
    const anas = await keyMadeBy(ana, 'Ana direct');
    await withTenant(deps.db, tenantId, (tx) => tx('users').where({ email: 'ana@lockers.example' }).update({ role: 'staff' }));
    expect(await works(anas)).toBe(false);
  });

  it('keeps "last used" to the minute: one write a minute per key, however many requests', async () => {
    const { key, info } = await createApiKey(deps, tenantId, 'busy');
    const lastUsed = async () => (await t.owner('api_keys').where({ id: info.id }).first()).last_used_at as Date | null;
    expect(await lastUsed()).toBeNull();
    expect((await api(app, key).get('/services')).status).toBe(200);
    const first = await lastUsed();
    expect(first?.getTime()).toBe(clock.now().getTime());
    clock.advance(30_000);
    await Promise.all([1, 2, 3].map(() => api(app, key).get('/services')));
    expect((await lastUsed())?.getTime()).toBe(first!.getTime());
    clock.advance(31_000);
    expect((await api(app, key).get('/services')).status).toBe(200);
    expect((await lastUsed())?.getTime()).toBe(clock.now().getTime());
  });
});
