import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApp } from '../../src/http/app.ts';
import { withTenant } from '../../src/db/tenant.ts';
import { hashPassword } from '../../src/auth/passwords.ts';
import { insertUser } from '../../src/auth/queries.ts';
import type { AppDeps } from '../../src/deps.ts';
import { createTestDb, testDeps, type TestDb } from '../support/db.ts';
import { makeTenant, signedIn } from '../support/http.ts';
import { api } from '../support/api.ts';

let t: TestDb;
let deps: AppDeps;
let app: ReturnType<typeof createApp>;
const HOST = 'devs.slotwise.test';

beforeAll(async () => {
  t = await createTestDb();
  deps = testDeps(t, undefined, { RATE_LIMIT_MULTIPLIER: '100' });
  app = createApp(deps);
  const { tenant } = await makeTenant(deps, 'devs');
  const hash = await hashPassword('correct-horse-battery');
  await withTenant(deps.db, tenant.id, (tx) => insertUser(tx, { email: 'staff@devs.example', name: 'Staff', role: 'staff', passwordHash: hash }));
});
afterAll(() => t.drop());

describe('/admin/developers', () => {
  it('creates an API key shown once, which works until it is revoked', async () => {
    const owner = await signedIn(app, HOST, 'owner@devs.example');
    const created = await owner.post('/admin/developers/keys', { name: 'Website' });
    expect(created.status).toBe(201);
    expect(created.headers['cache-control']).toBe('no-store');
    const key = /<code class="secret">(sw_[^<]+)<\/code>/.exec(created.text)?.[1];
    expect(key).toBeDefined();
    expect((await api(app, key!).get('/resources')).status).toBe(200);
    const listed = await owner.open('/admin/developers');
    expect(listed.text).toContain('Website');
    expect(listed.text).not.toContain(key!);
    const id = /action="\/admin\/developers\/keys\/([0-9a-f-]{36})\/revoke"/.exec(listed.text)?.[1];
    const revoked = await owner.post(`/admin/developers/keys/${id}/revoke`);
    expect(revoked.status).toBe(303);
    expect((await api(app, key!).get('/resources')).status).toBe(401);
  });

  it('validates webhook endpoints and shows the signing secret once', async () => {
    const owner = await signedIn(app, HOST, 'owner@devs.example');
    const bad = await owner.post('/admin/developers/webhooks', { url: 'not a url' });
    expect(bad.status).toBe(422);
    expect(bad.text).toContain('Enter a full http(s):// address.');
    expect(bad.text).toContain('Choose at least one event.');
    expect(await t.owner('webhook_endpoints')).toHaveLength(0);
    const ok = await owner.agent
      .post('/admin/developers/webhooks')
      .set('Host', HOST)
      .type('form')
      .send(`_csrf=${owner.token}&url=${encodeURIComponent('https://hooks.example.com/slotwise')}&events=booking.created&events=booking.cancelled`);
    expect(ok.status).toBe(201);
    expect(ok.text).toMatch(/<code class="secret">whsec_/);
    expect(await t.owner('webhook_endpoints')).toMatchObject([{ url: 'https://hooks.example.com/slotwise', events: ['booking.created', 'booking.cancelled'] }]);
  });

  it('is refused to staff', async () => {
    const staff = await signedIn(app, HOST, 'staff@devs.example');
    expect((await staff.get('/admin/developers')).status).toBe(403);
    expect((await staff.post('/admin/developers/keys', { name: 'Sneaky' })).status).toBe(403);
    expect(await t.owner('api_keys').where({ name: 'Sneaky' })).toHaveLength(0);
  });
});
