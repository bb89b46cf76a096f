import { randomUUID } from 'node:crypto';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { withTenant } from '../../src/db/tenant.ts';
import type { AppDeps } from '../../src/deps.ts';
import { createBooking } from '../../src/bookings/service.ts';
import { queueNotifications, SEND_TASK } from '../../src/notifications/queries.ts';
import { book, bookingContext, coalescersOf, type BookFollowUps, type NewBooking } from '../../src/bookings/queries.ts';
import { DELIVER_TASK } from '../../src/webhooks/service.ts';
import { dayInstantRange, localDate } from '../../src/scheduling/index.ts';
import { createTestDb, TestClock, testDeps, type TestDb } from '../support/db.ts';
import { makeTenant } from '../support/http.ts';
import { makeResource, makeService } from '../support/catalog.ts';

/**
 * The booking path's batched statements keep the rules of the one-at-a-time
 * code they replaced: follow-ups (one statement for many rows and jobs), the
 * two-call booking (booking_context, then book, verified by digest), and a
 * booking that loses at the INSERT to a writer that takes no lock.
 */
let t: TestDb;
let deps: AppDeps;
let a: string;
let b: string;
let serviceId: string;
let resource1: string;
let resource2: string;
const clock = new TestClock(Date.parse('2026-05-04T08:00:00Z'));

beforeAll(async () => {
  t = await createTestDb();
  deps = testDeps(t, clock);
  a = (await makeTenant(deps, 'batch-a')).tenant.id;
  b = (await makeTenant(deps, 'batch-b')).tenant.id;
  resource1 = (await makeResource(deps, a, 'Room 1', 'Europe/London', [['00:00', '24:00']], 0)).id;
  resource2 = (await makeResource(deps, a, 'Room 2', 'Europe/London', [['00:00', '24:00']], 1)).id;
  serviceId = (await makeService(deps, a, [resource1, resource2], { horizonDays: 365 })).id;
});
afterAll(() => t.drop());

interface JobRow {
  key: string | null;
  payload: Record<string, unknown>;
  run_at: Date;
  max_attempts: number;
  task: string;
}

const jobsLike = async (pattern: string): Promise<JobRow[]> =>
  (
    await t.owner.raw<{ rows: JobRow[] }>(
      `select j.key, j.payload, j.run_at, j.max_attempts, tk.identifier as task
         from graphile_worker._private_jobs j join graphile_worker._private_tasks tk on tk.id = j.task_id
        where j.key like ? order by j.key`,
      [pattern],
    )
  ).rows;

describe('app_private.add_jobs', () => {
  it('stamps the current tenant into every payload and job key, with run_at and max_attempts', async () => {
    const tag = randomUUID();
    const runAt = new Date('2026-06-01T10:00:00Z');
    const n = await withTenant(deps.db, a, async (tx) => {
      const { rows } = await tx.raw(
        `select app_private.add_jobs('maintenance__purge_expired', array[?::jsonb, ?::jsonb], array[?::timestamptz, null], array[?, ?], 7) as n`,
        [JSON.stringify({ tenantId: b, x: 1 }), JSON.stringify({ x: 2 }), runAt.toISOString(), `${tag}:1`, `${tag}:2`],
      );
      return rows[0].n as number;
    });
    expect(n).toBe(2);
    const jobs = await jobsLike(`%${tag}:%`);
    expect(jobs.map((j) => [j.key, j.payload, j.max_attempts, j.task])).toEqual([
      [`${a}:${tag}:1`, { tenantId: a, x: 1 }, 7, 'maintenance__purge_expired'],
      [`${a}:${tag}:2`, { tenantId: a, x: 2 }, 7, 'maintenance__purge_expired'],
    ]);
    expect(jobs[0]!.run_at.toISOString()).toBe(runAt.toISOString());
  });

  it('replaces a pending job with the same key, like add_job', async () => {
    const key = randomUUID();
    for (const x of [1, 2]) {
      await withTenant(deps.db, a, (tx) => tx.raw(`select app_private.add_jobs('maintenance__purge_expired', array[?::jsonb], null, array[?])`, [JSON.stringify({ x }), key]));
    }
    const jobs = await jobsLike(`%${key}`);
    expect(jobs.map((j) => j.payload)).toEqual([{ tenantId: a, x: 2 }]);
  });

  it('refuses without a tenant, and the runtime role cannot reach graphile_worker.add_jobs directly', async () => {
    await expect(t.db.app.raw(`select app_private.add_jobs('maintenance__purge_expired', array['{}'::jsonb])`)).rejects.toThrow(/needs a tenant transaction/);
    await expect(t.db.app.raw(`select app_private.add_jobs('maintenance__purge_expired', array[]::jsonb[])`)).rejects.toMatchObject({ code: '42501' });
    await expect(t.db.app.raw(`select graphile_worker.add_jobs(array[]::graphile_worker.job_spec[])`)).rejects.toThrow(/permission denied/);
  });

  it('refuses arrays that do not match, enqueues nothing for none, and nothing when the transaction rolls back', async () => {
    await expect(
      withTenant(deps.db, a, (tx) => tx.raw(`select app_private.add_jobs('maintenance__purge_expired', array['{}'::jsonb, '{}'::jsonb], null, array['only-one'])`)),
    ).rejects.toMatchObject({ code: '22023' });
    const none = await withTenant(deps.db, a, (tx) => tx.raw(`select app_private.add_jobs('maintenance__purge_expired', null) as n`));
    expect(none.rows[0].n).toBe(0);
    const key = randomUUID();
    await expect(
      withTenant(deps.db, a, async (tx) => {
        await tx.raw(`select app_private.add_jobs('maintenance__purge_expired', array['{}'::jsonb], null, array[?])`, [key]);
        throw new Error('rollback');
      }),
    ).rejects.toThrow('rollback');
    expect(await jobsLike(`%${key}`)).toHaveLength(0);
  });
});

