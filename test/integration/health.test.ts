import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import request from 'supertest';
import { createApp } from '../../src/http/app.ts';
import { createTestDb, testDeps, type TestDb } from '../support/db.ts';

let t: TestDb;
beforeAll(async () => {
  t = await createTestDb();
});
afterAll(() => t.drop());

describe('health endpoints', () => {
  it('reports liveness and readiness with current migrations', async () => {
    const app = createApp(testDeps(t));
    expect((await request(app).get('/healthz')).body).toEqual({ status: 'ok' });
    const ready = await request(app).get('/readyz');
    expect(ready.status).toBe(200);
    expect(ready.body.status).toBe('ready');
  });

  it('is not ready while a migration is pending', async () => {
    const name = (await t.owner('knex_migrations').orderBy('id', 'desc').first()).name as string;
    await t.owner('knex_migrations').where({ name }).del();
    try {
      const ready = await request(createApp(testDeps(t))).get('/readyz');
      expect(ready.status).toBe(503);
      expect(ready.body).toEqual({ status: 'migrations_pending', pending: [name] });
    } finally {
      await t.owner('knex_migrations').insert({ name, batch: 1, migration_time: new Date() });
    }
  });

  it('is not ready when the database is unreachable', async () => {
    const deps = testDeps(t);
    const { connectDatabase } = await import('../../src/db/database.ts');
    const dead = connectDatabase({ databaseUrl: 'postgres://nobody:nothing@127.0.0.1:1/none' });
    try {
      const ready = await request(createApp({ ...deps, db: dead })).get('/readyz');
      expect(ready.status).toBe(503);
      expect(ready.body.status).toBe('database_unreachable');
    } finally {
      await dead.close();
    }
  });
});
