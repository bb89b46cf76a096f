import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApp } from '../../src/http/app.ts';
import { createApiKey } from '../../src/api/keys.ts';
import { withTenant } from '../../src/db/tenant.ts';
import { hashPassword } from '../../src/auth/passwords.ts';
import { insertUser } from '../../src/auth/queries.ts';
import { MAX_ENDPOINTS_PER_TENANT } from '../../src/webhooks/service.ts';
import type { AppDeps } from '../../src/deps.ts';
import { createTestDb, TestClock, testDeps, type TestDb } from '../support/db.ts';
import { makeTenant, signedIn } from '../support/http.ts';
import { api } from '../support/api.ts';
import { runJobs } from '../support/jobs.ts';

// Registration only: nothing here delivers, so no request leaves at all.
let t: TestDb;
let deps: AppDeps;
let app: ReturnType<typeof createApp>;
const clock = new TestClock(Date.parse('2026-03-02T12:00:00Z'));

beforeAll(async () => {
  t = await createTestDb();
  // The defaults an operator gets: https only, no private destinations.
  deps = testDeps(t, clock, { RATE_LIMIT_MULTIPLIER: '100' });
  app = createApp(deps);
});
afterAll(() => t.drop());

async function tenantWithKey(slug: string) {
  const { tenant } = await makeTenant(deps, slug);
  const owner = await withTenant(deps.db, tenant.id, (tx) => tx('users').where({ role: 'owner' }).first('id'));
  const { key, info } = await createApiKey(deps, tenant.id, 'Zapier', owner.id);
  return { tenantId: tenant.id, ownerId: owner.id as string, key, keyId: info.id, host: `${slug}.slotwise.test` };
}

const endpointsOf = (tenantId: string) => t.owner('webhook_endpoints').where({ tenant_id: tenantId });
const noticesOf = (tenantId: string, kind: string) => t.owner('notifications').where({ tenant_id: tenantId, kind });

