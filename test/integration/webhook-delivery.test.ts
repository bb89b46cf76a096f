import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { Logger, run } from 'graphile-worker';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createApp } from '../../src/http/app.ts';
import { createApiKey } from '../../src/api/keys.ts';
import { ownerPgPool } from '../../src/db/database.ts';
import { withTenant } from '../../src/db/tenant.ts';
import { taskList } from '../../src/jobs/tasks.ts';
import { DISABLE_AFTER_FAILURES } from '../../src/webhooks/health.ts';
import { emitEvent } from '../../src/webhooks/service.ts';
import type { AppDeps } from '../../src/deps.ts';
import { createTestDb, TestClock, testDeps, type TestDb } from '../support/db.ts';
import { makeTenant, signedIn } from '../support/http.ts';
import { api } from '../support/api.ts';
import { drainJobs } from '../support/jobs.ts';
import { freePort } from '../support/net.ts';

// Every endpoint here is the receiver this file starts on 127.0.0.1.
let t: TestDb;
/** As the existing webhook tests need: plain http to 127.0.0.1 allowed by the operator. */
let open: AppDeps;
/** Plain http allowed, private destinations not (the default for the latter). */
let guarded: AppDeps;
const clock = new TestClock(Date.parse('2026-03-02T12:00:00Z'));

/** What the receiver answers per path, and what it saw. */
const answers = new Map<string, number>();
const seen: string[] = [];
let connections = 0;
/** Requests to /slow wait here until released. */
let held: (() => void)[] = [];
let inFlight = 0;
let maxInFlight = 0;
let receiver: http.Server;
let base: string;

