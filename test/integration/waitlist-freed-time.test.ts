import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApp } from '../../src/http/app.ts';
import { createApiKey } from '../../src/api/keys.ts';
import { withTenant } from '../../src/db/tenant.ts';
import type { AppDeps } from '../../src/deps.ts';
import { createTestDb, TestClock, testDeps, type TestDb } from '../support/db.ts';
import { makeTenant, signedIn, type Client } from '../support/http.ts';
import { makeResource, makeService } from '../support/catalog.ts';
import { api } from '../support/api.ts';
import { runJobs } from '../support/jobs.ts';

/**
 * Time freed by anything but a booking change wakes the waitlist too: a
 * block removed (from the dashboard, or by any path, as calendar sync
 * removes a deleted event's block), hours widened, a holiday removed, a
 * resource added to a service, a service's rule relaxed. Each is a trigger on its table
 * (migrations/0041), so no code path can forget it; narrowing changes and
 * a tenant nobody waits for enqueue nothing.
 */
let t: TestDb;
let deps: AppDeps;
let app: ReturnType<typeof createApp>;
let tenantId: string;
let key: string;
let owner: Client;
const HOST = 'freed.slotwise.test';
const clock = new TestClock(Date.now());
const DAY = new Date(Date.now() + 3 * 86_400_000).toISOString().slice(0, 10);
const at = (hhmm: string) => `${DAY}T${hhmm}:00.000Z`;
const ALL_DAYS = ['mon', 'tue', 'wed', 'thu', 'fri', 'sat', 'sun'] as const;

beforeAll(async () => {
  t = await createTestDb();
  deps = testDeps(t, clock, { RATE_LIMIT_MULTIPLIER: '100' });
  app = createApp(deps);
  tenantId = (await makeTenant(deps, 'freed', { timeZone: 'UTC' })).tenant.id;
  key = (await createApiKey(deps, tenantId, 'freed')).key;
  owner = await signedIn(app, HOST, 'owner@freed.example');
});
afterAll(() => t.drop());

/** A resource open `hours` every day, its own one-hour service, and a customer booked at 09:00. */
async function fullChair(name: string, hours: [string, string]) {
  const resourceId = (await makeResource(deps, tenantId, name, 'UTC', [hours])).id;
  const serviceId = (await makeService(deps, tenantId, [resourceId], { name: `${name} cut`, durationMin: 60, intervalMin: 60 })).id;
  const booked = await api(app, key).post('/bookings', {
    service_id: serviceId, resource_id: resourceId, start: at('09:00'), customer: { name: 'Early', email: `early.${name.toLowerCase()}@example.com`, time_zone: 'UTC' },
  });
  expect(booked.status, booked.text).toBe(201);
  return { resourceId, serviceId };
}

async function join(serviceId: string, resourceId: string | null, who: string): Promise<string> {
  const res = await api(app, key).post('/waitlist', {
    service_id: serviceId, resource_id: resourceId, from_date: DAY, to_date: DAY, customer: { name: who, email: `${who}@example.com`, time_zone: 'UTC' },
  });
  expect(res.status, res.text).toBe(201);
  // Whatever joining enqueued has run: the entry waits, nothing was free.
  await runJobs(t, deps);
  expect((await t.owner('waitlist_entries').where({ id: res.body.id }).first()).status).toBe('waiting');
  return res.body.id;
}

const offerJobs = () => t.owner('graphile_worker._private_jobs as j')
  .join('graphile_worker._private_tasks as k', 'k.id', 'j.task_id')
  .where('k.identifier', 'waitlist__offer');

/** After the change's jobs ran: the entry was offered the time at `start`, held for them. */
async function expectOffered(entryId: string, who: string, start: string) {
  await runJobs(t, deps);
  expect((await t.owner('waitlist_entries').where({ id: entryId }).first()).status).toBe('offered');
  const held = await t.owner('bookings').where({ customer_email: `${who}@example.com`, source: 'waitlist' }).first();
  expect(held).toMatchObject({ status: 'held' });
  expect(held.starts_at.toISOString()).toBe(start);
}

