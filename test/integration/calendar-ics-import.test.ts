import http from 'node:http';
import { Temporal } from 'temporal-polyfill';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApp } from '../../src/http/app.ts';
import type { AppDeps } from '../../src/deps.ts';
import { findAvailability } from '../../src/bookings/service.ts';
import { outbound } from '../../src/http/outbound.ts';
import { pollIcs } from '../../src/calendars/ics-import.ts';
import { wallTimeToInstant } from '../../src/scheduling/index.ts';
import { createTestDb, TestClock, testDeps, type TestDb } from '../support/db.ts';
import { makeTenant, signedIn } from '../support/http.ts';
import { makeResource, makeService } from '../support/catalog.ts';
import { runJobs } from '../support/jobs.ts';

const NY = 'America/New_York';
let t: TestDb;
let strict: AppDeps; // the production rules: public https addresses only
let open: AppDeps; // the operator allows private and http (the test's own feed server)
let tenantId: string;
let resourceId: string;
let serviceId: string;
let feed: http.Server;
let feedUrl = '';
let feedAnswer: { status: number; body: string } = { status: 200, body: '' };
let feedHits = 0;

const day = (n: number) => Temporal.Now.plainDateISO(NY).add({ days: n }).toString();
const at = (n: number, hhmm: string) => wallTimeToInstant(day(n), hhmm, NY);
const compact = (n: number) => day(n).replace(/-/g, '');

async function freeStarts(n: number): Promise<number[]> {
  const { slots } = await findAvailability(strict, tenantId, { serviceId, resourceId, range: { start: at(n, '00:00'), end: at(n + 1, '00:00') } });
  return slots.map((s) => s.start);
}

function ics(): string {
  return [
    'BEGIN:VCALENDAR', 'VERSION:2.0', 'PRODID:-//School//Timetable//EN',
    'BEGIN:VEVENT', 'UID:maths', `DTSTART;TZID=America/New_York:${compact(3)}T100000`, `DTEND;TZID=America/New_York:${compact(3)}T110000`, 'SUMMARY:Maths', 'END:VEVENT',
    'BEGIN:VEVENT', 'UID:free', `DTSTART:${compact(3)}T180000Z`, `DTEND:${compact(3)}T190000Z`, 'TRANSP:TRANSPARENT', 'SUMMARY:Maybe', 'END:VEVENT',
    'BEGIN:VEVENT', 'UID:gone', `DTSTART;TZID=America/New_York:${compact(3)}T150000`, `DTEND;TZID=America/New_York:${compact(3)}T160000`, 'STATUS:CANCELLED', 'END:VEVENT',
    'BEGIN:VEVENT', 'UID:weekly', `DTSTART;TZID=America/New_York:${compact(3)}T120000`, `DTEND;TZID=America/New_York:${compact(3)}T130000`,
    'RRULE:FREQ=WEEKLY;COUNT=3', `EXDATE;TZID=America/New_York:${compact(10)}T120000`, 'SUMMARY:Choir', 'END:VEVENT',
    'BEGIN:VEVENT', 'UID:trip', `DTSTART;VALUE=DATE:${compact(4)}`, `DTEND;VALUE=DATE:${compact(5)}`, 'SUMMARY:Trip', 'END:VEVENT',
    'END:VCALENDAR', '',
  ].join('\r\n');
}

beforeAll(async () => {
  feed = http.createServer((_req, res) => {
    feedHits++;
    res.writeHead(feedAnswer.status, { 'content-type': 'text/calendar' }).end(feedAnswer.body);
  });
  await new Promise<void>((r) => feed.listen(0, '127.0.0.1', r));
  feedUrl = `http://127.0.0.1:${(feed.address() as { port: number }).port}/school.ics`;
  t = await createTestDb();
  const clock = new TestClock();
  strict = testDeps(t, clock);
  open = testDeps(t, clock, { OUTBOUND_ALLOW_PRIVATE: 'true', OUTBOUND_ALLOW_HTTP: 'true' });
  tenantId = (await makeTenant(strict, 'ics', { timeZone: NY })).tenant.id;
  resourceId = (await makeResource(strict, tenantId, 'Pat', NY, [['00:00', '24:00']])).id;
  serviceId = (await makeService(strict, tenantId, [resourceId], { name: 'Lesson', durationMin: 60, intervalMin: 60 })).id;
});
afterAll(async () => {
  await t.drop();
  await new Promise<void>((r) => feed.close(() => r()));
});

