import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { createApp } from '../../src/http/app.ts';
import { createApiKey } from '../../src/api/keys.ts';
import type { AppDeps } from '../../src/deps.ts';
import { createBooking } from '../../src/bookings/service.ts';
import { SeriesConflict } from '../../src/series/errors.ts';
import { createSeries } from '../../src/series/service.ts';
import { createTestDb, TestClock, testDeps, type TestDb } from '../support/db.ts';
import { Client, makeTenant, signedIn } from '../support/http.ts';
import { makeResource, makeService } from '../support/catalog.ts';
import { api } from '../support/api.ts';
import { runJobs } from '../support/jobs.ts';

/**
 * Recurring bookings: a weekly series keeps its wall-clock time in the
 * resource's zone across DST changes (New York, and Lord Howe's half hour),
 * is booked all or nothing or as its free part, in one transaction under
 * the resource's lock, and is cancelled as a whole or from one occurrence on.
 */
let t: TestDb;
let deps: AppDeps;
let app: ReturnType<typeof createApp>;
let tenantId: string;
let key: string;
const HOST = 'weekly.slotwise.test';
const ids = { ny: '', lh: '', night: '', service: '', nightService: '', plain: '' };
// Monday 2027-02-22, 12:00 UTC.
const clock = new TestClock(Date.parse('2027-02-22T12:00:00Z'));

beforeAll(async () => {
  t = await createTestDb();
  deps = testDeps(t, clock, { RATE_LIMIT_MULTIPLIER: '100' });
  app = createApp(deps);
  tenantId = (await makeTenant(deps, 'weekly', { email: 'owner@weekly.example' })).tenant.id;
  ids.ny = (await makeResource(deps, tenantId, 'Nora', 'America/New_York', [['09:00', '17:00']])).id;
  ids.lh = (await makeResource(deps, tenantId, 'Lou', 'Australia/Lord_Howe', [['09:00', '17:00']])).id;
  ids.night = (await makeResource(deps, tenantId, 'Night desk', 'America/New_York', [['00:00', '24:00']])).id;
  ids.service = (await makeService(deps, tenantId, [ids.ny, ids.lh], { name: 'Lesson', durationMin: 60, intervalMin: 60, horizonDays: 400, allowSeries: true })).id;
  ids.nightService = (await makeService(deps, tenantId, [ids.night], { name: 'Night check', durationMin: 30, intervalMin: 30, horizonDays: 400, allowSeries: true })).id;
  ids.plain = (await makeService(deps, tenantId, [ids.ny], { name: 'One-off', durationMin: 60, intervalMin: 60, horizonDays: 400 })).id;
  key = (await createApiKey(deps, tenantId, 'weekly')).key;
});
afterAll(() => t.drop());

let n = 0;
const customer = () => ({ name: 'Sam Series', email: `sam${++n}@example.com`, phone: null, time_zone: 'Europe/London' });
const seriesBody = (over: Record<string, unknown>) => ({
  service_id: ids.service, resource_id: ids.ny, start: '2027-03-01T10:00:00-05:00', recurrence: { frequency: 'weekly', interval: 1, count: 4 }, customer: customer(), ...over,
});
const starts = (body: { bookings: { start: string }[] }) => body.bookings.map((b) => b.start);

