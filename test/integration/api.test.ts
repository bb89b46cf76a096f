import { randomUUID } from 'node:crypto';
import { execFile } from 'node:child_process';
import http from 'node:http';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import request from 'supertest';
import { createApp } from '../../src/http/app.ts';
import { runJobs } from '../support/jobs.ts';
import { createApiKey } from '../../src/api/keys.ts';
import { verifySignature } from '../../src/webhooks/sign.ts';
import type { AppDeps } from '../../src/deps.ts';
import { createTestDb, TestClock, testDeps, type TestDb } from '../support/db.ts';
import { makeTenant } from '../support/http.ts';
import { api } from '../support/api.ts';
import { freePort } from '../support/net.ts';

const run = promisify(execFile);
const ROOT = path.resolve(import.meta.dirname, '../..');
const SECRET = 'test-secret-test-secret-test-secret-0123';

let t: TestDb;
let deps: AppDeps;
let app: ReturnType<typeof createApp>;
// Monday 2026-03-02 12:00 UTC.
const clock = new TestClock(Date.parse('2026-03-02T12:00:00Z'));

beforeAll(async () => {
  t = await createTestDb();
  deps = testDeps(t, clock, { RATE_LIMIT_MULTIPLIER: '100' });
  app = createApp(deps);
});
afterAll(() => t.drop());

function cli(...args: string[]) {
  return run(process.execPath, ['src/cli.ts', ...args], {
    cwd: ROOT,
    env: { PATH: process.env.PATH, DATABASE_URL: t.url, SESSION_SECRET: SECRET, LOG_LEVEL: 'silent' },
  }).then(
    (r) => ({ code: 0, stdout: r.stdout, stderr: r.stderr }),
    (e: { code: number; stdout: string; stderr: string }) => ({ code: e.code, stdout: e.stdout, stderr: e.stderr }),
  );
}

async function provision(slug: string) {
  const tenant = await makeTenant(deps, slug);
  return { tenantId: tenant.tenant.id, key: (await createApiKey(deps, tenant.tenant.id, 'test')).key };
}

describe('operator CLI', () => {
  it('refuses bad arguments with usage and exit 2, invalid values with the reason and exit 1, writing nothing', async () => {
    expect((await cli('nonsense')).code).toBe(2);
    const missing = await cli('tenant:create', '--slug', 'x-only');
    expect(missing.code).toBe(2);
    expect(missing.stderr).toContain('Missing --name');
    const unknownFlag = await cli('tenant:list', '--bogus');
    expect(unknownFlag.code).toBe(2);
    const invalid = await cli('tenant:create', '--slug', 'admin', '--name', 'X', '--email', 'nope', '--password', 'short', '--time-zone', 'Mars/Base');
    expect(invalid.code).toBe(1);
    expect(invalid.stderr).toContain('--slug: This subdomain is reserved');
    expect(invalid.stderr).toContain('--email:');
    expect(invalid.stderr).toContain('--time-zone:');
    const noTenant = await cli('apikey:create', '--tenant', 'does-not-exist');
    expect(noTenant.code).toBe(1);
    expect(await t.owner('tenants').where({ slug: 'admin' })).toHaveLength(0);
  });
});