describe('queueNotifications', () => {
  it('writes the rows and their jobs in one go, keeps the first of duplicates, and revives only skipped rows', async () => {
    const { booking } = await createBooking(deps, a, { source: 'public', userId: null }, {
      serviceId, resourceId: resource1, start: Date.parse('2026-05-20T10:00:00Z'), customer: { name: 'Bo', email: 'bo@example.com', phone: null, timeZone: 'UTC' }, notes: null,
    });
    const at1 = new Date('2026-05-19T10:00:00Z');
    const at2 = new Date('2026-05-20T09:00:00Z');
    const base = { bookingId: booking.id, to: 'extra@example.com' };
    const ids = await withTenant(deps.db, a, (tx) =>
      queueNotifications(tx, [
        { ...base, kind: 'booking_reminder', scheduledFor: at1, payload: { offset: 1440 }, jobKey: `extra:${booking.id}:1` },
        { ...base, kind: 'booking_reminder', scheduledFor: at1, payload: { offset: 9999 }, jobKey: `extra:${booking.id}:dup` },
        { ...base, kind: 'booking_reminder', scheduledFor: at2, payload: { offset: 60 }, jobKey: `extra:${booking.id}:2` },
        { ...base, kind: 'booking_confirmation', scheduledFor: at1, payload: { sequence: 0 } },
      ]),
    );
    expect(ids).toHaveLength(3);
    const rows = await t.owner('notifications').where({ booking_id: booking.id, to_address: 'extra@example.com' }).orderBy(['scheduled_for', 'kind']);
    expect(rows.map((r) => [r.kind, r.payload])).toEqual([
      ['booking_confirmation', { sequence: 0 }],
      ['booking_reminder', { offset: 1440, jobKey: `extra:${booking.id}:1` }],
      ['booking_reminder', { offset: 60, jobKey: `extra:${booking.id}:2` }],
    ]);
    const confirmation = rows[0]!;
    const reminderJobs = await jobsLike(`%extra:${booking.id}:%`);
    expect(reminderJobs.map((j) => [j.key, j.run_at.toISOString(), j.max_attempts, j.task])).toEqual([
      [`${a}:extra:${booking.id}:1`, at1.toISOString(), 10, 'notifications__send'],
      [`${a}:extra:${booking.id}:2`, at2.toISOString(), 10, 'notifications__send'],
    ]);
    const [notify] = await jobsLike(`%notify:${confirmation.id}`);
    expect(notify).toMatchObject({ key: `${a}:notify:${confirmation.id}`, payload: { tenantId: a, notificationId: confirmation.id }, max_attempts: 10 });

    // Again: the queued rows stay as they are and nothing is enqueued; a skipped one comes back queued.
    await t.owner('notifications').where({ id: rows[1]!.id }).update({ status: 'skipped', last_error: 'moved' });
    await t.owner.raw(`delete from graphile_worker._private_jobs where key like ?`, [`%extra:${booking.id}:%`]);
    const again = await withTenant(deps.db, a, (tx) =>
      queueNotifications(tx, [
        { ...base, kind: 'booking_reminder', scheduledFor: at1, payload: { offset: 1440, again: true }, jobKey: `extra:${booking.id}:1` },
        { ...base, kind: 'booking_reminder', scheduledFor: at2, payload: { offset: 60, again: true }, jobKey: `extra:${booking.id}:2` },
      ]),
    );
    expect(again).toEqual([rows[1]!.id]);
    const revived = await t.owner('notifications').where({ id: rows[1]!.id }).first();
    expect(revived).toMatchObject({ status: 'queued', attempts: 0, last_error: null, payload: { offset: 1440, again: true, jobKey: `extra:${booking.id}:1` } });
    expect((await jobsLike(`%extra:${booking.id}:%`)).map((j) => j.key)).toEqual([`${a}:extra:${booking.id}:1`]);
  });
});

describe('a booking that loses at the INSERT', () => {
  const customer = { name: 'Cy', email: 'cy@example.com', phone: null, timeZone: 'UTC' };

  /**
   * A writer that takes no advisory lock holds a conflicting row, not yet
   * committed: the engine cannot see it, the INSERT waits for it and fails
   * with 23P01 once it commits.
   */
  async function raceWithRawWriter(resourceId: string, start: string, run: () => Promise<unknown>): Promise<unknown> {
    const trx = await t.owner.transaction();
    await trx.raw(
      `insert into bookings (tenant_id, service_id, resource_id, starts_at, ends_at, blocked, status, customer_name,
         customer_email, customer_time_zone, manage_nonce, manage_token_hash, source)
       values (?, ?, ?, ?::timestamptz, ?::timestamptz + interval '30 minutes', tstzrange(?::timestamptz, ?::timestamptz + interval '30 minutes', '[)'),
         'confirmed', 'Raw', 'raw@example.com', 'UTC', md5(random()::text), md5(random()::text), 'admin')`,
      [a, serviceId, resourceId, start, start, start, start],
    );
    const result = run().then((v) => ({ ok: v }), (err: unknown) => ({ err }));
    // Commit once the booking's INSERT waits for our row.
    for (let i = 0; i < 200; i++) {
      const { rows } = await t.owner.raw(`select count(*)::int as n from pg_stat_activity where datname = current_database() and wait_event_type = 'Lock'`);
      if (rows[0].n > 0) break;
      await new Promise((r) => setTimeout(r, 25));
    }
    await trx.commit();
    return result;
  }

  it('answers 409 "That time was just taken" for its only resource, leaving nothing behind', async () => {
    const start = '2026-05-21T10:00:00Z';
    const before = Number((await t.owner.raw(`select count(*)::int as n from notifications`)).rows[0].n);
    const outcome = await raceWithRawWriter(resource1, start, () =>
      createBooking(deps, a, { source: 'public', userId: null }, { serviceId, resourceId: resource1, start: Date.parse(start), customer, notes: null }),
    );
    expect(outcome).toMatchObject({ err: { status: 409, title: 'That time was just taken' } });
    expect(Number((await t.owner.raw(`select count(*)::int as n from notifications`)).rows[0].n)).toBe(before);
    expect((await t.owner('bookings').where({ resource_id: resource1, starts_at: new Date(start) })).map((r) => r.customer_name)).toEqual(['Raw']);
    // The pool's connection came back usable.
    const next = await createBooking(deps, a, { source: 'public', userId: null }, { serviceId, resourceId: resource1, start: Date.parse('2026-05-21T11:00:00Z'), customer, notes: null });
    expect(next.booking.resourceId).toBe(resource1);
  });

  it('goes on to the next resource for "any available"', async () => {
    const start = '2026-05-22T10:00:00Z';
    const outcome = await raceWithRawWriter(resource1, start, () =>
      createBooking(deps, a, { source: 'public', userId: null }, { serviceId, resourceId: null, start: Date.parse(start), customer, notes: null }),
    );
    expect(outcome).toMatchObject({ ok: { booking: { resourceId: resource2 } } });
  });
});