describe('a weekly series keeps its local time across a DST change', () => {
  it('New York: 10:00 stays 10:00 as the offset goes from −05:00 to −04:00', async () => {
    const res = await api(app, key).post('/series', seriesBody({}));
    expect(res.status, res.text).toBe(201);
    expect(starts(res.body)).toEqual(['2027-03-01T10:00:00-05:00', '2027-03-08T10:00:00-05:00', '2027-03-15T10:00:00-04:00', '2027-03-22T10:00:00-04:00']);
    expect(res.body.skipped).toEqual([]);
    // The instants in the database moved by an hour; each booking names its series.
    const rows = await t.owner('bookings').where({ series_id: res.body.id }).orderBy('starts_at').select('starts_at', 'status');
    expect(rows.map((r) => (r.starts_at as Date).toISOString())).toEqual(['2027-03-01T15:00:00.000Z', '2027-03-08T15:00:00.000Z', '2027-03-15T14:00:00.000Z', '2027-03-22T14:00:00.000Z']);
    expect(rows.every((r) => r.status === 'confirmed')).toBe(true);
    expect(res.body.bookings.every((b: { series_id: string }) => b.series_id === res.body.id)).toBe(true);
  });

  it('Lord Howe: 10:00 stays 10:00 across its 30-minute change (+10:30 → +11:00)', async () => {
    const res = await api(app, key).post('/series', seriesBody({ resource_id: ids.lh, start: '2027-09-26T10:00:00+10:30', recurrence: { frequency: 'weekly', interval: 1, count: 3 } }));
    expect(res.status, res.text).toBe(201);
    expect(starts(res.body)).toEqual(['2027-09-26T10:00:00+10:30', '2027-10-03T10:00:00+11:00', '2027-10-10T10:00:00+11:00']);
  });

  it('reports a time the clocks skip as not bookable, never moved', async () => {
    const res = await api(app, key).post('/series', seriesBody({
      service_id: ids.nightService, resource_id: ids.night, start: '2027-03-07T02:30:00-05:00', recurrence: { frequency: 'weekly', interval: 1, count: 3 }, on_conflict: 'skip',
    }));
    expect(res.status, res.text).toBe(201);
    expect(starts(res.body)).toEqual(['2027-03-07T02:30:00-05:00', '2027-03-21T02:30:00-04:00']);
    expect(res.body.skipped).toEqual([{ start: '2027-03-14T02:30', reason: 'nonexistent_local_time' }]);
  });
});

describe('all or nothing, or the free ones', () => {
  const taken = '2027-04-12T10:00:00-04:00';
  beforeAll(async () => {
    // Someone else has the second Monday.
    const res = await api(app, key).post('/bookings', { service_id: ids.service, resource_id: ids.ny, start: taken, customer: { name: 'Other', email: 'other@example.com', time_zone: 'UTC' } });
    expect(res.status, res.text).toBe(201);
  });
  const body = (onConflict: string) => seriesBody({ start: '2027-04-05T10:00:00-04:00', recurrence: { frequency: 'weekly', interval: 1, count: 3 }, on_conflict: onConflict });

  it('"fail" with one taken occurrence writes nothing and names it in a 409 problem', async () => {
    const before = await t.owner('bookings').count<{ count: string }[]>('* as count');
    const seriesBefore = await t.owner('series').count<{ count: string }[]>('* as count');
    const res = await api(app, key).post('/series', body('fail'));
    expect(res.status, res.text).toBe(409);
    expect(res.headers['content-type']).toMatch(/application\/problem\+json/);
    expect(res.body.type).toMatch(/series_conflict$/);
    expect(res.body.errors).toEqual({ [taken]: 'That time was just taken.' });
    expect(res.body.detail).toContain(taken);
    expect(await t.owner('bookings').count<{ count: string }[]>('* as count')).toEqual(before);
    expect(await t.owner('series').count<{ count: string }[]>('* as count')).toEqual(seriesBefore);
  });

  it('"skip" writes the rest and lists the skipped with why', async () => {
    const res = await api(app, key).post('/series', body('skip'));
    expect(res.status, res.text).toBe(201);
    expect(starts(res.body)).toEqual(['2027-04-05T10:00:00-04:00', '2027-04-19T10:00:00-04:00']);
    expect(res.body.skipped).toEqual([{ start: taken, reason: 'busy' }]);
    const got = await api(app, key).get(`/series/${res.body.id}`);
    expect(got.status).toBe(200);
    expect(starts(got.body)).toEqual(starts(res.body));
  });

  it('refuses a series with no free occurrence at all, whatever on_conflict says', async () => {
    const res = await api(app, key).post('/series', seriesBody({ start: '2027-04-05T10:00:00-04:00', recurrence: { frequency: 'weekly', interval: 1, count: 3 }, on_conflict: 'skip' }));
    expect(res.status).toBe(409);
    expect(Object.keys(res.body.errors)).toHaveLength(3);
  });
});