describe('the full provisioning path: CLI → API → availability → booking → cancel', () => {
  it('works end to end', async () => {
    const created = await cli('tenant:create', '--slug', 'clinic', '--name', 'Clinic', '--email', 'owner@clinic.example', '--password', 'violet-lantern-42', '--time-zone', 'America/New_York');
    expect(created.code, created.stderr).toBe(0);
    const tenantId = created.stdout.trim();
    expect(tenantId).toMatch(/^[0-9a-f-]{36}$/);
    const keyed = await cli('apikey:create', '--tenant', 'clinic', '--name', 'Zapier');
    expect(keyed.code, keyed.stderr).toBe(0);
    const key = keyed.stdout.trim().split('\n').at(-1)!;
    expect(key).toMatch(/^sw_[0-9a-f]{8}_/);
    expect((await cli('tenant:list')).stdout).toContain(`${tenantId}\tclinic\tClinic`);

    const c = api(app, key);
    const resource = await c.post('/resources', { name: 'Dr. Ada', time_zone: 'America/New_York' });
    expect(resource.status, resource.text).toBe(201);
    expect(resource.body).toMatchObject({ object: 'resource', name: 'Dr. Ada', kind: 'staff', time_zone: 'America/New_York' });
    const rid = resource.body.id as string;

    const schedule = await c.put(`/resources/${rid}/schedule`, {
      weekly: ['mon', 'tue', 'wed', 'thu', 'fri'].flatMap((day) => [{ day, start: '09:00', end: '12:00' }, { day, start: '13:00', end: '17:00' }]),
      overrides: [{ date: '2026-03-04', closed: true }, { date: '2026-03-05', windows: [{ start: '10:00', end: '11:00' }] }],
    });
    expect(schedule.status, schedule.text).toBe(200);
    expect(schedule.body.weekly).toHaveLength(10);
    expect(schedule.body.overrides).toEqual([{ date: '2026-03-04', closed: true }, { date: '2026-03-05', windows: [{ start: '10:00', end: '11:00' }] }]);

    const service = await c.post('/services', { name: 'Checkup', duration_minutes: 30, price: 12000, deposit: 3000, currency: 'USD', resource_ids: [rid] });
    expect(service.status, service.text).toBe(201);
    expect(service.body).toMatchObject({ duration_minutes: 30, interval_minutes: 30, price: 12000, deposit: 3000, currency: 'USD', resource_ids: [rid] });
    const sid = service.body.id as string;

    const avail = await c.get(`/availability?service_id=${sid}&from=2026-03-04&to=2026-03-05&time_zone=America/Los_Angeles`);
    expect(avail.status, avail.text).toBe(200);
    expect(avail.body.time_zone).toBe('America/Los_Angeles');
    // Closed on the 4th; 10:00–11:00 New York on the 5th = 07:00 and 07:30 in Los Angeles.
    expect(avail.body.slots).toEqual([
      { start: '2026-03-05T07:00:00-08:00', end: '2026-03-05T07:30:00-08:00', resource_id: rid, resource_ids: [rid] },
      { start: '2026-03-05T07:30:00-08:00', end: '2026-03-05T08:00:00-08:00', resource_id: rid, resource_ids: [rid] },
    ]);

    const booking = await c.post('/bookings', { service_id: sid, start: '2026-03-05T07:30:00-08:00', customer: { name: 'Lou', email: 'lou@example.com', time_zone: 'America/Los_Angeles' } });
    expect(booking.status, booking.text).toBe(201);
    expect(booking.body).toMatchObject({ object: 'booking', status: 'confirmed', start: '2026-03-05T10:30:00-05:00', resource_id: rid, price: 12000, currency: 'USD', source: 'api' });
    const bid = booking.body.id as string;
    expect((await c.get(`/availability?service_id=${sid}&from=2026-03-05&to=2026-03-05&time_zone=America/Los_Angeles`)).body.slots).toHaveLength(1);

    const taken = await c.post('/bookings', { service_id: sid, start: '2026-03-05T10:30:00-05:00', customer: { name: 'Two', email: 'two@example.com', time_zone: 'UTC' } });
    expect(taken.status).toBe(409);
    expect(taken.type).toBe('application/problem+json');
    expect(taken.body).toMatchObject({ type: 'https://slotwise.dev/problems/slot_unavailable', status: 409 });

    expect((await c.get(`/bookings/${bid}`)).body.customer).toEqual({ name: 'Lou', email: 'lou@example.com', phone: null, time_zone: 'America/Los_Angeles' });
    const cancelled = await c.post(`/bookings/${bid}/cancel`, { reason: 'Feeling better' });
    expect(cancelled.status, cancelled.text).toBe(200);
    expect(cancelled.body.status).toBe('cancelled');
    expect((await c.post(`/bookings/${bid}/cancel`, {})).status).toBe(409);
    expect((await c.get(`/availability?service_id=${sid}&from=2026-03-05&to=2026-03-05&time_zone=UTC`)).body.slots).toHaveLength(2);
  });
});