describe('ICS import through the guarded outbound client', () => {
  it('refuses a private address when subscribing, writes nothing and sends nothing', async () => {
    const owner = await signedIn(createApp(strict), 'ics.slotwise.test', 'owner@ics.example');
    await owner.open('/admin/calendars');
    for (const url of ['https://127.0.0.1/school.ics', 'https://10.0.0.5/feed.ics', 'https://[::ffff:169.254.169.254]/latest', feedUrl]) {
      const res = await owner.post(`/admin/calendars/${resourceId}/ics`, { url });
      expect(res.status).toBe(422);
      expect(res.text).toMatch(/private network or this server|Use an https:\/\/ address/);
    }
    expect(await t.owner('ics_subscriptions')).toHaveLength(0);
    expect(feedHits).toBe(0);
  });

  it('refuses, at fetch time, a host name that resolves to a private address', async () => {
    const [row] = await t.owner('ics_subscriptions').insert({ tenant_id: tenantId, resource_id: resourceId, url: 'https://feeds.example/cal.ics' }).returning('id');
    // Loopback is refused like any private range; resolving to it keeps even a broken guard on this machine.
    const resolver = async () => [{ address: '127.0.0.1', family: 4 }];
    await pollIcs(strict, tenantId, row.id, outbound(strict.config, resolver));
    const sub = await t.owner('ics_subscriptions').where({ id: row.id }).first();
    expect(sub.last_error).toBe('Could not fetch the feed: refused: private address.');
    await t.owner('ics_subscriptions').where({ id: row.id }).del();
  });

  it('imports busy time: zoned, recurring (with an exception), all-day; free and cancelled events do not block; errors are shown and keep what was known', async () => {
    feedAnswer = { status: 200, body: ics() };
    const app = createApp(open);
    const owner = await signedIn(app, 'ics.slotwise.test', 'owner@ics.example');
    await owner.open('/admin/calendars');
    expect((await owner.post(`/admin/calendars/${resourceId}/ics`, { url: feedUrl })).status).toBe(303);
    await runJobs(t, open);
    const d3 = await freeStarts(3);
    expect(d3).not.toContain(at(3, '10:00'));
    expect(d3).not.toContain(at(3, '12:00'));
    expect(d3).toContain(at(3, '13:00')); // 18:00Z is 13:00 in New York: transparent
    expect(d3).toContain(at(3, '15:00')); // cancelled
    expect(await freeStarts(4)).toEqual([]);
    expect(await freeStarts(10)).toContain(at(10, '12:00')); // EXDATE
    expect(await freeStarts(17)).not.toContain(at(17, '12:00'));

    const sub = await t.owner('ics_subscriptions').first();
    // Re-read unchanged, the feed's blocks stay the same rows: nothing deleted (which would wake the waitlist), nothing added.
    const blocks = async () => (await t.owner('busy_blocks').where({ ics_subscription_id: sub.id }).orderBy('id')).map((b: { id: string }) => b.id);
    const before = await blocks();
    expect(before.length).toBeGreaterThan(0);
    await pollIcs(open, tenantId, sub.id);
    expect(await blocks()).toEqual(before);

    feedAnswer = { status: 500, body: 'oops' };
    await pollIcs(open, tenantId, sub.id);
    const page = await owner.get('/admin/calendars');
    expect(page.text).toContain('The feed answered HTTP 500.');
    expect(await freeStarts(3)).not.toContain(at(3, '10:00'));

    feedAnswer = { status: 200, body: 'x'.repeat(3 * 1024 * 1024) };
    await pollIcs(open, tenantId, sub.id);
    expect((await t.owner('ics_subscriptions').first()).last_error).toMatch(/larger than 2 MB/);

    feedAnswer = { status: 200, body: 'not a calendar' };
    await pollIcs(open, tenantId, sub.id);
    expect((await t.owner('ics_subscriptions').first()).last_error).toBe('The feed could not be read as a calendar (ICS).');

    expect((await owner.post(`/admin/calendars/ics/${sub.id}/delete`)).status).toBe(303);
    expect(await freeStarts(3)).toContain(at(3, '10:00'));
  });
});