describe('one message for the whole series', () => {
  it('queues one confirmation and one staff notice listing every occurrence, an .ics event each, and a reminder per occurrence', async () => {
    await t.owner('tenants').where({ id: tenantId }).update({ notification_email: 'desk@weekly.example' });
    const res = await api(app, key).post('/series', seriesBody({ start: '2027-05-03T10:00:00-04:00', recurrence: { frequency: 'weekly', interval: 2, count: 3 } }));
    expect(res.status, res.text).toBe(201);
    const bookingIds = res.body.bookings.map((b: { id: string }) => b.id);
    const kinds = (await t.owner('notifications').whereIn('booking_id', bookingIds).select('kind')).map((r) => r.kind as string).sort();
    expect(kinds).toEqual(['booking_reminder', 'booking_reminder', 'booking_reminder', 'booking_reminder', 'booking_reminder', 'booking_reminder', 'series_confirmation', 'staff_series_created']);
    // The queued messages are due at the test clock's now: run the worker on that clock.
    vi.useFakeTimers({ toFake: ['Date'] });
    vi.setSystemTime(clock.now());
    try {
      await runJobs(t, deps, { useNodeTime: true });
    } finally {
      vi.useRealTimers();
    }
    const sent = await t.owner('notifications').whereIn('kind', ['series_confirmation', 'staff_series_created']).whereIn('booking_id', bookingIds).select('kind', 'status', 'last_error');
    expect(sent.map((m) => [m.kind, m.status, m.last_error]).sort()).toEqual([['series_confirmation', 'sent', null], ['staff_series_created', 'sent', null]]);
    const [mail] = await t.owner('outbox_messages').where({ kind: 'series_confirmation', to_address: res.body.customer.email });
    expect(mail, 'the series confirmation was sent').toBeDefined();
    // Every other Monday, in the customer's zone (London: 15:00 BST).
    expect(mail.text_body).toContain('Lesson with Nora\n\nEvery 2 weeks, 3 times:\n- Monday, May 3, 2027, 3:00 PM GMT+1\n- Monday, May 17, 2027, 3:00 PM GMT+1\n- Monday, May 31, 2027, 3:00 PM GMT+1\nTimes in Europe/London');
    expect(mail.text_body).toMatch(/\/manage\/\S+/);
    const [staff] = await t.owner('outbox_messages').where({ kind: 'staff_series_created', to_address: 'desk@weekly.example' });
    // The business's zone: 10:00 New York.
    expect(staff.text_body).toContain('- Monday, May 3, 2027, 10:00 AM EDT');
  });
});

describe('cancelling a series', () => {
  async function series(start: string, count = 4) {
    const res = await api(app, key).post('/series', seriesBody({ start, recurrence: { frequency: 'weekly', interval: 1, count } }));
    expect(res.status, res.text).toBe(201);
    return res.body as { id: string; bookings: { id: string; start: string }[] };
  }
  const statuses = async (id: string) => (await api(app, key).get(`/series/${id}`)).body.bookings.map((b: { status: string }) => b.status);

  it('"following" cancels the occurrence named and those after it, with one message', async () => {
    const s = await series('2027-06-07T11:00:00-04:00');
    const res = await api(app, key).post(`/series/${s.id}/cancel`, { scope: 'following', from_booking_id: s.bookings[1]!.id, reason: 'Moving away' });
    expect(res.status, res.text).toBe(200);
    expect(res.body.cancelled).toEqual(s.bookings.slice(1).map((b) => b.id));
    expect(await statuses(s.id)).toEqual(['confirmed', 'cancelled', 'cancelled', 'cancelled']);
    const messages = await t.owner('notifications').whereIn('booking_id', s.bookings.map((b) => b.id)).whereIn('kind', ['series_cancelled', 'booking_cancelled']).select('kind', 'payload');
    expect(messages.map((m) => m.kind)).toEqual(['series_cancelled']);
    // The cancelled occurrences' reminders will not go out; the first one's will.
    const reminders = await t.owner('notifications').whereIn('booking_id', s.bookings.map((b) => b.id)).where({ kind: 'booking_reminder' }).select('booking_id', 'status');
    expect(reminders.filter((r) => r.status === 'queued').map((r) => r.booking_id)).toEqual([s.bookings[0]!.id, s.bookings[0]!.id]);
    // The freed time can be booked again.
    const again = await api(app, key).post('/bookings', { service_id: ids.service, resource_id: ids.ny, start: s.bookings[2]!.start, customer: { name: 'Next', email: 'next@example.com', time_zone: 'UTC' } });
    expect(again.status).toBe(201);
  });

  it('"all" cancels every occurrence not started yet; a second time there is nothing left', async () => {
    const s = await series('2027-07-05T11:00:00-04:00', 3);
    const res = await api(app, key).post(`/series/${s.id}/cancel`, { scope: 'all' });
    expect(res.status, res.text).toBe(200);
    expect(await statuses(s.id)).toEqual(['cancelled', 'cancelled', 'cancelled']);
    const twice = await api(app, key).post(`/series/${s.id}/cancel`, { scope: 'all' });
    expect(twice.status).toBe(409);
    expect(twice.headers['content-type']).toMatch(/application\/problem\+json/);
  });

  it('one occurrence can be cancelled or moved alone, like any booking', async () => {
    const s = await series('2027-08-02T11:00:00-04:00', 3);
    expect((await api(app, key).post(`/bookings/${s.bookings[0]!.id}/cancel`, {})).status).toBe(200);
    const moved = await api(app, key).post(`/bookings/${s.bookings[1]!.id}/reschedule`, { start: '2027-08-10T11:00:00-04:00' });
    expect(moved.status, moved.text).toBe(200);
    expect(moved.body.series_id).toBe(s.id);
    expect(await statuses(s.id)).toEqual(['cancelled', 'confirmed', 'confirmed']);
  });

  it('"following" needs an occurrence of that series', async () => {
    const s = await series('2027-08-30T11:00:00-04:00', 2);
    const missing = await api(app, key).post(`/series/${s.id}/cancel`, { scope: 'following' });
    expect(missing.status).toBe(422);
    expect(missing.body.errors).toHaveProperty('from_booking_id');
    const other = await api(app, key).post(`/series/${s.id}/cancel`, { scope: 'following', from_booking_id: '00000000-0000-4000-8000-000000000000' });
    expect(other.status).toBe(422);
    expect((await api(app, key).post('/series/00000000-0000-4000-8000-000000000000/cancel', { scope: 'all' })).status).toBe(404);
  });
});