describe('bookings over the API', () => {
  it('reschedules, freeing the old time only when the new one is won', async () => {
    const { key } = await provision('mover');
    const c = api(app, key);
    const rid = (await c.post('/resources', { name: 'Room', time_zone: 'Europe/London' })).body.id;
    await c.put(`/resources/${rid}/schedule`, { weekly: ['mon', 'tue', 'wed', 'thu', 'fri'].map((day) => ({ day, start: '09:00', end: '17:00' })) });
    const sid = (await c.post('/services', { name: 'Session', duration_minutes: 60, buffer_after_minutes: 30, resource_ids: [rid] })).body.id;
    const book = (start: string, email: string) => c.post('/bookings', { service_id: sid, start, customer: { name: 'N', email, time_zone: 'Europe/London' } });
    const a = (await book('2026-03-10T09:00:00Z', 'a@example.com')).body;
    const b = (await book('2026-03-10T13:00:00Z', 'b@example.com')).body;
    // 12:00–13:00 would end inside nothing, but its 30-minute buffer would run into b's 13:00 start.
    const clash = await c.post(`/bookings/${a.id}/reschedule`, { start: '2026-03-10T12:00:00Z' });
    expect(clash.status).toBe(409);
    expect((await c.get(`/bookings/${a.id}`)).body.start).toBe('2026-03-10T09:00:00+00:00');
    const moved = await c.post(`/bookings/${a.id}/reschedule`, { start: '2026-03-10T11:00:00Z' });
    expect(moved.status, moved.text).toBe(200);
    expect(moved.body).toMatchObject({ start: '2026-03-10T11:00:00+00:00', sequence: 1 });
    // Moving onto its own current time, or overlapping its own old range, is fine.
    expect((await c.post(`/bookings/${a.id}/reschedule`, { start: '2026-03-10T11:30:00Z' })).status).toBe(422); // off the 60-minute grid
    expect((await c.post(`/bookings/${a.id}/reschedule`, { start: '2026-03-10T10:00:00Z' })).status).toBe(200);
    expect((await c.post(`/bookings/${a.id}/reschedule`, { start: '2026-03-10T11:00:00Z' })).body.sequence).toBe(3);
    expect((await book('2026-03-10T09:00:00Z', 'c@example.com')).status).toBe(201); // the old time is free again
    const list = await c.get(`/bookings?from=2026-03-10T00:00:00Z&to=2026-03-11T00:00:00Z&limit=2`);
    expect(list.body.data.map((x: { customer: { email: string } }) => x.customer.email)).toEqual(['c@example.com', 'a@example.com']);
    expect(list.body.has_more).toBe(true);
    const next = await c.get(`/bookings?from=2026-03-10T00:00:00Z&to=2026-03-11T00:00:00Z&limit=2&starting_after=${list.body.data[1].id}`);
    expect(next.body).toMatchObject({ has_more: false, data: [{ id: b.id }] });
  });

  it('replays an idempotent POST and refuses the same key with another body', async () => {
    const { key } = await provision('idem');
    const c = api(app, key);
    const first = await c.post('/resources', { name: 'Chair', time_zone: 'UTC' }, { 'Idempotency-Key': 'create-chair-1' });
    const again = await c.post('/resources', { time_zone: 'UTC', name: 'Chair' }, { 'Idempotency-Key': 'create-chair-1' });
    expect(first.status).toBe(201);
    expect(again.status).toBe(201);
    expect(again.headers['idempotent-replayed']).toBe('true');
    expect(again.body).toEqual(first.body);
    const other = await c.post('/resources', { name: 'Sofa', time_zone: 'UTC' }, { 'Idempotency-Key': 'create-chair-1' });
    expect(other.status).toBe(422);
    expect(other.body.type).toContain('idempotency_key_reused');
    expect((await c.get('/resources')).body.data).toHaveLength(1);
    // After 24 hours the key may be used afresh.
    clock.advance(25 * 3600_000);
    try {
      expect((await c.post('/resources', { name: 'Sofa', time_zone: 'UTC' }, { 'Idempotency-Key': 'create-chair-1' })).status).toBe(201);
    } finally {
      clock.advance(-25 * 3600_000);
    }
  });

  it('answers malformed, unknown and mistyped input with problem+json and writes nothing', async () => {
    const { key } = await provision('strict');
    const raw = await request(app).post('/api/v1/resources').set('Authorization', `Bearer ${key}`).set('Content-Type', 'application/json').send('{"name": ');
    expect(raw.status).toBe(400);
    expect(raw.type).toBe('application/problem+json');
    const c = api(app, key);
    const unknown = await c.post('/resources', { name: 'X', time_zone: 'UTC', colour: 'red' });
    expect(unknown.status).toBe(422);
    expect(unknown.body.errors).toEqual({ colour: 'unknown field' });
    const wrongType = await c.post('/services', { name: 'S', duration_minutes: '30', resource_ids: [] });
    expect(wrongType.status).toBe(422);
    expect(wrongType.body.errors).toHaveProperty('duration_minutes');
    const badZone = await c.post('/resources', { name: 'X', time_zone: 'EST5' });
    expect(badZone.body.errors.time_zone).toContain('IANA');
    const wide = await c.get(`/availability?service_id=${crypto.randomUUID()}&from=2026-03-01&to=2026-06-01&time_zone=UTC`);
    expect(wide.status).toBe(422);
    expect(wide.body.errors.to).toContain('62 days');
    expect((await c.get('/resources/not-a-uuid')).status).toBe(404);
    expect((await c.get('/nowhere')).status).toBe(404);
    expect((await c.get('/resources')).body.data).toEqual([]);
  });

  it("never shows or touches another tenant's data: 404, never 403", async () => {
    const one = await provision('tenant-one');
    const two = await provision('tenant-two');
    const a = api(app, one.key);
    const b = api(app, two.key);
    const rid = (await a.post('/resources', { name: 'Secret room', time_zone: 'UTC' })).body.id;
    const sid = (await a.post('/services', { name: 'Secret service', duration_minutes: 30, resource_ids: [rid] })).body.id;
    for (const res of [
      await b.get(`/resources/${rid}`), await b.patch(`/resources/${rid}`, { name: 'pwned' }), await b.delete(`/resources/${rid}`),
      await b.get(`/resources/${rid}/schedule`), await b.put(`/resources/${rid}/schedule`, { weekly: [] }), await b.get(`/services/${sid}`),
      await b.get(`/availability?service_id=${sid}&from=2026-03-03&to=2026-03-03&time_zone=UTC`),
      await b.post('/bookings', { service_id: sid, start: '2026-03-03T10:00:00Z', customer: { name: 'X', email: 'x@example.com', time_zone: 'UTC' } }),
    ]) {
      expect(res.status, res.text).toBe(404);
      expect(res.text).not.toContain('Secret');
    }
    const steal = await b.post('/services', { name: 'Mine', duration_minutes: 30, resource_ids: [rid] });
    expect(steal.status).toBe(422);
    expect((await b.get('/resources')).body.data).toEqual([]);
    expect((await a.get(`/resources/${rid}`)).body.name).toBe('Secret room');
  });

  it('refuses missing, malformed and revoked keys with 401, and rate-limits per key with 429 + Retry-After', async () => {
    const { tenantId, key } = await provision('keyed');
    expect((await request(app).get('/api/v1/resources')).status).toBe(401);
    expect((await api(app, 'sw_00000000_notarealkeynotarealkeynotareal').get('/resources')).status).toBe(401);
    await t.owner('api_keys').where({ tenant_id: tenantId }).update({ revoked_at: new Date() });
    const revoked = await api(app, key).get('/resources');
    expect(revoked.status).toBe(401);
    expect(revoked.type).toBe('application/problem+json');

    const fresh = await provision('throttled');
    const strict = createApp(testDeps(t, clock, { RATE_LIMIT_MULTIPLIER: '0.01' })); // 3 per minute
    const c = api(strict, fresh.key);
    const statuses = [];
    for (let i = 0; i < 4; i++) statuses.push((await c.get('/resources')).status);
    expect(statuses).toEqual([200, 200, 200, 429]);
    const limited = await c.get('/resources');
    expect(Number(limited.headers['retry-after'])).toBeGreaterThan(0);
  });
});