describe('the one-call booking (booking_context, then book)', () => {
  const customer = { name: 'Di', email: 'di@example.com', phone: null, timeZone: 'UTC' };
  const followUps = (id: string): BookFollowUps => ({
    history: { event: 'created', actor: 'customer', actor_user_id: null, detail: null },
    notify: { task: SEND_TASK, max_attempts: 10, input: [{ booking_id: id, kind: 'booking_confirmation', to_address: 'di@example.com', scheduled_for: new Date().toISOString(), payload: {}, job_key: null }] },
    event: { task: DELIVER_TASK, max_attempts: 12, id: randomUUID(), type: 'booking.created', payload: {} },
  });
  const newBooking = (id: string, start: number): NewBooking => ({
    id, serviceId, resourceId: resource1, start, end: start + 30 * 60_000, blocked: { start, end: start + 30 * 60_000 }, status: 'confirmed',
    customer, notes: null, manageNonce: randomUUID(), manageTokenDigest: randomUUID(), source: 'public', createdBy: null,
  });

  const ctxAt = (on: string, resourceId: string | null, start: number, service = serviceId) =>
    bookingContext(deps.db, on, { serviceId: service, resourceId, range: { start, end: start + 1 }, start });

  it('writes nothing when what the verdict depends on changed after the decision, and books once the digest is fresh', async () => {
    const start = Date.parse('2026-06-02T10:00:00Z');
    const stale = await ctxAt(a, resource1, start);
    // A busy block over the slot, added after the decision.
    const [block] = await t.owner('busy_blocks').insert({ tenant_id: a, resource_id: resource1, during: '[2026-06-02T10:15:00Z,2026-06-02T10:45:00Z)' }).returning('id');
    const id = randomUUID();
    expect(await book(deps.db, a, newBooking(id, start), new Date(), stale.decisions![resource1]!, followUps(id))).toBe(false);
    expect(await t.owner('bookings').where({ id })).toHaveLength(0);
    expect(await t.owner('booking_history').where({ booking_id: id })).toHaveLength(0);
    expect(await t.owner('notifications').where({ booking_id: id })).toHaveLength(0);
    expect((await ctxAt(a, resource1, start)).decisions![resource1]!.digest).not.toBe(stale.decisions![resource1]!.digest);

    await t.owner('busy_blocks').where({ id: block.id }).del();
    const fresh = await ctxAt(a, resource1, start);
    expect(fresh.decisions![resource1]).toEqual(stale.decisions![resource1]); // the same inputs again: the same digest
    expect(await book(deps.db, a, newBooking(id, start), new Date(), fresh.decisions![resource1]!, followUps(id))).toBe(true);
    expect(await t.owner('bookings').where({ id })).toHaveLength(1);
    expect(await t.owner('booking_history').where({ booking_id: id, event: 'created' })).toHaveLength(1);
    expect(await t.owner('notifications').where({ booking_id: id })).toHaveLength(1);
    // Under another tenant the functions see none of it: no offer, no inputs, and no booking of A's resource.
    const other = await ctxAt(b, resource1, start);
    expect(other.offer).toEqual({ service: null, resources: [] });
    const foreign = randomUUID();
    const aSees = fresh.decisions![resource1]!;
    // With A's digest, B's call sees other inputs (none) and writes nothing …
    expect(await book(deps.db, b, newBooking(foreign, start + 3_600_000), new Date(), aSees, followUps(foreign))).toBe(false);
    // … and with the digest of what B sees, the foreign key refuses A's resource under B.
    const bSees = await withTenant(deps.db, b, async (tx) =>
      (await tx.raw(`select md5(x.inputs::text) as d from resource_inputs(array[?::uuid], ?::timestamptz, ?::timestamptz, ?::date, ?::date, null) x`,
        [resource1, aSees.from, aSees.to, aSees.day, aSees.day])).rows[0].d as string);
    await expect(book(deps.db, b, newBooking(foreign, start + 3_600_000), new Date(), { ...aSees, digest: bSees }, followUps(foreign)))
      .rejects.toMatchObject({ code: '23503' });
    expect(await t.owner('bookings').where({ id: foreign })).toHaveLength(0);
  });

  it('is not invalidated by bookings at other times of the day, unless the service caps bookings per day', async () => {
    const start = Date.parse('2026-06-04T10:00:00Z');
    const before = await ctxAt(a, resource1, start);
    await createBooking(deps, a, { source: 'public', userId: null }, { serviceId, resourceId: resource1, start: Date.parse('2026-06-04T15:00:00Z'), customer, notes: null });
    expect((await ctxAt(a, resource1, start)).decisions![resource1]).toEqual(before.decisions![resource1]);

    const capped = (await makeService(deps, a, [resource1], { name: 'Capped', maxPerDay: 5, horizonDays: 365 })).id;
    const cappedBefore = await ctxAt(a, resource1, start, capped);
    // The capped digest covers the resource's whole local day (London, BST): 2026-06-03T23:00Z to 2026-06-04T23:00Z, an hour more each side.
    expect(cappedBefore.decisions![resource1]).toMatchObject({ day: '2026-06-04' });
    expect(Date.parse(cappedBefore.decisions![resource1]!.from)).toBe(Date.parse('2026-06-03T22:00:00Z'));
    expect(Date.parse(cappedBefore.decisions![resource1]!.to)).toBe(Date.parse('2026-06-05T00:00:00Z'));
    await createBooking(deps, a, { source: 'public', userId: null }, { serviceId, resourceId: resource1, start: Date.parse('2026-06-04T16:00:00Z'), customer, notes: null });
    expect((await ctxAt(a, resource1, start, capped)).decisions![resource1]!.digest).not.toBe(cappedBefore.decisions![resource1]!.digest);
  });

  it('gives one resource the same digest whether it is asked for alone or among "any available"', async () => {
    const start = Date.parse('2026-06-02T10:00:00Z');
    const alone = await ctxAt(a, resource1, start);
    const any = await ctxAt(a, null, start);
    expect(Object.keys(any.decisions!).sort()).toEqual([resource1, resource2].sort());
    expect(any.decisions![resource1]).toEqual(alone.decisions![resource1]);
    expect(any.decisions![resource2]!.digest).not.toBe(any.decisions![resource1]!.digest);
  });

  it('decides under the lock when the calendar keeps changing, with the same rules and follow-ups', async () => {
    const start = Date.parse('2026-06-03T10:00:00Z');
    const locked = { optimisticAttempts: 0 };
    const first = await createBooking(deps, a, { source: 'public', userId: null }, { serviceId, resourceId: null, start, customer, notes: null }, locked);
    const second = await createBooking(deps, a, { source: 'public', userId: null }, { serviceId, resourceId: null, start, customer, notes: null }, locked);
    expect([first.booking.resourceId, second.booking.resourceId]).toEqual([resource1, resource2]);
    await expect(createBooking(deps, a, { source: 'public', userId: null }, { serviceId, resourceId: null, start, customer, notes: null }, locked))
      .rejects.toMatchObject({ status: 409, title: 'That time was just taken' });
    for (const { booking } of [first, second]) {
      expect(await t.owner('booking_history').where({ booking_id: booking.id, event: 'created' })).toHaveLength(1);
      expect((await t.owner('notifications').where({ booking_id: booking.id })).map((n) => n.kind)).toContain('booking_confirmation');
    }
  });
});

