import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApp } from '../../src/http/app.ts';
import { createBooking } from '../../src/bookings/service.ts';
import type { AppDeps } from '../../src/deps.ts';
import { createTestDb, TestClock, testDeps, type TestDb } from '../support/db.ts';
import { Client, makeTenant } from '../support/http.ts';
import { makeResource, makeService } from '../support/catalog.ts';

let t: TestDb;
let deps: AppDeps;
let app: ReturnType<typeof createApp>;
let tenantId: string;
let serviceId: string;
const HOST = 'self.slotwise.test';
// Monday 2026-03-02 12:00 UTC.
const clock = new TestClock(Date.parse('2026-03-02T12:00:00Z'));

beforeAll(async () => {
  t = await createTestDb();
  deps = testDeps(t, clock, { RATE_LIMIT_MULTIPLIER: '100' });
  app = createApp(deps);
  tenantId = (await makeTenant(deps, 'self', { timeZone: 'Europe/London' })).tenant.id;
  const r = await makeResource(deps, tenantId, 'Robin', 'Europe/London', [['09:00', '17:00']]);
  serviceId = (await makeService(deps, tenantId, [r.id], { name: 'Fitting', durationMin: 60, intervalMin: 60 })).id;
});
afterAll(() => t.drop());

async function booked(start: string, email = 'kim@example.com') {
  const { booking, manageToken } = await createBooking(deps, tenantId, { source: 'public', userId: null }, {
    serviceId, resourceId: null, start: Date.parse(start), customer: { name: 'Kim', email, phone: null, timeZone: 'America/New_York' }, notes: null,
  });
  return { id: booking.id, path: `/manage/${manageToken}` };
}
const row = (id: string) => t.owner('bookings').where({ id }).first();