describe('two integrations editing at once', () => {
  it('answers an ETag and refuses a write over a newer version with 412 when If-Match says so, changing nothing', async () => {
    const { key } = await provision('versions');
    const c = api(app, key);
    const rid = (await c.post('/resources', { name: 'Room', time_zone: 'Europe/London' })).body.id as string;
    const sid = (await c.post('/services', { name: 'Session', duration_minutes: 60, resource_ids: [rid] })).body.id as string;

    const read = await c.get(`/services/${sid}`);
    const etag = read.headers.etag as string;
    expect(etag).toMatch(/^"\d{4}-\d{2}-\d{2}T[\d:.]+"$/);
    const first = await c.patch(`/services/${sid}`, { name: 'Session A' }).set('If-Match', etag);
    expect(first.status).toBe(200);
    expect(first.headers.etag).not.toBe(etag);
    // The second writer read the same version: refused, and the first writer's change stands.
    const second = await c.patch(`/services/${sid}`, { name: 'Session B' }).set('If-Match', etag);
    expect(second.status).toBe(412);
    expect(second.headers['content-type']).toContain('application/problem+json');
    expect(second.body).toMatchObject({ type: expect.stringContaining('precondition_failed'), status: 412 });
    expect((await c.get(`/services/${sid}`)).body.name).toBe('Session A');
    // A list of tags, '*', or no If-Match at all: the write goes ahead.
    expect((await c.patch(`/services/${sid}`, { name: 'Session C' }).set('If-Match', `"other", ${first.headers.etag as string}`)).status).toBe(200);
    expect((await c.patch(`/services/${sid}`, { name: 'Session D' }).set('If-Match', '*')).status).toBe(200);
    expect((await c.patch(`/services/${sid}`, { name: 'Session E' })).status).toBe(200);
    // A weak tag never matches If-Match (strong comparison).
    const now = (await c.get(`/services/${sid}`)).headers.etag as string;
    expect((await c.patch(`/services/${sid}`, { name: 'Session F' }).set('If-Match', `W/${now}`)).status).toBe(412);

    // A resource and its schedule share one version: changing either moves it.
    const schedule = await c.get(`/resources/${rid}/schedule`);
    const resourceTag = (await c.get(`/resources/${rid}`)).headers.etag as string;
    expect(schedule.headers.etag).toBe(resourceTag);
    const renamed = await c.patch(`/resources/${rid}`, { name: 'Room 1' }).set('If-Match', resourceTag);
    expect(renamed.status).toBe(200);
    const week = { weekly: [{ day: 'mon', start: '09:00', end: '17:00' }], overrides: [] };
    expect((await c.put(`/resources/${rid}/schedule`, week).set('If-Match', resourceTag)).status).toBe(412);
    expect((await c.get(`/resources/${rid}/schedule`)).body.weekly).toEqual([]);
    const saved = await c.put(`/resources/${rid}/schedule`, week).set('If-Match', renamed.headers.etag as string);
    expect(saved.status).toBe(200);
    expect((await c.patch(`/resources/${rid}`, { name: 'Room 2' }).set('If-Match', renamed.headers.etag as string)).status).toBe(412);
    expect((await c.get(`/resources/${rid}`)).body.name).toBe('Room 1');
    // Unknown ids are still 404, If-Match or not.
    expect((await c.patch(`/services/${randomUUID()}`, { name: 'X' }).set('If-Match', etag)).status).toBe(404);
  });
});