describe("a daily cap's digest covers the engine's local day, in zones whose midnight moves", () => {
  // Santiago and Havana change their clocks at midnight; Lord Howe by 30 minutes; New York at 02:00.
  const cases: [zone: string, instants: string[]][] = [
    ['America/Santiago', ['2026-04-04T03:30:00Z', '2026-04-05T03:30:00Z', '2026-04-05T12:00:00Z', '2026-09-06T04:30:00Z', '2026-09-06T12:00:00Z']],
    ['America/Havana', ['2026-03-08T04:30:00Z', '2026-03-08T15:00:00Z', '2026-11-01T04:30:00Z', '2026-11-01T05:30:00Z']],
    ['Australia/Lord_Howe', ['2026-04-04T13:15:00Z', '2026-04-05T01:00:00Z', '2026-10-03T13:45:00Z']],
    ['America/New_York', ['2026-03-08T06:30:00Z', '2026-03-08T07:30:00Z', '2026-11-01T05:30:00Z', '2026-11-01T06:30:00Z']],
  ];

  it.each(cases)('%s', async (zone, instants) => {
    const r = (await makeResource(deps, a, `Night ${zone}`, zone, [['00:00', '24:00']], 50)).id;
    const capped = (await makeService(deps, a, [r], { name: `Cap ${zone}`, maxPerDay: 3, horizonDays: 365 })).id;
    for (const at of instants) {
      const start = Date.parse(at);
      const ctx = await bookingContext(deps.db, a, { serviceId: capped, resourceId: r, range: { start, end: start + 1 }, start });
      const d = ctx.decisions![r]!;
      const day = localDate(start, zone);
      const engineDay = dayInstantRange(day, zone);
      expect(d.day, `${zone} ${at}`).toBe(day);
      expect(Date.parse(d.from), `${zone} ${at} from`).toBeLessThanOrEqual(engineDay.start);
      expect(Date.parse(d.to), `${zone} ${at} to`).toBeGreaterThanOrEqual(engineDay.end);
    }
  });
});