describe('the customer manage link', () => {
  it('shows the booking in the customer zone and the business zone, and cancels it', async () => {
    const b = await booked('2026-03-05T10:00:00Z');
    const c = new Client(app, HOST);
    const page = await c.open(b.path);
    expect(page.status).toBe(200);
    expect(page.text).toContain('5:00 AM EST');
    expect(page.text).toContain('10:00 AM GMT (Europe/London)');
    expect(page.text).toContain('Cancel this booking');
    expect(page.text).toContain('Change the time');
    // The first post asks (no JavaScript: a page with the question) and changes nothing.
    const asked = await c.post(`${b.path}/cancel`, { reason: 'Away that week' });
    expect(asked.status).toBe(200);
    expect(asked.text).toContain('Cancel your booking?');
    expect(asked.text).toContain('name="confirm" value="yes"');
    expect(asked.text).toContain('value="Away that week"');
    expect(await row(b.id)).toMatchObject({ status: 'confirmed', sequence: 0 });
    expect(await t.owner('notifications').where({ booking_id: b.id, kind: 'booking_cancelled' })).toHaveLength(0);
    // With JavaScript the browser asks: the page's form carries hx-confirm and the answer.
    expect(page.text).toMatch(/hx-confirm="Cancel this booking\?[^"]*" hx-vals='\{"confirm": "yes"\}'/);
    const res = await c.post(`${b.path}/cancel`, { reason: 'Away that week', confirm: 'yes' });
    expect(res.status).toBe(200);
    expect(res.text).toContain('Your booking is cancelled.');
    expect(await row(b.id)).toMatchObject({ status: 'cancelled', cancel_reason: 'Customer: Away that week', sequence: 1 });
    expect((await c.post(`${b.path}/cancel`, {})).status).toBe(409);
    expect(await t.owner('notifications').where({ booking_id: b.id, kind: 'booking_reminder', status: 'queued' })).toHaveLength(0);
  });

  it('reschedules to a free time, freeing the old one', async () => {
    const b = await booked('2026-03-06T10:00:00Z', 'mo@example.com');
    const c = new Client(app, HOST);
    await c.open(b.path);
    const picker = await c.open(`${b.path}/reschedule?date=2026-03-06&tz=America/New_York`);
    expect(picker.status).toBe(200);
    expect(picker.text).toContain('Choose a new time');
    // Its own time is offered (moving within one's own range is fine) and one hour later.
    expect(picker.text).toContain('data-start="2026-03-06T05:00:00-05:00"');
    expect(picker.text).toContain('data-start="2026-03-06T06:00:00-05:00"');
    // Without a date it opens on the booked day (not the first free one, today), its own time marked and not a choice.
    const opened = await c.open(`${b.path}/reschedule?tz=America/New_York`);
    expect(opened.text).toContain('aria-current="date"');
    expect(opened.text).toMatch(/<a class="day day--free day--selected" href="[^"]*date=2026-03-06/);
    expect(opened.text).toContain('<span class="time time--current" data-start="2026-03-06T05:00:00-05:00" aria-current="time">5:00 AM <span class="time__note">current time</span></span>');
    expect(opened.text).not.toContain(`start=${encodeURIComponent('2026-03-06T05:00:00-05:00')}`);
    const confirm = await c.open(`${b.path}/reschedule/confirm?start=${encodeURIComponent('2026-03-06T06:00:00-05:00')}&tz=America/New_York`);
    expect(confirm.text).toContain('Move your booking?');
    expect(confirm.text).toContain('6:00 AM EST');
    const res = await c.post(`${b.path}/reschedule`, { start: '2026-03-06T11:00:00.000Z', tz: 'America/New_York' });
    expect(res.status).toBe(303);
    expect(res.headers.location).toBe(`${b.path}?moved=1`);
    expect((await row(b.id)).starts_at.toISOString()).toBe('2026-03-06T11:00:00.000Z');
    expect((await c.get(`${b.path}?moved=1`)).text).toContain('Your booking has moved.');
    // The old 10:00 is bookable again.
    await expect(booked('2026-03-06T10:00:00Z', 'next@example.com')).resolves.toBeDefined();
  });

  it('refuses a move onto a taken time with 409 and fresh times, changing nothing', async () => {
    const a = await booked('2026-03-09T10:00:00Z', 'a@example.com');
    await booked('2026-03-09T12:00:00Z', 'b@example.com');
    const c = new Client(app, HOST);
    await c.open(a.path);
    const res = await c.post(`${a.path}/reschedule`, { start: '2026-03-09T12:00:00Z', tz: 'Europe/London' });
    expect(res.status).toBe(409);
    expect(res.text).toContain('That time was just taken');
    expect((await row(a.id)).starts_at.toISOString()).toBe('2026-03-09T10:00:00.000Z');
  });

  it('refuses changes inside the cutoff, and when the business does not allow them, saying why', async () => {
    const soon = await booked('2026-03-02T16:00:00Z', 'soon@example.com'); // 4 hours ahead; the default cutoff is 12 hours
    const c = new Client(app, HOST);
    const page = await c.open(soon.path);
    expect(page.text).not.toContain('Cancel this booking');
    const res = await c.post(`${soon.path}/cancel`, {});
    expect(res.status).toBe(409);
    expect(res.text).toContain('up to 12 h before the start');
    expect((await row(soon.id)).status).toBe('confirmed');
    expect((await c.get(`${soon.path}/reschedule`)).status).toBe(409);

    await t.owner('tenants').where({ id: tenantId }).update({ customers_may_reschedule: false });
    try {
      const later = await booked('2026-03-10T10:00:00Z', 'later@example.com');
      const c2 = new Client(app, HOST);
      await c2.open(later.path);
      const refused = await c2.post(`${later.path}/reschedule`, { start: '2026-03-10T11:00:00Z', tz: 'UTC' });
      expect(refused.status).toBe(409);
      expect(refused.text).toContain('does not take changes online');
      expect((await row(later.id)).starts_at.toISOString()).toBe('2026-03-10T10:00:00.000Z');
    } finally {
      await t.owner('tenants').where({ id: tenantId }).update({ customers_may_reschedule: true });
    }
  });

  it('answers a forged token with 404 and an ended booking with 410, changing nothing', async () => {
    const c = new Client(app, HOST);
    await c.open('/');
    expect((await c.get('/manage/forged-token')).status).toBe(404);
    expect((await c.post('/manage/forged-token/cancel', {})).status).toBe(404);
    const b = await booked('2026-03-11T10:00:00Z', 'past@example.com');
    clock.set('2026-03-11T11:30:00Z');
    try {
      const res = await c.get(b.path);
      expect(res.status).toBe(410);
      expect(res.text).toContain('This booking has ended');
      expect((await c.post(`${b.path}/cancel`, {})).status).toBe(410);
      expect((await row(b.id)).status).toBe('confirmed');
    } finally {
      clock.set('2026-03-02T12:00:00Z');
    }
  });

  it('limits the changes one address can make through links, 429 with Retry-After, while pages still show', async () => {
    await makeTenant(deps, 'flood', { timeZone: 'Europe/London' }); // its own counters
    const strict = createApp(testDeps(t, clock)); // real limits: 20 changes an hour per address and business
    const c = new Client(strict, 'flood.slotwise.test');
    await c.open('/');
    const statuses: number[] = [];
    for (let i = 0; i < 21; i++) statuses.push((await c.post('/manage/forged-token-that-matches-nothing/cancel', {})).status);
    expect(statuses.slice(0, 20).every((s) => s === 404)).toBe(true);
    const limited = await c.post('/manage/forged-token-that-matches-nothing/reschedule', { start: '2026-03-12T10:00:00Z' });
    expect([statuses[20], limited.status]).toEqual([429, 429]);
    expect(Number(limited.headers['retry-after'])).toBeGreaterThan(0);
    expect((await c.get('/manage/forged-token-that-matches-nothing')).status).toBe(404); // reading is not limited
  });
});