describe('time freed without a booking change', () => {
  it('a block removed in the dashboard is offered to the waiting customer', async () => {
    const { resourceId, serviceId } = await fullChair('Alpha', ['09:00', '11:00']);
    await owner.open('/admin/blocks');
    expect((await owner.post('/admin/blocks', { resourceId, date: DAY, start: '10:00', end: '11:00', label: 'Lunch' })).status).toBe(303);
    const entry = await join(serviceId, resourceId, 'ada');
    const block = await t.owner('busy_blocks').where({ resource_id: resourceId }).first();
    expect((await owner.post(`/admin/blocks/${block.id}/delete`)).status).toBe(303);
    await expectOffered(entry, 'ada', at('10:00'));
  });

  it('a block removed by any other path (as calendar sync removes a deleted event) is offered too', async () => {
    const { resourceId, serviceId } = await fullChair('Beta', ['09:00', '11:00']);
    const [block] = await t.owner('busy_blocks')
      .insert({ tenant_id: tenantId, resource_id: resourceId, during: t.owner.raw(`tstzrange(?::timestamptz, ?::timestamptz, '[)')`, [at('10:00'), at('11:00')]), source: 'admin', label: 'Dentist' })
      .returning('id');
    const entry = await join(serviceId, resourceId, 'bo');
    await withTenant(deps.db, tenantId, (tx) => tx('busy_blocks').where({ id: block.id }).del());
    await expectOffered(entry, 'bo', at('10:00'));
  });

  it('hours widened through the API are offered', async () => {
    const { resourceId, serviceId } = await fullChair('Gamma', ['09:00', '10:00']);
    const entry = await join(serviceId, resourceId, 'cy');
    const widened = await api(app, key).put(`/resources/${resourceId}/schedule`, { weekly: ALL_DAYS.map((day) => ({ day, start: '09:00', end: '11:00' })) });
    expect(widened.status, widened.text).toBe(200);
    await expectOffered(entry, 'cy', at('10:00'));
  });

  it('a removed holiday gives its days back to every resource of the business', async () => {
    const resourceId = (await makeResource(deps, tenantId, 'Delta', 'UTC', [['09:00', '10:00']])).id;
    const serviceId = (await makeService(deps, tenantId, [resourceId], { name: 'Delta cut', durationMin: 60, intervalMin: 60 })).id;
    const holiday = await api(app, key).post('/holidays', { name: 'Closed', start_date: DAY });
    expect(holiday.status, holiday.text).toBe(201);
    const entry = await join(serviceId, null, 'di');
    expect((await api(app, key).delete(`/holidays/${holiday.body.id}`)).status).toBe(204);
    await expectOffered(entry, 'di', at('09:00'));
  });

  it('a resource added to a service is offered to those waiting for any resource', async () => {
    const { serviceId } = await fullChair('Epsilon', ['09:00', '10:00']);
    const spare = (await makeResource(deps, tenantId, 'Spare', 'UTC', [['09:00', '10:00']])).id;
    const entry = await join(serviceId, null, 'ed');
    const svc = await api(app, key).get(`/services/${serviceId}`);
    const added = await api(app, key).patch(`/services/${serviceId}`, { resource_ids: [...svc.body.resource_ids, spare] }).set('If-Match', svc.headers.etag!);
    expect(added.status, added.text).toBe(200);
    await expectOffered(entry, 'ed', at('09:00'));
  });

  it('a service rule relaxed (a shorter notice) is offered', async () => {
    const resourceId = (await makeResource(deps, tenantId, 'Eta', 'UTC', [['09:00', '10:00']])).id;
    // Four days of notice: the day three days ahead is out of reach.
    const serviceId = (await makeService(deps, tenantId, [resourceId], { name: 'Eta cut', durationMin: 60, intervalMin: 60, minNoticeMin: 4 * 24 * 60 })).id;
    const entry = await join(serviceId, resourceId, 'gus');
    const svc = await api(app, key).get(`/services/${serviceId}`);
    const relaxed = await api(app, key).patch(`/services/${serviceId}`, { min_notice_minutes: 60 }).set('If-Match', svc.headers.etag!);
    expect(relaxed.status, relaxed.text).toBe(200);
    await expectOffered(entry, 'gus', at('09:00'));
  });

  it('narrowing changes enqueue nothing, and nothing is enqueued for a business nobody waits for', async () => {
    const { resourceId, serviceId } = await fullChair('Zeta', ['09:00', '11:00']);
    await join(serviceId, resourceId, 'fay');
    await runJobs(t, deps);
    await owner.open('/admin/blocks');
    expect((await owner.post('/admin/blocks', { resourceId, date: DAY, start: '10:00', end: '11:00', label: 'Closed' })).status).toBe(303);
    expect(await offerJobs()).toHaveLength(0);

    const quiet = (await makeTenant(deps, 'quiet', { timeZone: 'UTC' })).tenant.id;
    const room = (await makeResource(deps, quiet, 'Room', 'UTC', [['09:00', '10:00']])).id;
    await withTenant(deps.db, quiet, async (tx) => {
      await tx('busy_blocks').insert({ tenant_id: quiet, resource_id: room, during: tx.raw(`tstzrange(?::timestamptz, ?::timestamptz, '[)')`, [at('09:00'), at('10:00')]), source: 'admin' });
      await tx('busy_blocks').where({ resource_id: room }).del();
    });
    expect(await offerJobs()).toHaveLength(0);
  });
});
