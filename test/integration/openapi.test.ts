import { Validator } from '@seriousme/openapi-schema-validator';
import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApp } from '../../src/http/app.ts';
import { createTestDb, testDeps, type TestDb } from '../support/db.ts';
import { listRoutes } from '../support/routes.ts';

let t: TestDb;
let app: ReturnType<typeof createApp>;
beforeAll(async () => {
  t = await createTestDb();
  app = createApp(testDeps(t));
});
afterAll(() => t.drop());

const METHODS = ['get', 'post', 'put', 'patch', 'delete'];

describe('GET /api/v1/openapi.json', () => {
  it('is a valid OpenAPI 3.1 document whose $refs all resolve', async () => {
    const res = await request(app).get('/api/v1/openapi.json');
    expect(res.status).toBe(200);
    expect(res.body.openapi).toBe('3.1.0');
    const validator = new Validator();
    const result = await validator.validate(res.body);
    expect(result.errors ?? []).toEqual([]);
    expect(result.valid).toBe(true);
    const refs = JSON.stringify(res.body).match(/"#\/components\/schemas\/(\w+)"/g) ?? [];
    for (const r of refs) expect(res.body.components.schemas, r).toHaveProperty(r.slice(22, -1));
  });

  it('describes exactly the routes the API registers', async () => {
    const doc = (await request(app).get('/api/v1/openapi.json')).body as { paths: Record<string, Record<string, unknown>> };
    const documented = Object.entries(doc.paths).flatMap(([p, ops]) => Object.keys(ops).filter((m) => METHODS.includes(m)).map((m) => `${m.toUpperCase()} /api/v1${p}`));
    const registered = listRoutes(app)
      .filter((r) => r.path.startsWith('/api/v1'))
      .flatMap((r) => r.methods.filter((m) => m !== 'HEAD' && m !== '_ALL').map((m) => `${m} ${r.path.replace(/:(\w+)/g, '{$1}')}`));
    expect(registered.length).toBeGreaterThan(20);
    expect([...new Set(registered)].sort()).toEqual([...new Set(documented)].sort());
  });
});