describe('outgoing webhooks', () => {
  it('delivers booking events signed with HMAC-SHA256 over timestamp and body, and retries failures', async () => {
    const received: { headers: http.IncomingHttpHeaders; body: string }[] = [];
    let failNext = 1;
    const port = await freePort();
    const receiver = http.createServer((req, res) => {
      let body = '';
      req.on('data', (d) => (body += d));
      req.on('end', () => {
        received.push({ headers: req.headers, body });
        res.statusCode = failNext-- > 0 ? 500 : 204;
        res.end();
      });
    });
    await new Promise<void>((r) => receiver.listen(port, '127.0.0.1', r));
    // The receiver is on 127.0.0.1 over plain http: only an operator's allow flags let it be an endpoint.
    const deps = testDeps(t, clock, { RATE_LIMIT_MULTIPLIER: '100', OUTBOUND_ALLOW_HTTP: 'true', OUTBOUND_ALLOW_PRIVATE: 'true' });
    const app = createApp(deps);
    try {
      const { key } = await provision('hooked');
      const c = api(app, key);
      const endpoint = await c.post('/webhook_endpoints', { url: `http://127.0.0.1:${port}/hooks`, events: ['booking.created', 'booking.cancelled'] });
      expect(endpoint.status, endpoint.text).toBe(201);
      const secret = endpoint.body.secret as string;
      expect(secret).toMatch(/^whsec_/);
      expect((await c.get(`/webhook_endpoints/${endpoint.body.id}`)).body.secret).toBeUndefined();

      const rid = (await c.post('/resources', { name: 'R', time_zone: 'UTC' })).body.id;
      await c.put(`/resources/${rid}/schedule`, { weekly: [{ day: 'tue', start: '09:00', end: '10:00' }] });
      const sid = (await c.post('/services', { name: 'S', duration_minutes: 60, resource_ids: [rid] })).body.id;
      const booking = (await c.post('/bookings', { service_id: sid, start: '2026-03-03T09:00:00Z', customer: { name: 'W', email: 'w@example.com', time_zone: 'UTC' } })).body;

      await runJobs(t, deps); // first attempt: the receiver answers 500
      expect(received).toHaveLength(1);
      const delivery = await t.owner('webhook_deliveries').where({ event_type: 'booking.created' }).first();
      expect(delivery).toMatchObject({ status: 'pending', attempts: 1, last_status_code: 500 });
      // graphile-worker schedules the retry with backoff; make it due now.
      await t.owner.raw(`update graphile_worker._private_jobs set run_at = now() where key like ?`, [`%webhook:${delivery.id}`]);
      await runJobs(t, deps);
      expect(received).toHaveLength(2);
      expect(await t.owner('webhook_deliveries').where({ id: delivery.id }).first()).toMatchObject({ status: 'succeeded', attempts: 2, last_status_code: 204 });

      const last = received[1]!;
      const signature = String(last.headers['slotwise-signature']);
      const nowSeconds = Math.floor(clock.now().getTime() / 1000);
      expect(verifySignature(secret, last.body, signature, nowSeconds)).toBe(true);
      expect(verifySignature('whsec_wrong', last.body, signature, nowSeconds)).toBe(false);
      expect(verifySignature(secret, last.body.replace('w@example.com', 'x@example.com'), signature, nowSeconds)).toBe(false);
      // A receiver written from the docs alone: HMAC-SHA256(secret, `${t}.${body}`), hex.
      const { createHmac } = await import('node:crypto');
      const [, ts, mac] = /^t=(\d+),v1=([0-9a-f]{64})$/.exec(signature)!;
      expect(createHmac('sha256', secret).update(`${ts}.${last.body}`).digest('hex')).toBe(mac);
      const event = JSON.parse(last.body);
      expect(event).toMatchObject({ type: 'booking.created', data: { booking: { id: booking.id, status: 'confirmed' } } });

      await c.post(`/bookings/${booking.id}/cancel`, {});
      await runJobs(t, deps);
      expect(JSON.parse(received.at(-1)!.body)).toMatchObject({ type: 'booking.cancelled', data: { booking: { id: booking.id, status: 'cancelled' } } });
    } finally {
      receiver.close();
    }
  });
});

describe('every list is paginated', () => {
  it('pages holidays and webhook endpoints with limit and starting_after', async () => {
    const { key } = await provision('pager');
    const c = api(app, key);
    for (const [i, d] of ['2026-12-24', '2026-12-25', '2026-12-31'].entries()) {
      expect((await c.post('/holidays', { name: `H${i}`, start_date: d })).status).toBe(201);
    }
    const first = await c.get('/holidays?limit=2');
    expect(first.body).toMatchObject({ has_more: true, data: [{ name: 'H0', start_date: '2026-12-24', end_date: '2026-12-24' }, { name: 'H1' }] });
    const rest = await c.get(`/holidays?limit=2&starting_after=${first.body.data[1].id}`);
    expect(rest.body).toMatchObject({ has_more: false, data: [{ name: 'H2', start_date: '2026-12-31' }] });
    for (const n of [1, 2]) await c.post('/webhook_endpoints', { url: `https://example.com/h${n}`, events: ['booking.created'] });
    const hooks = await c.get('/webhook_endpoints?limit=1');
    expect(hooks.body).toMatchObject({ has_more: true, data: [{ url: 'https://example.com/h1' }] });
    expect((await c.get('/holidays?limit=0')).status).toBe(422);
  });
});
