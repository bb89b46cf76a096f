import { randomUUID } from 'node:crypto';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { withTenant } from '../../src/db/tenant.ts';
import type { AppDeps } from '../../src/deps.ts';
import { createBooking } from '../../src/bookings/service.ts';
import { queueNotifications } from '../../src/notifications/queries.ts';
import { createTestDb, TestClock, testDeps, type TestDb } from '../support/db.ts';
import { makeTenant } from '../support/http.ts';
import { makeResource, makeService } from '../support/catalog.ts';

/**
 * The booking path's statements: follow-ups in one statement for many rows
 * and jobs, a booking that loses at the INSERT to a writer that takes no
 * lock, and reads whose work does not grow with the tables.
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
    expect(outcome).toMatchObject({ err: { reason: 'busy', title: 'That time was just taken' } });
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

  describe("a resource's blocking bookings (blocking_bookings)", () => {
    const DAY = 86_400_000;
    const T0 = Date.parse('2026-10-01T00:00:00Z');
    const iso = (ms: number) => new Date(ms).toISOString();
    /** Rows written as any code path could: no lock, no engine; `starts_at` at the blocked range's start, ended within a day. */
    const insert = (resource: string, rows: { from: number; to: number; status: string; shareKey?: string }[]) =>
      withTenant(deps.db, a, (tx) => tx('bookings').insert(rows.map((r) => ({
        tenant_id: a, service_id: serviceId, resource_id: resource, starts_at: iso(r.from), ends_at: iso(Math.min(r.to, r.from + DAY)),
        blocked: `[${iso(r.from)},${iso(r.to)})`, status: r.status, customer_name: 'Raw', customer_email: 'raw@example.com',
        customer_time_zone: 'UTC', manage_nonce: randomUUID(), manage_token_hash: randomUUID(), source: 'admin', share_key: r.shareKey ?? null,
      }))).returning('id'));
    /** Its answer, compared with the plain overlap query (which the GiST index would answer without RLS). */
    const sameAsOverlap = (room: string, rows: { from: number; to: number }[], ids: string[], end: number, seed: number) => {
      const minutes = Math.floor((end - T0 + 2 * DAY) / 60_000);
      // A range anywhere, or on a booking's edges (where an off-by-one would show); a booking excluded or none.
      const edge = fc.tuple(fc.nat({ max: rows.length - 1 }), fc.boolean()).map(([i, start]) => (start ? rows[i]!.from : rows[i]!.to));
      const range = fc.tuple(
        fc.oneof(edge, fc.nat({ max: minutes }).map((m) => T0 - DAY + m * 60_000)),
        fc.oneof(edge.map((at) => ({ at })), fc.constantFrom(1, 15, 180, 1440, 7200).map((minutes) => ({ minutes }))),
        fc.option(fc.constantFrom(...ids), { freq: 2 }),
      ).map(([from, end, exclude]) => ({ from, to: 'at' in end ? end.at : from + end.minutes * 60_000, exclude }))
        .filter((q) => q.to > q.from);
      return withTenant(deps.db, a, (tx) => fc.assert(fc.asyncProperty(range, async ({ from, to, exclude }) => {
        const args = [room, iso(from), iso(to), exclude];
        const found = (await tx.raw(`select id from blocking_bookings(?::uuid, ?::timestamptz, ?::timestamptz, ?::uuid) order by id`, args)).rows;
        const expected = (await tx.raw(
          `select id from bookings where resource_id = ? and status in ('pending', 'held', 'confirmed')
             and blocked && tstzrange(?::timestamptz, ?::timestamptz, '[)') and id is distinct from ?::uuid order by id`, args)).rows;
        expect(found).toEqual(expected);
      }), { seed, numRuns: 300 }));
    };

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
      await sameAsOverlap(room, rows, ids, at, seed);
    });

    it('include every seat of a class, also seats whose buffers made them end at other times', async () => {
      const room = (await makeResource(deps, a, 'Classes calendar', 'UTC', [['00:00', '24:00']], 52)).id;
      // Single bookings and classes of 2–4 seats at one start, each seat ending 0, 15 or 30 minutes after the
      // class's shortest (the service's buffer changed between them), the next booking after the longest.
      const seed = 20261203;
      const [steps] = fc.sample(fc.array(fc.record({
        gap: fc.constantFrom(0, 0, 5, 60),
        length: fc.constantFrom(15, 60, 360),
        seats: fc.constantFrom(1, 1, 2, 3, 4),
        extra: fc.array(fc.constantFrom(0, 15, 30), { minLength: 4, maxLength: 4 }),
        status: fc.constantFrom('confirmed', 'held', 'pending'),
      }), { minLength: 80, maxLength: 80 }), { seed, numRuns: 1 });
      const rows: { from: number; to: number; status: string; shareKey?: string }[] = [];
      let at = T0;
      for (const [i, step] of steps!.entries()) {
        at += step.gap * 60_000;
        const ends = Array.from({ length: step.seats }, (_, n) => at + (step.length + (step.seats > 1 ? step.extra[n]! : 0)) * 60_000);
        for (const to of ends) rows.push({ from: at, to, status: step.status, ...(step.seats > 1 ? { shareKey: `class-${i}` } : {}) });
        at = Math.max(...ends);
      }
      const ids = (await insert(room, rows)).map((r: { id: string }) => r.id);
      await sameAsOverlap(room, rows, ids, at, seed);
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
        // The decision's read (loadDecisionQuery): the range the booking would block, the dates around its own.
        const inputs = await fetched(`select slot_inputs(array[?::uuid], ?::timestamptz, ?::timestamptz, ?::date, ?::date, null) -> 'bookings' as b`,
          [room, iso(start), iso(start + quarter), iso(start - DAY).slice(0, 10), iso(start + DAY).slice(0, 10)]);
        expect(inputs.out.b).toHaveLength(taken ? 1 : 0);
        expect(inputs.rows).toBeLessThanOrEqual(2);
      }
      // And the booking service books the free quarter hour, and refuses the next, on that calendar.
      const customer = { name: 'Fay', email: 'fay@example.com', phone: null, timeZone: 'UTC' };
      const made = await createBooking(deps, a, { source: 'public', userId: null }, { serviceId: fullService, resourceId: room, start: free, customer, notes: null });
      expect(made.booking.start.getTime()).toBe(free);
      await expect(createBooking(deps, a, { source: 'public', userId: null }, { serviceId: fullService, resourceId: room, start: free + quarter, customer, notes: null }))
        .rejects.toMatchObject({ reason: 'busy' });
    });
  });
});
