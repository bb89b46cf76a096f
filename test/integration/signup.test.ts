import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApp } from '../../src/http/app.ts';
import { createTestDb, testDeps, type TestDb } from '../support/db.ts';
import { Client } from '../support/http.ts';

let t: TestDb;
let app: ReturnType<typeof createApp>;
const ROOT = 'slotwise.test';

beforeAll(async () => {
  t = await createTestDb();
  app = createApp(testDeps(t, undefined, { RATE_LIMIT_MULTIPLIER: '100' }));
});
afterAll(() => t.drop());

const valid = {
  businessName: 'Harbor Physio',
  slug: 'harbor-physio',
  email: 'Owner@Harbor.example',
  password: 'tide-pool-anemone',
  timeZone: 'Europe/London',
};

async function tenantCount(): Promise<number> {
  const { rows } = await t.owner.raw('select count(*)::int as n from tenants');
  return rows[0].n as number;
}

describe('sign-up', () => {
  it('creates the tenant and its owner and lands the owner, signed in, on the subdomain dashboard', async () => {
    const root = new Client(app, ROOT);
    await root.open('/signup');
    const res = await root.post('/signup', valid);
    expect(res.status).toBe(303);
    const location = new URL(res.headers.location!);
    expect(location.host).toBe('harbor-physio.slotwise.test');
    expect(location.pathname).toBe('/auth/handoff');

    const tenantTab = new Client(app, location.host);
    const handoff = await tenantTab.get(location.pathname + location.search);
    expect(handoff.status).toBe(303);
    expect(handoff.headers.location).toBe('/admin');
    const dash = await tenantTab.get('/admin');
    expect(dash.status).toBe(200);
    expect(dash.text).toContain('Harbor Physio');
    expect(dash.text).toContain('owner@harbor.example');

    const tenant = await t.owner('tenants').where({ slug: 'harbor-physio' }).first();
    expect(tenant).toMatchObject({ name: 'Harbor Physio', time_zone: 'Europe/London' });
    const users = await t.owner('users').where({ tenant_id: tenant.id });
    expect(users).toHaveLength(1);
    expect(users[0]).toMatchObject({ email: 'owner@harbor.example', role: 'owner' });
    expect(users[0].password_hash).toMatch(/^\$argon2id\$/);

    // The handoff link works once.
    const again = await new Client(app, location.host).get(location.pathname + location.search);
    expect(again.status).toBe(410);
  });

  it.each([
    { field: 'slug', value: 'ab', message: 'at least 3' },
    { field: 'slug', value: 'Has Spaces', message: 'lowercase letters' },
    { field: 'slug', value: '-edge', message: 'Start and end' },
    { field: 'slug', value: 'admin', message: 'reserved' },
    { field: 'slug', value: 'www', message: 'reserved' },
    { field: 'slug', value: 'x'.repeat(41), message: 'at most 40' },
    { field: 'email', value: 'not-an-email', message: 'email address' },
    { field: 'password', value: 'short', message: 'at least 10' },
    { field: 'password', value: 'password123', message: 'too common' },
    { field: 'password', value: 'harbor-physio-2026', message: 'Do not use' },
    { field: 'timeZone', value: 'Mars/Olympus', message: 'time zone' },
    { field: 'timeZone', value: 'EST', message: 'time zone' },
    { field: 'businessName', value: '   ', message: 'business name' },
  ])('refuses $field = "$value" with 422, keeps the input and writes nothing', async ({ field, value, message }) => {
    const before = await tenantCount();
    const root = new Client(app, ROOT);
    await root.open('/signup');
    const res = await root.post('/signup', { ...valid, slug: 'fresh-slug', [field]: value });
    expect(res.status).toBe(422);
    expect(res.text).toContain(message);
    expect(res.text).toContain('aria-invalid="true"');
    if (field !== 'password' && field !== 'timeZone' && value.trim()) expect(res.text).toContain(`value="${value}"`);
    expect(res.text).not.toContain(valid.password); // never echo the password
    expect(await tenantCount()).toBe(before);
  });

  it('refuses a taken subdomain with a field error', async () => {
    const root = new Client(app, ROOT);
    await root.open('/signup');
    const res = await root.post('/signup', { ...valid, email: 'other@harbor.example' });
    expect(res.status).toBe(422);
    expect(res.text).toContain('This subdomain is taken');
  });

  it('lets exactly one of many simultaneous sign-ups for one subdomain win, the rest get a clear error', async () => {
    const clients = await Promise.all(
      Array.from({ length: 8 }, async () => {
        const c = new Client(app, ROOT);
        await c.open('/signup');
        return c;
      }),
    );
    const results = await Promise.all(clients.map((c, i) => c.post('/signup', { ...valid, slug: 'race-slug', email: `o${i}@race.example` })));
    const statuses = results.map((r) => r.status).sort();
    expect(statuses.filter((s) => s === 303)).toHaveLength(1);
    expect(statuses.filter((s) => s === 422)).toHaveLength(7);
    for (const r of results.filter((r) => r.status === 422)) expect(r.text).toContain('This subdomain is taken');
    expect(await t.owner('tenants').where({ slug: 'race-slug' })).toHaveLength(1);
  });

  it('shows a branded 404 for an unknown subdomain', async () => {
    const res = await new Client(app, 'nobody-here.slotwise.test').get('/');
    expect(res.status).toBe(404);
    expect(res.text).toContain('No booking page here');
    expect(res.text).toContain('nobody-here.slotwise.test');
  });

  it('is not served on tenant subdomains', async () => {
    const res = await new Client(app, 'harbor-physio.slotwise.test').get('/signup');
    expect(res.status).toBe(404);
  });
});