beforeAll(async () => {
  t = await createTestDb();
  open = testDeps(t, clock, { RATE_LIMIT_MULTIPLIER: '100', OUTBOUND_ALLOW_HTTP: 'true', OUTBOUND_ALLOW_PRIVATE: 'true' });
  guarded = testDeps(t, clock, { RATE_LIMIT_MULTIPLIER: '100', OUTBOUND_ALLOW_HTTP: 'true' });
  receiver = http.createServer((req, res) => {
    req.resume();
    req.on('end', () => {
      seen.push(req.url!);
      if (req.url === '/slow') {
        inFlight++;
        maxInFlight = Math.max(maxInFlight, inFlight);
        held.push(() => {
          inFlight--;
          res.writeHead(204).end();
        });
        return;
      }
      if (req.url === '/redirect') return void res.writeHead(302, { Location: '/redirected' }).end();
      res.writeHead(answers.get(req.url!) ?? 204).end();
    });
  });
  receiver.on('connection', () => connections++);
  await new Promise<void>((r) => receiver.listen(0, '127.0.0.1', r));
  base = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}`;
});
afterAll(async () => {
  for (const release of held) release();
  receiver.closeAllConnections();
  await new Promise((r) => receiver.close(r));
  await t.drop();
});
beforeEach(() => {
  seen.length = 0;
  connections = 0;
});

/** A tenant with one endpoint at `path` on the receiver, registered as an operator with the allow flags would let it be. */
async function tenantWithEndpoint(slug: string, path: string) {
  const { tenant } = await makeTenant(open, slug);
  const { key } = await createApiKey(open, tenant.id, 'test');
  const res = await api(createApp(open), key).post('/webhook_endpoints', { url: `${base}${path}`, events: ['booking.created', 'booking.cancelled'] });
  expect(res.status, res.text).toBe(201);
  return { tenantId: tenant.id, key, endpointId: res.body.id as string, host: `${slug}.slotwise.test` };
}

const emit = (deps: AppDeps, tenantId: string, n = 1) =>
  withTenant(deps.db, tenantId, async (tx) => {
    for (let i = 0; i < n; i++) await emitEvent(tx, 'booking.created', { booking: { id: `b${i}` } }, deps.now());
  });

const endpoint = (id: string) => t.owner('webhook_endpoints').where({ id }).first();
const deliveriesOf = (endpointId: string) => t.owner('webhook_deliveries').where({ endpoint_id: endpointId }).orderBy('created_at');
/** Push every waiting retry a day out, so the next run sees only new deliveries. */
const parkRetries = () => t.owner.raw(`update graphile_worker._private_jobs set run_at = now() + interval '1 day' where attempts > 0`);

describe('delivering webhooks through the guarded client', () => {
  it('refuses a delivery to 127.0.0.1 without OUTBOUND_ALLOW_PRIVATE: the receiver sees nothing, the dashboard a short reason', async () => {
    const { tenantId, endpointId, host } = await tenantWithEndpoint('walled', '/hooks');
    await emit(guarded, tenantId);
    await drainJobs(t, guarded);
    expect(connections).toBe(0);
    expect(seen).toEqual([]);
    expect(await deliveriesOf(endpointId)).toMatchObject([{ status: 'pending', attempts: 1, last_status_code: null, last_error: 'refused: private address' }]);
    expect(await endpoint(endpointId)).toMatchObject({ consecutive_failures: 1, last_error: 'refused: private address', active: true });
    const page = await (await signedIn(createApp(guarded), host, 'owner@walled.example')).open('/admin/developers');
    expect(page.text).toContain('refused: private address');
    await parkRetries();
  });

  it('delivers as before with the allow flags set, and records failures in short words only', async () => {
    const { tenantId, endpointId } = await tenantWithEndpoint('delivered', '/hooks');
    await emit(open, tenantId);
    await drainJobs(t, open);
    expect(seen).toEqual(['/hooks']);
    expect(await deliveriesOf(endpointId)).toMatchObject([{ status: 'succeeded', attempts: 1, last_status_code: 204, last_error: null }]);

    // Nothing listening: the socket error names the address and port; the record does not.
    const closed = await freePort();
    const { tenantId: other, endpointId: dead, host } = await tenantWithEndpoint('unheard', '/x');
    await t.owner('webhook_endpoints').where({ id: dead }).update({ url: `http://127.0.0.1:${closed}/x` });
    await emit(open, other);
    await drainJobs(t, open);
    expect(await deliveriesOf(dead)).toMatchObject([{ status: 'pending', last_error: 'connection refused' }]);
    const page = await (await signedIn(createApp(open), host, 'owner@unheard.example')).open('/admin/developers');
    expect(page.text).toContain('connection refused');
    expect(page.text).not.toMatch(/ECONNREFUSED|fetch failed/);
    await parkRetries();
  });

  it('does not follow a redirect: the 3xx is the failure, with its status', async () => {
    const { tenantId, endpointId } = await tenantWithEndpoint('moved', '/redirect');
    await emit(open, tenantId);
    await drainJobs(t, open);
    expect(seen).toEqual(['/redirect']);
    expect(await deliveriesOf(endpointId)).toMatchObject([{ status: 'pending', last_status_code: 302, last_error: 'redirect not followed' }]);
    await parkRetries();
  });

  it('queues deliveries per tenant, from the booking statement and from later changes alike, and mail in no queue', async () => {
    const { tenantId, key } = await tenantWithEndpoint('queued', '/hooks');
    const c = api(createApp(open), key);
    const rid = (await c.post('/resources', { name: 'R', time_zone: 'UTC' })).body.id;
    await c.put(`/resources/${rid}/schedule`, { weekly: [{ day: 'tue', start: '09:00', end: '10:00' }] });
    const sid = (await c.post('/services', { name: 'S', duration_minutes: 60, resource_ids: [rid] })).body.id;
    const booking = (await c.post('/bookings', { service_id: sid, start: '2026-03-03T09:00:00Z', customer: { name: 'W', email: 'w@example.com', time_zone: 'UTC' } })).body;
    await c.post(`/bookings/${booking.id}/cancel`, {});
    const jobs = await t.owner.raw<{ rows: { task_identifier: string; queue_name: string | null; payload: { tenantId?: string } }[] }>(
      `select j.task_identifier, j.queue_name, p.payload from graphile_worker.jobs j join graphile_worker._private_jobs p on p.id = j.id where p.payload ->> 'tenantId' = ?`,
      [tenantId],
    );
    const deliveries = jobs.rows.filter((j) => j.task_identifier === 'webhooks__deliver');
    expect(deliveries).toHaveLength(2); // booking.created (in `book`) and booking.cancelled (emitEvent)
    expect(new Set(deliveries.map((j) => j.queue_name))).toEqual(new Set([`webhooks:${tenantId}`]));
    const mail = jobs.rows.filter((j) => j.task_identifier === 'notifications__send');
    expect(mail.length).toBeGreaterThan(0);
    expect(mail.every((j) => j.queue_name === null)).toBe(true);
    await drainJobs(t, open);
  });

  it("holds one worker slot at most for a tenant's slow endpoint, while other tenants' mail goes out", async () => {
    const slow = await tenantWithEndpoint('sluggish', '/slow');
    await drainJobs(t, open); // the owners' "endpoint added" mails so far
    await emit(open, slow.tenantId, 3);
    // Another tenant's mail, queued while the slow deliveries wait.
    const other = await tenantWithEndpoint('bystander', '/hooks');
    const pool = ownerPgPool(t.url);
    const runner = await run({ pgPool: pool, taskList: taskList(open), concurrency: 4, noHandleSignals: true, pollInterval: 100, logger: new Logger(() => () => undefined) });
    try {
      await until(() => inFlight === 1);
      await until(async () => (await t.owner('notifications').where({ tenant_id: other.tenantId, kind: 'webhook_endpoint_created', status: 'sent' })).length === 1);
      // Long enough for a second and third slot to be taken, were the queue not serial.
      await new Promise((r) => setTimeout(r, 500));
      expect(inFlight).toBe(1);
      for (let i = 0; i < 3; i++) {
        await until(() => held.length > 0);
        held.shift()!();
      }
      await until(async () => (await deliveriesOf(slow.endpointId)).every((d) => d.status === 'succeeded'));
      expect(maxInFlight).toBe(1);
      expect(seen.filter((s) => s === '/slow')).toHaveLength(3);
    } finally {
      await runner.stop();
      await pool.end();
    }
  });

  it(`turns an endpoint off after ${DISABLE_AFTER_FAILURES} failures in a row, emails the owner once, and turns on again`, async () => {
    const { tenantId, endpointId, host } = await tenantWithEndpoint('flaky', '/flaky');
    await drainJobs(t, open); // the "endpoint added" mail
    answers.set('/flaky', 500);
    await emit(open, tenantId, 10);
    await drainJobs(t, open);
    await parkRetries();
    // Ten events, and any retry that fell due during the run: each attempt counts.
    expect(seen.length).toBeGreaterThanOrEqual(10);
    expect(await endpoint(endpointId)).toMatchObject({ consecutive_failures: seen.length, last_error: 'HTTP 500', active: true });
    // One success resets the count.
    answers.set('/flaky', 204);
    await emit(open, tenantId);
    await drainJobs(t, open);
    expect(await endpoint(endpointId)).toMatchObject({ consecutive_failures: 0, last_error: null, active: true });

    answers.set('/flaky', 500);
    seen.length = 0;
    await emit(open, tenantId, DISABLE_AFTER_FAILURES + 1);
    await drainJobs(t, open);
    expect(seen).toHaveLength(DISABLE_AFTER_FAILURES); // then it was off: the last event was not sent
    const off = await endpoint(endpointId);
    expect(off).toMatchObject({ active: false, consecutive_failures: DISABLE_AFTER_FAILURES, last_error: 'HTTP 500' });
    expect(off.disabled_at).toBeInstanceOf(Date);
    const all = await deliveriesOf(endpointId);
    expect([all.at(-1)!.status, all.at(-1)!.last_error]).toEqual(['failed', 'endpoint turned off']);
    // The attempt that turned it off settled its delivery as failed; the others wait for a retry.
    expect(all.filter((d) => d.status === 'failed' && d.last_error === 'HTTP 500')).toHaveLength(1);

    // Retries of the earlier failures, now due, find it off: nothing sent, no second mail.
    await t.owner.raw(`update graphile_worker._private_jobs set run_at = now() where attempts > 0 and payload ->> 'tenantId' = ?`, [tenantId]);
    seen.length = 0;
    await drainJobs(t, open);
    expect(seen).toEqual([]);
    const notices = await t.owner('notifications').where({ tenant_id: tenantId, kind: 'webhook_endpoint_disabled' });
    expect(notices).toHaveLength(1);
    const mail = await t.owner('outbox_messages').where({ tenant_id: tenantId }).where('subject', 'like', 'Webhook endpoint turned off%');
    expect(mail).toHaveLength(1);
    expect(mail[0].to_address).toBe('owner@flaky.example');
    expect(mail[0].text_body).toContain(`after ${DISABLE_AFTER_FAILURES} failed deliveries in a row`);
    expect(mail[0].text_body).toContain('The last failure: HTTP 500.');

    const owner = await signedIn(createApp(open), host, 'owner@flaky.example');
    const page = await owner.open('/admin/developers');
    expect(page.text).toContain('turned off');
    expect(page.text).toContain(`after ${DISABLE_AFTER_FAILURES} failed deliveries in a row · last error: HTTP 500`);
    expect(page.text).toContain(`/admin/developers/webhooks/${endpointId}/enable`);
    expect((await owner.post(`/admin/developers/webhooks/${endpointId}/enable`)).status).toBe(303);
    expect(await endpoint(endpointId)).toMatchObject({ active: true, consecutive_failures: 0, last_error: null, disabled_at: null });
    expect(await t.owner('audit_log').where({ tenant_id: tenantId, action: 'webhook.enable', subject_id: endpointId })).toHaveLength(1);

    answers.set('/flaky', 204);
    seen.length = 0;
    await emit(open, tenantId);
    await drainJobs(t, open);
    expect(seen).toEqual(['/flaky']);
  });
});

/** Wait for a condition the worker makes true, polling, for 10 s at most. */
async function until(check: () => boolean | Promise<boolean>): Promise<void> {
  const deadline = Date.now() + 10_000;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error('condition not met within 10 s');
    await new Promise((r) => setTimeout(r, 25));
  }
}