describe('what a series is refused for', () => {
  it.each([
    { name: 'a service that does not allow series', over: () => ({ service_id: ids.plain }), status: 422, field: 'service_id' },
    { name: 'no end', over: () => ({ recurrence: { frequency: 'weekly', interval: 1 } }), status: 422, field: 'recurrence.count' },
    { name: 'a count above 52', over: () => ({ recurrence: { frequency: 'weekly', interval: 1, count: 53 } }), status: 422, field: 'recurrence.count' },
    { name: 'an end before the start', over: () => ({ recurrence: { frequency: 'weekly', interval: 1, until: '2027-02-01' } }), status: 422, field: 'recurrence.until' },
    { name: 'monthly', over: () => ({ recurrence: { frequency: 'monthly', interval: 1, count: 3 } }), status: 422, field: 'recurrence.frequency' },
    { name: 'a resource that does not offer it', over: () => ({ resource_id: ids.night }), status: 404, field: undefined },
  ])('$name', async ({ over, status, field }) => {
    const res = await api(app, key).post('/series', seriesBody(over()));
    expect(res.status, res.text).toBe(status);
    expect(res.headers['content-type']).toMatch(/application\/problem\+json/);
    if (field) expect(res.body.errors).toHaveProperty([field]);
  });

  it('replays an Idempotency-Key instead of booking twice', async () => {
    const body = seriesBody({ start: '2027-10-04T13:00:00-04:00', recurrence: { frequency: 'weekly', interval: 1, count: 2 } });
    const first = await api(app, key).post('/series', body, { 'Idempotency-Key': 'series-once' });
    const again = await api(app, key).post('/series', body, { 'Idempotency-Key': 'series-once' });
    expect(first.status).toBe(201);
    expect(again.status).toBe(201);
    expect(again.body.id).toBe(first.body.id);
    expect(await t.owner('series').where({ customer_email: body.customer.email }).count<{ count: string }[]>('* as count')).toEqual([{ count: '1' }]);
  });
});

