import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Logger, runOnce, parseCrontab } from 'graphile-worker';
import { ownerPgPool } from '../../src/db/database.ts';
import { withTenant } from '../../src/db/tenant.ts';
import { insertAuthToken } from '../../src/auth/queries.ts';
import { CRONTAB, taskList } from '../../src/jobs/tasks.ts';
import type { AppDeps } from '../../src/deps.ts';
import { createTestDb, TestClock, testDeps, type TestDb } from '../support/db.ts';
import { makeTenant } from '../support/http.ts';

let t: TestDb;
let deps: AppDeps;
const clock = new TestClock(Date.parse('2026-06-01T12:00:00Z'));
const silent = new Logger(() => () => undefined);

beforeAll(async () => {
  t = await createTestDb();
  deps = testDeps(t, clock);
});
afterAll(() => t.drop());

describe('maintenance__purge_expired', () => {
  it('is scheduled by the crontab', () => {
    const items = parseCrontab(CRONTAB);
    expect(items.map((i) => i.task)).toContain('maintenance__purge_expired');
  });

  it('deletes expired sessions, rate-limit windows and every tenant’s expired tokens, and keeps live ones', async () => {
    const one = await makeTenant(deps, 'purge-one');
    const two = await makeTenant(deps, 'purge-two');
    const past = new Date(clock.now().getTime() - 60_000);
    const future = new Date(clock.now().getTime() + 60 * 60_000);
    for (const { tenant, owner } of [one, two]) {
      await withTenant(deps.db, tenant.id, async (tx) => {
        await insertAuthToken(tx, { userId: owner.id, purpose: 'password_reset', digest: `old-${tenant.slug}`, expiresAt: past });
        await insertAuthToken(tx, { userId: owner.id, purpose: 'password_reset', digest: `live-${tenant.slug}`, expiresAt: future });
      });
    }
    await t.owner('http_sessions').insert([
      { sid: 'expired', sess: '{}', expire: t.owner.raw(`now() - interval '1 minute'`) },
      { sid: 'live', sess: '{}', expire: t.owner.raw(`now() + interval '1 day'`) },
    ]);
    await t.owner('rate_limits').insert([
      { key: 'old', hits: 3, reset_at: t.owner.raw(`now() - interval '1 minute'`) },
      { key: 'live', hits: 3, reset_at: t.owner.raw(`now() + interval '1 hour'`) },
    ]);

    await t.owner.raw(`select graphile_worker.add_job('maintenance__purge_expired', '{}'::json)`);
    const pool = ownerPgPool(t.url);
    try {
      await runOnce({ pgPool: pool, taskList: taskList(deps), logger: silent });
    } finally {
      await pool.end();
    }

    expect((await t.owner('auth_tokens').where('token_hash', 'like', 'old-%')).length).toBe(0);
    expect((await t.owner('auth_tokens').where('token_hash', 'like', 'live-%')).length).toBe(2);
    expect((await t.owner('http_sessions').select('sid')).map((r) => r.sid)).toEqual(['live']);
    expect((await t.owner('rate_limits').select('key')).map((r) => r.key)).toEqual(['live']);
    const failed = await t.owner.raw(`select count(*)::int as n from graphile_worker._private_jobs where last_error is not null`);
    expect(failed.rows[0].n).toBe(0);
  });
});
