import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApp } from '../../src/http/app.ts';
import { createApiKey } from '../../src/api/keys.ts';
import { API_RATE_PER_MINUTE, API_TENANT_RATE_PER_MINUTE } from '../../src/api/auth.ts';
import type { AppDeps } from '../../src/deps.ts';
import { createTestDb, testDeps, type TestDb } from '../support/db.ts';
import { makeTenant } from '../support/http.ts';
import { api } from '../support/api.ts';

/**
 * The API's limits with RATE_LIMIT_MULTIPLIER = 0.01: 3 requests a minute
 * per key and 12 per business over all its keys.
 */
let t: TestDb;
let deps: AppDeps;
let app: ReturnType<typeof createApp>;
const PER_KEY = Math.round(API_RATE_PER_MINUTE * 0.01);
const PER_TENANT = Math.round(API_TENANT_RATE_PER_MINUTE * 0.01);

beforeAll(async () => {
  t = await createTestDb();
  deps = testDeps(t, undefined, { RATE_LIMIT_MULTIPLIER: '0.01' });
  app = createApp(deps);
});
afterAll(() => t.drop());

async function keys(slug: string, n: number): Promise<string[]> {
  const { tenant } = await makeTenant(deps, slug);
  const out: string[] = [];
  for (let i = 0; i < n; i++) out.push((await createApiKey(deps, tenant.id, `key ${i}`)).key);
  return out;
}

describe('API rate limits', () => {
  it('limits a business over all its keys, not only each key', async () => {
    expect([PER_KEY, PER_TENANT]).toEqual([3, 12]);
    const many = await keys('manykeys', PER_TENANT / PER_KEY + 1);
    const statuses: number[] = [];
    for (const key of many.slice(0, -1)) for (let i = 0; i < PER_KEY; i++) statuses.push((await api(app, key).get('/services')).status);
    expect(statuses).toEqual(Array(PER_TENANT).fill(200));

    // A fresh key of the same business: its own budget is untouched, the business's is spent.
    const refused = await api(app, many.at(-1)!).get('/services');
    expect(refused.status).toBe(429);
    expect(Number(refused.headers['retry-after'])).toBeGreaterThan(0);
    expect(refused.headers['content-type']).toContain('application/problem+json');
    expect(refused.body.detail).toContain(`This business's API limit of ${PER_TENANT} requests a minute, over all its keys, is reached.`);

    // Another business is not affected.
    const [other] = await keys('otherbiz', 1);
    expect((await api(app, other!).get('/services')).status).toBe(200);
  });

  it('still limits each key on its own', async () => {
    const [key] = await keys('onekey', 1);
    for (let i = 0; i < PER_KEY; i++) expect((await api(app, key!).get('/services')).status).toBe(200);
    const refused = await api(app, key!).get('/services');
    expect(refused.status).toBe(429);
    expect(refused.body.detail).toContain(`This API key's limit of ${PER_KEY} requests a minute is reached.`);
  });
});