describe('a service paid online', () => {
  it('is refused as a series to the API and the public page (one checkout for many dates is not offered), and booked by staff to pay at the venue', async () => {
    // Stripe configured and the business connected: the service would be paid online. Nothing reaches Stripe (the address is closed).
    const paidDeps = testDeps(t, clock, { RATE_LIMIT_MULTIPLIER: '100', STRIPE_SECRET_KEY: 'sk_test_series', STRIPE_WEBHOOK_SECRET: 'whsec_series', STRIPE_API_BASE: 'http://127.0.0.1:9' });
    const paidApp = createApp(paidDeps);
    await t.owner('tenants').where({ id: tenantId }).update({ stripe_account_id: 'acct_series1', stripe_charges_enabled: true });
    const paid = await makeService(deps, tenantId, [ids.ny], { name: 'Paid lesson', durationMin: 60, intervalMin: 60, horizonDays: 400, allowSeries: true, paymentMode: 'full', priceMinor: 5000 });
    try {
      const res = await api(paidApp, key).post('/series', seriesBody({ service_id: paid.id, start: '2028-03-06T10:00:00-05:00', recurrence: { frequency: 'weekly', interval: 1, count: 2 } }));
      expect(res.status, res.text).toBe(422);
      expect(res.body.type).toMatch(/series_not_payable$/);
      expect(res.body.errors).toHaveProperty('service_id');
      const page = await new Client(paidApp, HOST).open(`/book/${paid.id}/details?resource=${ids.ny}&tz=America/New_York&start=${encodeURIComponent('2028-03-06T15:00:00.000Z')}`);
      expect(page.status).toBe(200);
      expect(page.text).not.toContain('name="repeat"');
      expect(page.text).toContain('Recurring bookings cannot be paid online');
      const staff = await createSeries(paidDeps, tenantId, { source: 'admin', userId: null }, {
        serviceId: paid.id, resourceId: ids.ny, start: Date.parse('2028-03-06T10:00:00-05:00'), recurrence: { frequency: 'weekly', interval: 1, count: 2 },
        customer: { name: 'Phone', email: 'phone@example.com', phone: null, timeZone: 'UTC' }, notes: null,
      }, 'fail');
      expect(staff.bookings.map((b) => [b.booking.status, b.payment])).toEqual([['confirmed', null], ['confirmed', null]]);
    } finally {
      await t.owner('tenants').where({ id: tenantId }).update({ stripe_account_id: null, stripe_charges_enabled: false });
    }
  });
});

describe('series racing for the same time', () => {
  it('two series overlapping in one occurrence: never both, never a 500', async () => {
    // 14:00 on Mondays from 2027-11-01 (still −04:00), and from 2027-11-15: they share 11-15.
    const a = api(app, key).post('/series', seriesBody({ start: '2027-11-01T14:00:00-04:00', recurrence: { frequency: 'weekly', interval: 1, count: 3 } }));
    const b = api(app, key).post('/series', seriesBody({ start: '2027-11-15T14:00:00-05:00', recurrence: { frequency: 'weekly', interval: 1, count: 3 } }));
    const results = await Promise.all([a, b]);
    expect(results.map((r) => r.status).sort()).toEqual([201, 409]);
    const rows = await t.owner('bookings').where({ resource_id: ids.ny, status: 'confirmed' }).whereRaw("starts_at = '2027-11-15T19:00:00Z'").select('series_id');
    expect(rows).toHaveLength(1);
    // The loser wrote nothing, on its other Mondays either: the month holds the winner's three.
    const winner = results.find((r) => r.status === 201)!.body as { id: string };
    const november = await t.owner('bookings').where({ resource_id: ids.ny }).whereBetween('starts_at', ['2027-11-01T00:00:00Z', '2027-12-01T00:00:00Z']).select('series_id');
    expect(november.map((r) => r.series_id)).toEqual([winner.id, winner.id, winner.id]);
  });

  it('in the service, many racing series on one time end in exactly one', async () => {
    const tries = Array.from({ length: 6 }, (_, i) => createSeries(deps, tenantId, { source: 'api', userId: null }, {
      serviceId: ids.service, resourceId: ids.ny, start: Date.parse('2027-12-06T15:00:00-05:00') + 0, recurrence: { frequency: 'weekly', interval: 1, count: 2 },
      customer: { name: `Racer ${i}`, email: `racer${i}@example.com`, phone: null, timeZone: 'UTC' }, notes: null,
    }, 'fail'));
    const settled = await Promise.allSettled(tries);
    expect(settled.filter((s) => s.status === 'fulfilled')).toHaveLength(1);
    for (const s of settled) if (s.status === 'rejected') expect(s.reason).toBeInstanceOf(SeriesConflict);
  });

  it('a single booking and a series at once: one of them gets the time', async () => {
    const [single, series] = await Promise.allSettled([
      createBooking(deps, tenantId, { source: 'api', userId: null }, {
        serviceId: ids.service, resourceId: ids.ny, start: Date.parse('2027-12-20T15:00:00-05:00'), customer: { name: 'One', email: 'one@example.com', phone: null, timeZone: 'UTC' }, notes: null,
      }),
      createSeries(deps, tenantId, { source: 'api', userId: null }, {
        serviceId: ids.service, resourceId: ids.ny, start: Date.parse('2027-12-20T15:00:00-05:00'), recurrence: { frequency: 'weekly', interval: 1, count: 2 },
        customer: { name: 'Two', email: 'two@example.com', phone: null, timeZone: 'UTC' }, notes: null,
      }, 'fail'),
    ]);
    expect([single.status, series.status].filter((s) => s === 'fulfilled')).toHaveLength(1);
    const rows = await t.owner('bookings').where({ resource_id: ids.ny, status: 'confirmed' }).whereRaw("starts_at = '2027-12-20T20:00:00Z'");
    expect(rows).toHaveLength(1);
  });
});