describe('the work each booking does in Postgres does not grow with the tables', () => {
  // What one transaction did so far, from the statistics views' per-transaction counters.
  const seqScansOfJobs = async (tx: { raw: (sql: string) => Promise<{ rows: { n: string }[] }> }) =>
    Number((await tx.raw(`select seq_scan as n from pg_stat_xact_all_tables where schemaname = 'graphile_worker' and relname = '_private_jobs'`)).rows[0]!.n);

  it('keeps no index whose columns lead another index of the same table (every write would maintain it for nothing)', async () => {
    const { rows } = await t.owner.raw(`
      select a.indexrelid::regclass::text as redundant, b.indexrelid::regclass::text as covered_by
        from pg_index a
        join pg_index b on b.indrelid = a.indrelid and b.indexrelid <> a.indexrelid
        join pg_class c on c.oid = a.indrelid
        join pg_namespace n on n.oid = c.relnamespace
        join pg_class ia on ia.oid = a.indexrelid
        join pg_class ib on ib.oid = b.indexrelid
       where n.nspname = 'public' and not a.indisunique
         and ia.relam = (select oid from pg_am where amname = 'btree') and ib.relam = ia.relam
         and a.indpred is null and b.indpred is null and a.indexprs is null and b.indexprs is null
         and (b.indkey::text = a.indkey::text or b.indkey::text like a.indkey::text || ' %')
         and b.indclass::text like a.indclass::text || '%'`);
    expect(rows).toEqual([]);
  });

  it("enqueues without reading graphile-worker's whole jobs table, even with a generic plan made while the table was small", async () => {
    const add = (tag: string, n: number) =>
      `select app_private.add_jobs('maintenance__purge_expired', array(select '{}'::jsonb from generate_series(1, ${n})),
         array(select now() + interval '30 days' from generate_series(1, ${n})), array(select '${tag}:' || i from generate_series(1, ${n}) i), 1)`;
    await t.owner.raw('analyze graphile_worker._private_jobs'); // statistics of a small table
    const scans = await withTenant(deps.db, a, async (tx) => {
      // `book` and `queue_notifications` plan generically; graphile_worker.add_jobs inherits it.
      await tx.raw(`set local plan_cache_mode = force_generic_plan`);
      await tx.raw(add('warm', 3)); // planned now, on those statistics, and kept
      await tx.raw(add('grow', 3000)); // then the table grows, as future reminders make it
      // The "xact" view holds what the backend has not reported yet, which may include earlier transactions: count the difference.
      const before = await seqScansOfJobs(tx as never);
      for (let i = 0; i < 8; i++) await tx.raw(add(`scan${i}`, 3));
      return (await seqScansOfJobs(tx as never)) - before;
    });
    expect(scans).toBe(0);
  });

  it('gives each resource the inputs the list of times reads for it alone (resource_inputs and slot_inputs agree)', async () => {
    // A week of everything the engine reads, on both resources, and the dates around it.
    const r3 = (await makeResource(deps, a, 'Agree', 'Europe/London', [['08:00', '12:00'], ['13:00', '18:00']], 40)).id;
    await t.owner('date_overrides').insert([{ tenant_id: a, resource_id: r3, date: '2026-08-11' }, { tenant_id: a, resource_id: r3, date: '2026-08-12' }]);
    await t.owner('date_override_windows').insert([
      { tenant_id: a, resource_id: r3, date: '2026-08-11', start_minute: 600, end_minute: 660 },
      { tenant_id: a, resource_id: r3, date: '2026-08-11', start_minute: 540, end_minute: 570 },
    ]);
    await t.owner('holidays').insert({ tenant_id: a, name: 'Closed for stock-taking', start_date: '2026-08-13', end_date: '2026-08-14' });
    await t.owner('busy_blocks').insert([
      { tenant_id: a, resource_id: r3, during: '[2026-08-10T09:00:00Z,2026-08-10T10:00:00Z)' },
      { tenant_id: a, resource_id: resource1, during: '[2026-08-10T11:00:00Z,2026-08-10T12:00:00Z)' },
    ]);
    const made = [];
    for (const [r, at] of [[r3, '2026-08-10T13:00:00Z'], [r3, '2026-08-10T07:00:00Z'], [resource1, '2026-08-10T14:00:00Z']] as const) {
      made.push(await createBooking(deps, a, { source: 'admin', userId: null }, {
        serviceId: (await makeService(deps, a, [r], { name: `Agree ${made.length}`, horizonDays: 365 })).id, resourceId: r, start: Date.parse(at),
        customer: { name: 'Ann', email: 'ann@example.com', phone: null, timeZone: 'UTC' }, notes: null,
      }));
    }
    const range = ['2026-08-09T00:00:00Z', '2026-08-15T00:00:00Z', '2026-08-09', '2026-08-15'];
    for (const exclude of [null, made[0]!.booking.id]) {
      await withTenant(deps.db, a, async (tx) => {
        const each = (await tx.raw(`select resource_id, inputs::text as t from resource_inputs(array[?::uuid, ?::uuid], ?::timestamptz, ?::timestamptz, ?::date, ?::date, ?::uuid)`,
          [r3, resource1, ...range, exclude])).rows as { resource_id: string; t: string }[];
        expect(each.map((x) => x.resource_id)).toEqual([r3, resource1]);
        for (const x of each) {
          const alone = (await tx.raw(`select slot_inputs(array[?::uuid], ?::timestamptz, ?::timestamptz, ?::date, ?::date, ?::uuid)::text as t`,
            [x.resource_id, ...range, exclude])).rows[0].t as string;
          expect(x.t).toBe(alone);
        }
        const r3Inputs = JSON.parse(each[0]!.t);
        expect([r3Inputs.weekly.length, r3Inputs.overrides.length, r3Inputs.holidays.length, r3Inputs.bookings.length, r3Inputs.busy.length])
          .toEqual([14, 2, 1, exclude ? 1 : 2, 1]);
      });
    }
  });

  describe("a resource's blocking bookings (blocking_bookings)", () => {
    const DAY = 86_400_000;
    const T0 = Date.parse('2026-10-01T00:00:00Z');
    const iso = (ms: number) => new Date(ms).toISOString();
    /** Rows written as any code path could: no lock, no engine; `starts_at` at the blocked range's start, ended within a day. */
    const insert = (resource: string, rows: { from: number; to: number; status: string }[]) =>
      withTenant(deps.db, a, (tx) => tx('bookings').insert(rows.map((r) => ({
        tenant_id: a, service_id: serviceId, resource_id: resource, starts_at: iso(r.from), ends_at: iso(Math.min(r.to, r.from + DAY)),
        blocked: `[${iso(r.from)},${iso(r.to)})`, status: r.status, customer_name: 'Raw', customer_email: 'raw@example.com',
        customer_time_zone: 'UTC', manage_nonce: randomUUID(), manage_token_hash: randomUUID(), source: 'admin',
      }))).returning('id'));

    it('are exactly the active ones whose blocked range overlaps, but the one excluded, on a calendar of every length', async () => {
      const room = (await makeResource(deps, a, 'Random calendar', 'UTC', [['00:00', '24:00']], 50)).id;
      // Back-to-back and spaced bookings from five minutes to two days (the longest bookings_blocked_near_start allows),
      // and cancelled ones across some of them, which block nothing. One calendar, replayable by its seed.
      const seed = 20261125;
      const [steps] = fc.sample(fc.array(fc.record({
        gap: fc.constantFrom(0, 0, 5, 15, 60, 600),
        length: fc.constantFrom(5, 15, 30, 60, 360, 1440, 2880),
        status: fc.constantFrom('confirmed', 'confirmed', 'held'),
        cancelledAcross: fc.boolean(),
      }), { minLength: 140, maxLength: 140 }), { seed, numRuns: 1 });
      const rows: { from: number; to: number; status: string }[] = [];
      let at = T0;
      for (const step of steps!) {
        at += step.gap * 60_000;
        const to = at + step.length * 60_000;
        rows.push({ from: at, to, status: step.status });
        if (step.cancelledAcross) rows.push({ from: at - 30 * 60_000, to: Math.min(to + 30 * 60_000, at - 30 * 60_000 + 2 * DAY), status: 'cancelled' });
        at = to;
      }
      const ids = (await insert(room, rows)).map((r: { id: string }) => r.id);
      const minutes = Math.floor((at - T0 + 2 * DAY) / 60_000);
      // A range anywhere, or on a booking's edges (where an off-by-one would show); a booking excluded or none.
      const edge = fc.tuple(fc.nat({ max: rows.length - 1 }), fc.boolean()).map(([i, start]) => (start ? rows[i]!.from : rows[i]!.to));
      const range = fc.tuple(
        fc.oneof(edge, fc.nat({ max: minutes }).map((m) => T0 - DAY + m * 60_000)),
        fc.oneof(edge.map((at) => ({ at })), fc.constantFrom(1, 15, 180, 1440, 7200).map((minutes) => ({ minutes }))),
        fc.option(fc.constantFrom(...ids), { freq: 2 }),
      ).map(([from, end, exclude]) => ({ from, to: 'at' in end ? end.at : from + end.minutes * 60_000, exclude }))
        .filter((q) => q.to > q.from);
      await withTenant(deps.db, a, (tx) => fc.assert(fc.asyncProperty(range, async ({ from, to, exclude }) => {
        const args = [room, iso(from), iso(to), exclude];
        const found = (await tx.raw(`select id from blocking_bookings(?::uuid, ?::timestamptz, ?::timestamptz, ?::uuid) order by id`, args)).rows;
        const expected = (await tx.raw(
          `select id from bookings where resource_id = ? and status in ('held', 'confirmed')
             and blocked && tstzrange(?::timestamptz, ?::timestamptz, '[)') and id is distinct from ?::uuid order by id`, args)).rows;
        expect(found).toEqual(expected);
      }), { seed, numRuns: 300 }));
    });

    it('are read without the rest of a full calendar: the decision reads one or two rows per resource, however busy the days around', async () => {
      const room = (await makeResource(deps, a, 'Full calendar', 'UTC', [['00:00', '24:00']], 51)).id;
      const quarter = 15 * 60_000;
      // Three days booked every quarter hour but one free slot, at noon of the middle day.
      const free = T0 + 40 * DAY + 12 * 3_600_000;
      const rows = Array.from({ length: 3 * 96 }, (_, i) => T0 + 39 * DAY + i * quarter)
        .filter((at) => at !== free).map((at) => ({ from: at, to: at + quarter, status: 'confirmed' }));
      await insert(room, rows);
      const fullService = (await makeService(deps, a, [room], { name: 'Full', durationMin: 15, intervalMin: 15, horizonDays: 365 })).id;
      // With statistics, as autovacuum keeps them in a running deployment (on a table it has never
      // analysed, the planner cannot tell the indexes apart and may filter a resource's every booking).
      await t.owner.raw('analyze bookings');
      // Rows of `bookings` a statement fetched, from the per-transaction statistics (as the runtime role, with the functions' generic plans).
      const fetched = (sql: string, args: (string | null)[]) => withTenant(deps.db, a, async (tx) => {
        const count = async () => Number((await tx.raw(`select coalesce(idx_tup_fetch, 0) + seq_tup_read as n from pg_stat_xact_user_tables where relname = 'bookings'`)).rows[0].n);
        const before = await count();
        const { rows: out } = await tx.raw(sql, args);
        return { out: out[0], rows: (await count()) - before };
      });
      for (const [start, taken] of [[free, false], [free + quarter, true]] as const) {
        const inputs = await fetched(`select inputs::json -> 'bookings' as b from resource_inputs(array[?::uuid], ?::timestamptz, ?::timestamptz, ?::date, ?::date, null)`,
          [room, iso(start), iso(start + quarter), iso(start).slice(0, 10), iso(start).slice(0, 10)]);
        expect(inputs.out.b).toHaveLength(taken ? 1 : 0);
        expect(inputs.rows).toBeLessThanOrEqual(2);
        // "Any available" first asks which offered resources are taken at that start (p_first).
        const context = await fetched(`select booking_context(?, ?, null, ?, ?, ?::date, ?::date, null, ?, 0) -> 'taken' as taken`,
          [a, fullService, iso(start), iso(start + 1), iso(start).slice(0, 10), iso(start).slice(0, 10), iso(start)]);
        expect(context.out.taken).toEqual(taken ? [room] : []);
        expect(context.rows).toBeLessThanOrEqual(2);
      }
    });
  });

  it('reads the decision inputs of all offered resources in one zone with one call, once', async () => {
    const start = Date.parse('2026-06-09T10:00:00Z');
    const callsFor = (resource: string | null) => t.owner.transaction(async (tx) => {
      await tx.raw(`set local track_functions = 'all'`);
      // The "xact" view holds what the backend has not reported yet, which may include earlier transactions: count the difference.
      const counts = async () => new Map<string, number>((await tx.raw(`select funcname, calls from pg_stat_xact_user_functions where funcname in ('slot_inputs', 'resource_inputs')`))
        .rows.map((r: { funcname: string; calls: string }) => [r.funcname, Number(r.calls)] as const));
      const before = await counts();
      const { rows } = await tx.raw(`select booking_context(?, ?, ?, ?, ?, ?::date, ?::date, null, ?) as c`, [
        a, serviceId, resource, new Date(start).toISOString(), new Date(start + 1).toISOString(), '2026-06-09', '2026-06-09', new Date(start).toISOString(),
      ]);
      const calls = [...(await counts())].map(([f, n]) => [f, n - (before.get(f) ?? 0)]).filter(([, n]) => n);
      return { decisions: Object.keys(rows[0].c.decisions).sort(), calls: Object.fromEntries(calls) };
    });
    expect(await callsFor(resource1)).toEqual({ decisions: [resource1], calls: { resource_inputs: 1 } });
    // "Any available": both London resources, one read.
    expect(await callsFor(null)).toEqual({ decisions: [resource1, resource2].sort(), calls: { resource_inputs: 1 } });
  });
});