describe('registering a webhook endpoint', () => {
  it('refuses internal addresses over the API with 422 problem+json, writing nothing', async () => {
    const { tenantId, key } = await tenantWithKey('inward');
    const c = api(app, key);
    for (const [url, says] of [
      ['http://127.0.0.1:8080/hooks', '127.0.0.1 is a loopback address'],
      ['http://169.254.169.254/latest/meta-data/', '169.254.169.254 is a link-local address'],
      ['https://[::1]/hooks', '::1 is a loopback address'],
      ['https://10.0.0.1/hooks', '10.0.0.1 is a private network address'],
      ['https://[::ffff:192.168.1.1]/hooks', '::ffff:c0a8:101 is a private network address'],
      ['http://hooks.example.com/plain', 'Use an https:// address: plain http is not accepted.'],
    ] as const) {
      const res = await c.post('/webhook_endpoints', { url, events: ['booking.created'] });
      expect(res.status, url).toBe(422);
      expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
      expect(res.body.errors.url, url).toContain(says);
    }
    expect(await endpointsOf(tenantId)).toHaveLength(0);
    expect(await noticesOf(tenantId, 'webhook_endpoint_created')).toHaveLength(0);
    expect(await t.owner('audit_log').where({ tenant_id: tenantId, action: 'webhook.create' })).toHaveLength(0);
  });

  it('refuses them in the dashboard form with 422 and the reason, writing nothing', async () => {
    const { tenantId, host } = await tenantWithKey('inward-form');
    const owner = await signedIn(app, host, 'owner@inward-form.example');
    for (const [url, says] of [
      ['http://169.254.169.254/', '169.254.169.254 is a link-local address (such as the cloud metadata service). Only public internet addresses can receive webhooks.'],
      ['http://127.0.0.1:9000/x', '127.0.0.1 is a loopback address (this server itself).'],
    ]) {
      const res = await owner.post('/admin/developers/webhooks', { url: url!, events: 'booking.created' });
      expect(res.status, url).toBe(422);
      expect(res.text).toContain(says);
      expect(res.text).toContain(`value="${url}"`); // what was typed stays in the field
    }
    expect(await endpointsOf(tenantId)).toHaveLength(0);
  });

  it('checks only the URL itself: a host name is checked at delivery, and the allow flags open what they name', async () => {
    const { key } = await tenantWithKey('flags');
    expect((await api(app, key).post('/webhook_endpoints', { url: 'https://hooks.example.com/in', events: ['booking.created'] })).status).toBe(201);
    const httpApp = createApp(testDeps(t, clock, { RATE_LIMIT_MULTIPLIER: '100', OUTBOUND_ALLOW_HTTP: 'true' }));
    expect((await api(httpApp, key).post('/webhook_endpoints', { url: 'http://hooks.example.com/in', events: ['booking.created'] })).status).toBe(201);
    const stillPrivate = await api(httpApp, key).post('/webhook_endpoints', { url: 'http://127.0.0.1:9/in', events: ['booking.created'] });
    expect(stillPrivate.status).toBe(422);
    const openApp = createApp(testDeps(t, clock, { RATE_LIMIT_MULTIPLIER: '100', OUTBOUND_ALLOW_HTTP: 'true', OUTBOUND_ALLOW_PRIVATE: 'true' }));
    expect((await api(openApp, key).post('/webhook_endpoints', { url: 'http://127.0.0.1:9/in', events: ['booking.created'] })).status).toBe(201);
  });

  it(`refuses the ${MAX_ENDPOINTS_PER_TENANT + 1}st endpoint with the reason`, async () => {
    const { tenantId, key, host } = await tenantWithKey('crowded');
    const c = api(app, key);
    for (let i = 1; i <= MAX_ENDPOINTS_PER_TENANT; i++) {
      expect((await c.post('/webhook_endpoints', { url: `https://hooks.example.com/h${i}`, events: ['booking.created'] })).status).toBe(201);
    }
    const refused = await c.post('/webhook_endpoints', { url: 'https://hooks.example.com/one-more', events: ['booking.created'] });
    expect(refused.status).toBe(422);
    expect(refused.body).toMatchObject({ title: 'Too many webhook endpoints', detail: 'A business can have at most 20 webhook endpoints. Remove one before adding another.' });
    const owner = await signedIn(app, host, 'owner@crowded.example');
    const form = await owner.post('/admin/developers/webhooks', { url: 'https://hooks.example.com/from-form', events: 'booking.created' });
    expect(form.status).toBe(422);
    expect(form.text).toContain('A business can have at most 20 webhook endpoints.');
    expect(await endpointsOf(tenantId)).toHaveLength(MAX_ENDPOINTS_PER_TENANT);
  });

  it('records who added an endpoint and emails the owner each time', async () => {
    const { tenantId, ownerId, key, keyId, host } = await tenantWithKey('told');
    const hash = await hashPassword('correct-horse-battery');
    const admin = await withTenant(deps.db, tenantId, (tx) => insertUser(tx, { email: 'ada@told.example', name: 'Ada Admin', role: 'admin', passwordHash: hash }));
    const byAdmin = await signedIn(app, host, 'ada@told.example');
    expect((await byAdmin.post('/admin/developers/webhooks', { url: 'https://hooks.example.com/from-admin?token=s3cret', events: 'booking.created' })).status).toBe(201);
    expect((await api(app, key).post('/webhook_endpoints', { url: 'https://zaps.example.com/catch', events: ['booking.cancelled'] })).status).toBe(201);

    const rows = await endpointsOf(tenantId).orderBy('created_at');
    expect(rows).toMatchObject([
      { url: 'https://hooks.example.com/from-admin?token=s3cret', created_by: admin.id, created_by_api_key: null },
      { url: 'https://zaps.example.com/catch', created_by: ownerId, created_by_api_key: keyId },
    ]);
    const notices = await noticesOf(tenantId, 'webhook_endpoint_created');
    expect(notices.map((n) => n.to_address)).toEqual(['owner@told.example', 'owner@told.example']);

    await runJobs(t, deps);
    // (The owner is also told of the API key the second endpoint came through.)
    const mail = await t.owner('outbox_messages').where({ tenant_id: tenantId, kind: 'webhook_endpoint_created' }).orderBy('subject');
    expect(mail.map((m) => [m.to_address, m.subject])).toEqual([
      ['owner@told.example', 'Webhook endpoint added: https://hooks.example.com/from-admin'],
      ['owner@told.example', 'Webhook endpoint added: https://zaps.example.com/catch'],
    ]);
    expect(mail[0].text_body).toContain('Ada Admin (ada@told.example) added a webhook endpoint');
    expect(mail[0].text_body).not.toContain('s3cret'); // the receiver's token stays out of mail
    expect(mail[1].text_body).toContain('a request with the API key “Zapier” added a webhook endpoint');
    expect(mail[1].text_body).toContain('http://told.slotwise.test/admin/developers');

    const page = await byAdmin.open('/admin/developers');
    expect(page.text).toContain('by Ada Admin');
    expect(page.text).toContain('through the API key “Zapier”');
  });
});