describe('the public booking page', () => {
  const first = '2028-01-03T15:00:00.000Z'; // Monday 10:00 in New York
  const form = (over: Record<string, string> = {}) => ({
    resource: ids.ny, tz: 'America/New_York', start: first, name: 'Pat Public', email: 'pat@example.com', phone: '', notes: '',
    repeat: 'weekly', interval: '1', ends: 'count', count: '3', until: '', ...over,
  });
  beforeAll(async () => {
    const res = await api(app, key).post('/bookings', { service_id: ids.service, resource_id: ids.ny, start: '2028-01-10T10:00:00-05:00', customer: { name: 'Early', email: 'early@example.com', time_zone: 'UTC' } });
    expect(res.status, res.text).toBe(201);
  });

  it('offers "Repeat weekly" on the details step of a service that allows series, and not on others', async () => {
    const c = new Client(app, HOST);
    const details = await c.open(`/book/${ids.service}/details?resource=${ids.ny}&tz=America/New_York&start=${encodeURIComponent(first)}`);
    expect(details.status, details.text).toBe(200);
    expect(details.text).toContain('name="repeat" value="weekly"');
    const plain = await c.open(`/book/${ids.plain}/details?resource=${ids.ny}&tz=America/New_York&start=${encodeURIComponent(first)}`);
    expect(plain.status).toBe(200);
    expect(plain.text).not.toContain('name="repeat"');
  });

  it('previews every date with why one is not free, books the free ones, and the manage link manages the series', async () => {
    const c = new Client(app, HOST);
    await c.open(`/book/${ids.service}/details?resource=${ids.ny}&tz=America/New_York&start=${encodeURIComponent(first)}`);
    const preview = await c.post(`/book/${ids.service}`, form());
    expect(preview.status, preview.text).toBe(200);
    expect(preview.text).toContain('Monday, January 3, 2028, 10:00 AM EST');
    expect(preview.text).toContain('Monday, January 10, 2028, 10:00 AM EST');
    expect(preview.text).toContain('That time was just taken.');
    expect(preview.text).toContain('Book the 2 free dates');
    expect(preview.text).not.toContain('Book all');
    // Nothing is written by the preview.
    expect(await t.owner('bookings').where({ customer_email: 'pat@example.com' })).toHaveLength(0);

    const booked = await c.post(`/book/${ids.service}/series`, { ...form(), onConflict: 'skip' });
    expect(booked.status, booked.text).toBe(303);
    const manage = booked.headers.location as string;
    expect(manage).toMatch(/^\/manage\/[^/?]+\?booked=1$/);
    const rows = await t.owner('bookings').where({ customer_email: 'pat@example.com' }).orderBy('starts_at').select('starts_at', 'series_id', 'source');
    expect(rows.map((r) => (r.starts_at as Date).toISOString())).toEqual(['2028-01-03T15:00:00.000Z', '2028-01-17T15:00:00.000Z']);
    expect(rows.every((r) => r.series_id && r.source === 'public')).toBe(true);

    const page = await c.open(manage);
    expect(page.status).toBe(200);
    expect(page.text).toContain('booked for 2 dates');
    expect(page.text).toContain('Your recurring booking');
    expect(page.text).toContain('Cancel this one and the following');

    const token = manage.split('/')[2]!.split('?')[0]!;
    const cancelled = await c.post(`/manage/${token}/cancel-series`, { scope: 'all' });
    expect(cancelled.status).toBe(303);
    expect((await c.open(cancelled.headers.location as string)).text).toContain('2 bookings are cancelled');
    expect((await t.owner('bookings').where({ customer_email: 'pat@example.com' }).select('status')).map((r) => r.status)).toEqual(['cancelled', 'cancelled']);
  });

  it('"all or nothing" from the preview books nothing when a date was taken since', async () => {
    const c = new Client(app, HOST);
    await c.open(`/book/${ids.service}/details?resource=${ids.ny}&tz=America/New_York&start=${encodeURIComponent(first)}`);
    const res = await c.post(`/book/${ids.service}/series`, { ...form({ email: 'quinn@example.com' }), onConflict: 'fail' });
    expect(res.status).toBe(409);
    expect(res.text).toContain('Nothing was booked');
    expect(await t.owner('bookings').where({ customer_email: 'quinn@example.com' })).toHaveLength(0);
  });

  it('re-renders the form with 422 naming the field when the repeat is not readable', async () => {
    const c = new Client(app, HOST);
    await c.open(`/book/${ids.service}/details?resource=${ids.ny}&tz=America/New_York&start=${encodeURIComponent(first)}`);
    const res = await c.post(`/book/${ids.service}`, form({ count: 'lots' }));
    expect(res.status).toBe(422);
    expect(res.text).toContain('Enter a number of times from 2 to 52.');
    const until = await c.post(`/book/${ids.service}`, form({ ends: 'until', until: '2027-12-01' }));
    expect(until.status).toBe(422);
    expect(until.text).toContain('The end date must be after the first date.');
  });

  it('staff book a series from the dashboard: all or nothing names the taken date, "the free ones" books the rest', async () => {
    const owner = await signedIn(app, HOST, 'owner@weekly.example');
    await owner.open('/admin/bookings/new');
    const form = {
      serviceId: ids.service, resourceId: ids.ny, date: '2028-01-03', time: '10:00', name: 'Desk Dana', email: 'dana@example.com', phone: '', timeZone: 'America/New_York', notes: '',
      repeat: 'weekly', interval: '1', ends: 'count', count: '3', until: '',
    };
    const refused = await owner.post('/admin/bookings/new', { ...form, onConflict: 'fail' });
    expect(refused.status).toBe(409);
    expect(refused.text).toContain('2028-01-10T10:00:00-05:00');
    expect(await t.owner('bookings').where({ customer_email: 'dana@example.com' })).toHaveLength(0);
    const booked = await owner.post('/admin/bookings/new', { ...form, onConflict: 'skip' });
    expect(booked.status, booked.text).toBe(303);
    const rows = await t.owner('bookings').where({ customer_email: 'dana@example.com' }).orderBy('starts_at').select('starts_at', 'source', 'series_id');
    expect(rows.map((r) => (r.starts_at as Date).toISOString())).toEqual(['2028-01-03T15:00:00.000Z', '2028-01-17T15:00:00.000Z']);
    expect(rows.every((r) => r.source === 'admin' && r.series_id)).toBe(true);
    const bad = await owner.post('/admin/bookings/new', { ...form, serviceId: ids.plain, date: '2028-01-04' });
    expect(bad.status).toBe(422);
    expect(bad.text).toContain('cannot be booked as a recurring series');
  });

  it('the dashboard shows the series on an occurrence and cancels this and the following', async () => {
    const made = await api(app, key).post('/series', seriesBody({ start: '2028-02-07T12:00:00-05:00', recurrence: { frequency: 'weekly', interval: 1, count: 3 } }));
    expect(made.status, made.text).toBe(201);
    const [a, b] = made.body.bookings as { id: string }[];
    const owner = await signedIn(app, HOST, 'owner@weekly.example');
    const show = await owner.open(`/admin/bookings/${a!.id}`);
    expect(show.status).toBe(200);
    expect(show.text).toContain('Recurring series');
    expect(show.text).toContain(`/admin/bookings/${b!.id}`);
    const res = await owner.post(`/admin/bookings/${b!.id}/cancel-series`, { scope: 'following', seriesReason: 'Closed in February' });
    expect(res.status, res.text).toBe(303);
    const got = await api(app, key).get(`/series/${made.body.id}`);
    expect(got.body.bookings.map((x: { status: string }) => x.status)).toEqual(['confirmed', 'cancelled', 'cancelled']);
    const audit = await t.owner('audit_log').where({ subject_id: b!.id, action: 'booking.cancel' });
    expect(audit).toHaveLength(1);
  });
});
