import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApp } from '../../src/http/app.ts';
import { withTenant } from '../../src/db/tenant.ts';
import { hashPassword } from '../../src/auth/passwords.ts';
import { insertUser } from '../../src/auth/queries.ts';
import { runJobs } from '../support/jobs.ts';
import { Mailbox } from '../support/mail.ts';
import type { AppDeps } from '../../src/deps.ts';
import { createTestDb, testDeps, type TestDb } from '../support/db.ts';
import { Client, makeTenant, signedIn } from '../support/http.ts';
import { makeResource, makeService } from '../support/catalog.ts';
import { createBooking } from '../../src/bookings/service.ts';

let t: TestDb;
let deps: AppDeps;
let app: ReturnType<typeof createApp>;
let bServiceId: string;
let bManageToken: string;
let bStart: number;
const A = 'alpha.slotwise.test';
const B = 'bravo.slotwise.test';

beforeAll(async () => {
  t = await createTestDb();
  deps = testDeps(t, undefined, { RATE_LIMIT_MULTIPLIER: '100' });
  app = createApp(deps);
  const a = await makeTenant(deps, 'alpha', { email: 'owner@alpha.example' });
  const b = await makeTenant(deps, 'bravo', { email: 'owner@bravo.example' });
  const note = (tenantId: string, subject: string, text: string) =>
    withTenant(deps.db, tenantId, (tx) => tx('outbox_messages').insert({ tenant_id: tenantId, kind: 'note', to_address: 'x@example.com', subject, text_body: text }));
  await note(a.tenant.id, 'Alpha message', 'alpha body');
  await note(b.tenant.id, 'Bravo message', 'bravo secret');
  const bResource = await makeResource(deps, b.tenant.id, 'Bravo room', 'UTC', [['00:00', '24:00']]);
  bServiceId = (await makeService(deps, b.tenant.id, [bResource.id], { name: 'Bravo secret service' })).id;
  const start = (Math.floor(deps.now().getTime() / 86_400_000) + 2) * 86_400_000 + 10 * 3_600_000; // two days ahead, 10:00 UTC
  bStart = start;
  bManageToken = (await createBooking(deps, b.tenant.id, { source: 'public', userId: null }, {
    serviceId: bServiceId, resourceId: null, start, customer: { name: 'Bea', email: 'bea@example.com', phone: null, timeZone: 'UTC' }, notes: null,
  })).manageToken;
  const staffHash = await hashPassword('correct-horse-battery');
  await withTenant(deps.db, a.tenant.id, (tx) => insertUser(tx, { email: 'staff@alpha.example', name: 'Sam Staff', role: 'staff', passwordHash: staffHash }));
});
afterAll(() => t.drop());

describe('tenant isolation over HTTP', () => {
  it("shows a tenant's admin only its own data", async () => {
    const alpha = await signedIn(app, A, 'owner@alpha.example');
    const outbox = await alpha.get('/admin/outbox');
    expect(outbox.status).toBe(200);
    expect(outbox.text).toContain('Alpha message');
    expect(outbox.text).not.toContain('Bravo message');
    expect(outbox.text).not.toContain('bravo secret');
  });

  it("does not accept one tenant's session cookie on another tenant's host", async () => {
    const alpha = await signedIn(app, A, 'owner@alpha.example');
    // The same cookie jar, presented to B's host (as a hostile page could try).
    const res = await alpha.agent.get('/admin/outbox').set('Host', B).set('Accept', 'application/json');
    expect(res.status).toBe(401);
    expect(res.text).not.toContain('bravo secret');
  });

  it("answers on A's host for B's ids and tokens as for unknown ones, and shows none of B's data", async () => {
    const c = new Client(app, A);
    const service = await c.get(`/book/${bServiceId}?resource=any`);
    expect(service.status).toBe(404);
    expect(service.text).not.toContain('Bravo secret service');
    expect((await c.get(`/book/${bServiceId}/details?resource=any&start=${new Date(bStart).toISOString()}`)).status).toBe(404);
    await c.open('/');
    // Posting the booking form for it: the same answer as for a service that does not exist (422, nothing written).
    const post = await c.post(`/book/${bServiceId}`, { resource: 'any', start: new Date(bStart + 3_600_000).toISOString(), name: 'X', email: 'x@example.com', tz: 'UTC' });
    expect(post.status).toBe(422);
    expect(post.text).toContain('That service does not exist.');
    expect(post.text).not.toContain('Bravo secret service');
    const manage = await c.get(`/manage/${bManageToken}`);
    expect(manage.status).toBe(404);
    expect(manage.text).not.toContain('Bea');
    expect((await new Client(app, B).get(`/manage/${bManageToken}`)).status).toBe(200);
    expect(await t.owner('bookings').where({ customer_email: 'x@example.com' })).toHaveLength(0);
  });

  it("cannot sign in to B with A's credentials", async () => {
    const c = new Client(app, B);
    await c.open('/login');
    const res = await c.post('/login', { email: 'owner@alpha.example', password: 'correct-horse-battery' });
    expect(res.status).toBe(401);
  });

  it("does not honour B's password-reset link on A's host", async () => {
    // The link as B's owner receives it: the outbox keeps no private links.
    const mail = await new Mailbox().start();
    try {
      const c = new Client(app, B);
      await c.open('/password/forgot');
      await c.post('/password/forgot', { email: 'owner@bravo.example' });
      await runJobs(t, testDeps(t, undefined, mail.env));
      const path = mail.lastLinkPath('owner@bravo.example', 'password_reset', '/password/reset/');
      expect((await new Client(app, A).get(path)).status).toBe(410);
      expect((await new Client(app, B).get(path)).status).toBe(200);
    } finally {
      await mail.stop();
    }
  });

  it('refuses staff the settings and outbox, on the server', async () => {
    const staff = await signedIn(app, A, 'staff@alpha.example');
    expect((await staff.get('/admin')).status).toBe(200);
    expect((await staff.get('/admin/settings')).status).toBe(403);
    expect((await staff.get('/admin/outbox')).status).toBe(403);
    const res = await staff.post('/admin/settings', { name: 'Staff Was Here', accentColor: '#000000', timeZone: 'UTC', logoUrl: '' });
    expect(res.status).toBe(403);
    expect((await t.owner('tenants').where({ slug: 'alpha' }).first()).name).not.toBe('Staff Was Here');
  });

  it('re-renders invalid settings with 422 and saves nothing', async () => {
    const owner = await signedIn(app, A, 'owner@alpha.example');
    const res = await owner.post('/admin/settings', { name: '', accentColor: 'blue', timeZone: 'Nowhere/City', logoUrl: 'javascript:alert(1)' });
    expect(res.status).toBe(422);
    for (const msg of ['Enter your business name', 'Use a colour like', 'Choose a time zone', 'Enter a full http(s)']) expect(res.text).toContain(msg);
    expect((await t.owner('tenants').where({ slug: 'alpha' }).first()).accent_color).toBe('#2563eb');
  });

  it('escapes what a tenant typed when rendering it', async () => {
    const owner = await signedIn(app, A, 'owner@alpha.example');
    const res = await owner.post('/admin/settings', { name: '<script>alert(1)</script>', accentColor: '#123456', timeZone: 'UTC', logoUrl: 'https://cdn.example.com/logo.png?v=2' });
    expect(res.status).toBe(303);
    const home = await new Client(app, A).get('/');
    expect(home.text).toContain('src="https://cdn.example.com/logo.png?v=2"');
    expect(home.text).not.toContain('<script>alert(1)</script>');
    expect(home.text).toContain('&lt;script&gt;alert(1)&lt;/script&gt;');
  });
});
