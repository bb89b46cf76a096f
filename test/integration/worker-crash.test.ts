import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import { makeWorkerUtils } from 'graphile-worker';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createBooking } from '../../src/bookings/service.ts';
import type { AppDeps } from '../../src/deps.ts';
import { createTestDb, testDeps, type TestDb } from '../support/db.ts';
import { makeTenant } from '../support/http.ts';
import { makeResource, makeService } from '../support/catalog.ts';
import { FakeSendGrid } from '../fakes/sendgrid.ts';

/**
 * A real worker process killed while SendGrid holds a message it has
 * accepted, then a second real worker: nothing is sent twice.
 */
let t: TestDb;
let deps: AppDeps;
let sg: FakeSendGrid;
const ROOT = path.resolve(import.meta.dirname, '../..');
const SECRET = 'test-secret-test-secret-test-secret-0123';
const workers: ChildProcess[] = [];

beforeAll(async () => {
  t = await createTestDb();
  sg = await new FakeSendGrid().start();
  deps = testDeps(t, undefined, { SENDGRID_API_KEY: 'SG.crash', SENDGRID_BASE_URL: sg.url });
});
afterAll(async () => {
  for (const w of workers) w.kill('SIGKILL');
  await sg.stop();
  await t.drop();
});

function startWorker(): ChildProcess {
  const child = spawn(process.execPath, ['src/worker.ts'], {
    cwd: ROOT,
    env: {
      PATH: process.env.PATH, DATABASE_URL: t.url, SESSION_SECRET: SECRET, SENDGRID_API_KEY: 'SG.crash', SENDGRID_BASE_URL: sg.url,
      WORKER_CONCURRENCY: '1', LOG_LEVEL: 'silent', BASE_DOMAIN: 'slotwise.test',
    },
    stdio: 'ignore',
  });
  workers.push(child);
  return child;
}

async function until(what: string, check: () => Promise<boolean> | boolean, ms = 30_000): Promise<void> {
  const end = Date.now() + ms;
  while (!(await check())) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

const statusOf = async (email: string) => (await t.owner('notifications').where({ to_address: email, kind: 'booking_confirmation' }).first())?.status as string | undefined;
const receivedBy = (email: string) => sg.received.filter((m) => m.body.personalizations[0]!.to[0]!.email === email).length;

describe('a worker killed mid-send', () => {
  it('does not send twice after a second worker takes over', async () => {
    const { tenant } = await makeTenant(deps, 'crashy');
    await t.owner('tenants').where({ id: tenant.id }).update({ reminder_offsets_minutes: [] });
    const resource = await makeResource(deps, tenant.id, 'Room', 'UTC', [['00:00', '24:00']]);
    const serviceId = (await makeService(deps, tenant.id, [resource.id], { horizonDays: 30 })).id;
    const day = Math.floor(Date.now() / 86_400_000) + 2;
    const emails = ['first@example.com', 'second@example.com', 'third@example.com'];
    for (const [i, email] of emails.entries()) {
      await createBooking(deps, tenant.id, { source: 'public', userId: null }, {
        serviceId, resourceId: null, start: day * 86_400_000 + (9 + i) * 3_600_000, customer: { name: 'C', email, phone: null, timeZone: 'UTC' }, notes: null,
      });
    }
    sg.answer('first@example.com', 'hang');

    const first = startWorker();
    await until('SendGrid to receive the first message', () => receivedBy('first@example.com') === 1);
    expect(await statusOf('first@example.com')).toBe('sending');
    first.kill('SIGKILL');
    await new Promise((r) => first.once('exit', r));

    // The operator's recovery for a dead worker: release the jobs it had locked.
    const locked = await t.owner.raw(`select distinct locked_by from graphile_worker._private_jobs where locked_by is not null`);
    const utils = await makeWorkerUtils({ connectionString: t.url });
    try {
      await utils.forceUnlockWorkers(locked.rows.map((r: { locked_by: string }) => r.locked_by));
    } finally {
      await utils.release();
    }

    const second = startWorker();
    await until('every confirmation to be settled', async () => (await statusOf('third@example.com')) === 'sent' && (await statusOf('first@example.com')) === 'failed');
    second.kill('SIGTERM');

    expect(emails.map(receivedBy)).toEqual([1, 1, 1]);
    const firstRow = await t.owner('notifications').where({ to_address: 'first@example.com' }).first();
    expect(firstRow.last_error).toContain('not sent again');
    expect(await statusOf('second@example.com')).toBe('sent');
  }, 90_000);
});