describe('bookings written at the same moment share a statement (book_together) and keep their guarantees', () => {
  const customer = { name: 'Gus', email: 'gus@example.com', phone: null, timeZone: 'UTC' };
  let rooms: string[];
  let together: string;
  beforeAll(async () => {
    rooms = [];
    for (let i = 0; i < 6; i++) rooms.push((await makeResource(deps, a, `Hall ${i}`, 'Europe/London', [['00:00', '24:00']], 60 + i)).id);
    together = (await makeService(deps, a, rooms, { name: 'Together', horizonDays: 365 })).id;
  });
  const followUps = (id: string, email: string): BookFollowUps => ({
    history: { event: 'created', actor: 'customer', actor_user_id: null, detail: null },
    notify: { task: SEND_TASK, max_attempts: 10, input: [{ booking_id: id, kind: 'booking_confirmation', to_address: email, scheduled_for: new Date().toISOString(), payload: {}, job_key: null }] },
    event: { task: DELIVER_TASK, max_attempts: 12, id: randomUUID(), type: 'booking.created', payload: {} },
  });
  const newBooking = (id: string, resourceId: string, start: number, service = together): NewBooking => ({
    id, serviceId: service, resourceId, start, end: start + 30 * 60_000, blocked: { start, end: start + 30 * 60_000 }, status: 'confirmed',
    customer, notes: null, manageNonce: randomUUID(), manageTokenDigest: randomUUID(), source: 'public', createdBy: null,
  });
  const decide = async (resourceId: string, start: number) =>
    (await bookingContext(deps.db, a, { serviceId: together, resourceId, range: { start, end: start + 1 }, start })).decisions![resourceId]!;
  /** Calls made in one tick: the first ones find the statements free and go alone, the rest queue and leave together. */
  const all = <T>(calls: (() => Promise<T>)[]) => Promise.allSettled(calls.map((c) => c()));

  it('writes each booking with its history and messages, refuses a stale one alone, and never puts one resource twice in a statement', async () => {
    const start = Date.parse('2026-07-01T09:00:00Z');
    const decisions = await Promise.all(rooms.map((r) => decide(r, start)));
    // Hall 3 changes after its decision: a busy block over the slot.
    await t.owner('busy_blocks').insert({ tenant_id: a, resource_id: rooms[3], during: '[2026-07-01T09:00:00Z,2026-07-01T09:30:00Z)' });
    // Hall 0 twice, at different times: both decided on the same (empty) calendar, neither overlapping the other.
    const later = await decide(rooms[0]!, start + 3_600_000);
    const ids = [...rooms.map(() => randomUUID()), randomUUID()];
    const stats = { ...coalescersOf(deps.db).book.stats };
    const results = await all([
      ...rooms.map((r, i) => () => book(deps.db, a, newBooking(ids[i]!, r, start), new Date(), decisions[i]!, followUps(ids[i]!, `c${i}@example.com`))),
      () => book(deps.db, a, newBooking(ids[6]!, rooms[0]!, start + 3_600_000), new Date(), later, followUps(ids[6]!, 'c6@example.com')),
    ]);
    expect(results.map((r) => (r.status === 'fulfilled' ? r.value : r.reason))).toEqual([true, true, true, false, true, true, true]);
    const after = coalescersOf(deps.db).book.stats;
    expect(after.together - stats.together).toBeGreaterThanOrEqual(1);
    expect(after.items - stats.items).toBe(7);
    for (const [i, id] of ids.entries()) {
      const n = i === 3 ? 0 : 1;
      expect(await t.owner('bookings').where({ id }), `booking ${i}`).toHaveLength(n);
      expect(await t.owner('booking_history').where({ booking_id: id, event: 'created' }), `history ${i}`).toHaveLength(n);
      expect(await t.owner('notifications').where({ booking_id: id }), `messages ${i}`).toHaveLength(n);
    }
  });

  it("sends a failed statement's bookings again one by one: the bad one fails alone, the others are written", async () => {
    const start = Date.parse('2026-07-02T09:00:00Z');
    const decisions = await Promise.all(rooms.map((r) => decide(r, start)));
    const ids = rooms.map(() => randomUUID());
    // Booking 4 names a service that does not exist: its foreign key fails the whole shared statement.
    const results = await all(rooms.map((r, i) => () =>
      book(deps.db, a, newBooking(ids[i]!, r, start, i === 4 ? randomUUID() : together), new Date(), decisions[i]!, followUps(ids[i]!, `d${i}@example.com`))));
    expect(results.map((r) => (r.status === 'fulfilled' ? r.value : (r.reason as { code?: string }).code))).toEqual([true, true, true, true, '23503', true]);
    for (const [i, id] of ids.entries()) expect(await t.owner('bookings').where({ id }), `booking ${i}`).toHaveLength(i === 4 ? 0 : 1);
    expect(await t.owner('notifications').where({ to_address: 'd4@example.com' })).toHaveLength(0);
  });

  it('keeps each booking\'s own message settings when bookings that queue them differently arrive together', async () => {
    const start = Date.parse('2026-07-04T09:00:00Z');
    const decisions = await Promise.all(rooms.map((r) => decide(r, start)));
    const ids = rooms.map(() => randomUUID());
    const attempts = [10, 10, 10, 7, 10, 3];
    const results = await all(rooms.map((r, i) => () => {
      const f = followUps(ids[i]!, `e${i}@example.com`);
      return book(deps.db, a, newBooking(ids[i]!, r, start), new Date(), decisions[i]!, { ...f, notify: { ...f.notify, max_attempts: attempts[i]! } });
    }));
    expect(results.map((r) => r.status === 'fulfilled' && r.value)).toEqual(rooms.map(() => true));
    for (const [i, id] of ids.entries()) {
      const { rows } = await t.owner.raw(
        `select j.max_attempts from graphile_worker._private_jobs j join notifications n on j.payload ->> 'notificationId' = n.id::text where n.booking_id = ?`, [id]);
      expect(rows.map((row: { max_attempts: number }) => row.max_attempts), `booking ${i}`).toEqual([attempts[i]]);
    }
  });

  it('"any available" books the next free resource on the same decision when another booking takes the first', async () => {
    const pair = (await makeService(deps, a, [rooms[0]!, rooms[1]!], { name: 'Pair', horizonDays: 365 })).id;
    const start = Date.parse('2026-07-05T09:00:00Z');
    const reads = coalescersOf(deps.db).context.stats.items;
    const both = await Promise.all(['x@example.com', 'y@example.com'].map((email) =>
      createBooking(deps, a, { source: 'public', userId: null }, { serviceId: pair, resourceId: null, start, customer: { ...customer, email }, notes: null })));
    // Both decided on the same snapshot (Hall 0 first); the one that lost Hall 0 got Hall 1 without deciding again.
    expect(both.map((c) => c.booking.resourceId).sort()).toEqual([rooms[0], rooms[1]].sort());
    expect(coalescersOf(deps.db).context.stats.items - reads).toBe(2);
  });

  it('"any available" spreads customers who book one start at the same moment over the free resources, one write each', async () => {
    const start = Date.parse('2026-07-06T09:00:00Z');
    const reads = coalescersOf(deps.db).context.stats.items;
    const writes = coalescersOf(deps.db).book.stats.items;
    const made = await Promise.all(rooms.map((_, i) =>
      createBooking(deps, a, { source: 'public', userId: null }, { serviceId: together, resourceId: null, start, customer: { ...customer, email: `s${i}@example.com` }, notes: null })));
    expect(made.map((c) => c.booking.resourceId).sort()).toEqual([...rooms].sort());
    // About one decision and one write each; without spreading, the k-th customer could write up to k times.
    // A customer whose every free resource was taken meanwhile decides once more rather than write in vain.
    expect(coalescersOf(deps.db).context.stats.items - reads).toBeLessThanOrEqual(rooms.length + 1);
    expect(coalescersOf(deps.db).book.stats.items - writes).toBeLessThanOrEqual(rooms.length + 1);
  });

  it('"any available" reads the first resources no booking blocks at that time, and all of them only when none of those can be booked', async () => {
    const book1 = (start: number, email: string) =>
      createBooking(deps, a, { source: 'public', userId: null }, { serviceId: together, resourceId: null, start, customer: { ...customer, email }, notes: null });
    const context = (start: number, first: number | null) =>
      bookingContext(deps.db, a, { serviceId: together, resourceId: null, range: { start, end: start + 1 }, start, first });
    // Halls 0 and 2 are booked at 09:00 (30 minutes); a booking at 09:30 would not overlap them.
    const nine = Date.parse('2026-07-07T09:00:00Z');
    for (const hall of [0, 2]) await createBooking(deps, a, { source: 'public', userId: null }, { serviceId: together, resourceId: rooms[hall]!, start: nine, customer, notes: null });
    const overlapping = await context(nine, 2);
    expect(overlapping.taken).toEqual([rooms[0], rooms[2]]);
    expect(Object.keys(overlapping.decisions!).sort()).toEqual([rooms[1], rooms[3]].sort());
    expect(Object.keys(overlapping.settings!.staff_emails)).toEqual([]); // read for the same two, none has staff
    const clear = await context(nine + 30 * 60_000, 2);
    expect(clear.taken).toEqual([]);
    expect(Object.keys(clear.decisions!).sort()).toEqual([rooms[0], rooms[1]].sort());
    expect(Object.keys((await context(nine, null)).decisions!)).toHaveLength(rooms.length);
    // With hall 1 taken too, the first free is hall 3: one read.
    const reads = coalescersOf(deps.db).context.stats.items;
    await createBooking(deps, a, { source: 'public', userId: null }, { serviceId: together, resourceId: rooms[1]!, start: nine, customer, notes: null });
    expect((await book1(nine, 'f1@example.com')).booking.resourceId).toBe(rooms[3]);
    expect(coalescersOf(deps.db).context.stats.items - reads).toBe(2); // hall 1's named booking, then this one
    // Halls 0-4 closed on the 8th: the first read (four halls) finds none it can book, the second reads all and books hall 5.
    await t.owner('date_overrides').insert(rooms.slice(0, 5).map((r) => ({ tenant_id: a, resource_id: r, date: '2026-07-08' })));
    const before = coalescersOf(deps.db).context.stats.items;
    expect((await book1(Date.parse('2026-07-08T09:00:00Z'), 'f2@example.com')).booking.resourceId).toBe(rooms[5]);
    expect(coalescersOf(deps.db).context.stats.items - before).toBe(2);
  });

  it('reads decisions together (booking_contexts) with the same answers as one at a time', async () => {
    const start = Date.parse('2026-07-03T09:00:00Z');
    const alone = [];
    for (const r of rooms) alone.push(await decide(r, start));
    const stats = { ...coalescersOf(deps.db).context.stats };
    const shared = await Promise.all(rooms.map((r) => decide(r, start)));
    expect(coalescersOf(deps.db).context.stats.together - stats.together).toBeGreaterThanOrEqual(1);
    expect(shared).toEqual(alone);
  });
});
