import ICAL from 'ical.js';
import type { Express } from 'express';
import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApp } from '../../src/http/app.ts';
import { MULTI_LINE_MESSAGE, SINGLE_LINE_MESSAGE } from '../../src/http/text.ts';
import type { AppDeps } from '../../src/deps.ts';
import { api } from '../support/api.ts';
import { createTestDb, TestClock, testDeps, type TestDb } from '../support/db.ts';
import { Client } from '../support/http.ts';
import { runJobs } from '../support/jobs.ts';
import { PASSWORD, seedWorld, WORLD_ENCRYPTION_KEY, signedInAs, WORLD_NOW, type World } from '../support/world.ts';
import { FakeSendGrid } from '../fakes/sendgrid.ts';

/**
 * Text fields take text: a NUL (which PostgreSQL refuses) or a line break
 * in a one-line field is a 422 naming the field, in forms and in the API,
 * and nothing is written. What is one line by nature (a mail subject, an
 * .ics property) stays one line even for text stored before these checks.
 * URLs and query strings are read the same way: nothing typed there is a 500.
 */
let t: TestDb;
let deps: AppDeps;
let app: Express;
let w: World;
let sendgrid: FakeSendGrid;

beforeAll(async () => {
  t = await createTestDb();
  sendgrid = await new FakeSendGrid().start();
  deps = testDeps(t, new TestClock(Date.parse(WORLD_NOW)), { RATE_LIMIT_MULTIPLIER: '1000', ENCRYPTION_KEY: WORLD_ENCRYPTION_KEY, SENDGRID_API_KEY: 'SG.test', SENDGRID_BASE_URL: sendgrid.url });
  app = createApp(deps);
  w = await seedWorld(deps, 'text');
});
afterAll(async () => {
  await sendgrid.stop();
  await t.drop();
});

const count = async (table: string) => Number((await t.owner(table).where({ tenant_id: w.tenantId }).count<{ n: string }[]>('* as n'))[0]!.n);

describe('text fields in the API', () => {
  it.each([
    ['a resource name with a NUL', '/resources', { name: 'Room\u00001', kind: 'room', time_zone: 'UTC' }, 'name', SINGLE_LINE_MESSAGE, 'resources'],
    ['a service name with a NUL', '/services', { name: 'Cut\u0000', duration_minutes: 30, resource_ids: [] }, 'name', SINGLE_LINE_MESSAGE, 'services'],
    ['a service description with a NUL', '/services', { name: 'Cut', description: 'a\u0000b', duration_minutes: 30, resource_ids: [] }, 'description', MULTI_LINE_MESSAGE, 'services'],
    ['a holiday name with a line break', '/holidays', { name: 'Closed\r\nX-Header: 1', start_date: '2026-05-01' }, 'name', SINGLE_LINE_MESSAGE, 'holidays'],
    ['a webhook description with a NUL', '/webhook_endpoints', { url: 'https://hooks.example.com/x', events: ['booking.created'], description: '\u0000' }, 'description', SINGLE_LINE_MESSAGE, 'webhook_endpoints'],
    ['a price past what an amount can be', '/services', { name: 'Cut', duration_minutes: 30, resource_ids: [], price: 3_000_000_000 }, 'price', undefined, 'services'],
  ])('refuses %s with 422 naming the field, writing nothing', async (_what, path, body, field, message, table) => {
    const before = await count(table);
    const res = await api(app, w.apiKey).post(path, body);
    expect(res.status).toBe(422);
    expect(res.type).toBe('application/problem+json');
    expect(Object.keys(res.body.errors)).toEqual([field]);
    if (message) expect(res.body.errors[field]).toBe(message);
    expect(await count(table)).toBe(before);
  });

  it('refuses a customer name with CR/LF, and keeps line breaks in notes', async () => {
    const booking = (customerName: string, notes: string, start: string) =>
      api(app, w.apiKey).post('/bookings', { service_id: w.ids.service, resource_id: w.ids.resource, start, customer: { name: customerName, email: 'lou@example.com', time_zone: 'UTC' }, notes });
    const before = await count('bookings');
    const bad = await booking('Lou\r\nBcc: victim@example.com', 'fine', '2026-03-19T15:00:00Z');
    expect(bad.status).toBe(422);
    expect(bad.body.errors).toEqual({ 'customer.name': SINGLE_LINE_MESSAGE });
    const nul = await booking('Lou', 'a\u0000b', '2026-03-19T15:00:00Z');
    expect(nul.body.errors).toEqual({ notes: MULTI_LINE_MESSAGE });
    expect(await count('bookings')).toBe(before);
    const ok = await booking('  Lou  ', 'Ring twice.\r\nThen wait.', '2026-03-19T15:00:00Z');
    expect(ok.status).toBe(201);
    expect(ok.body.customer).toEqual({ name: 'Lou', email: 'lou@example.com', phone: null, time_zone: 'UTC' });
    expect(ok.body.notes).toBe('Ring twice.\nThen wait.');
  });
});

describe('text fields in forms', () => {
  it('re-renders the service form with 422 and the reason beside the field, writing nothing', async () => {
    const owner = await signedInAs(app, w, 'owner');
    await owner.open('/admin/services/new');
    const before = await count('services');
    const res = await owner.post('/admin/services', {
      name: 'Trim\u0000', description: '', durationMin: '30', intervalMin: '30', bufferBeforeMin: '0', bufferAfterMin: '0', minNoticeMin: '0', horizonDays: '60', maxPerDay: '', price: '0', deposit: '0', currency: 'USD',
    });
    expect(res.status).toBe(422);
    expect(res.text).toContain('id="f-name-error"');
    expect(res.text).toContain(SINGLE_LINE_MESSAGE);
    expect(await count('services')).toBe(before);
  });

  it('refuses a customer name with a line break on the booking form, booking nothing', async () => {
    const visitor = new Client(app, w.host);
    await visitor.open(`/book/${w.ids.service}`);
    const before = await count('bookings');
    const res = await visitor.post(`/book/${w.ids.service}`, {
      start: '2026-03-12T15:00:00.000Z', tz: 'America/New_York', resource: w.ids.resource, name: 'Kim\r\nBcc: victim@example.com', email: 'kim@example.com', phone: '', notes: '',
    });
    expect(res.status).toBe(422);
    expect(res.text).toContain(SINGLE_LINE_MESSAGE);
    expect(await count('bookings')).toBe(before);
  });

  it('refuses a cancellation reason with a line break on the manage link, cancelling nothing', async () => {
    const customer = new Client(app, w.host);
    await customer.open(`/manage/${w.manageToken}`);
    const res = await customer.post(`/manage/${w.manageToken}/cancel`, { reason: 'Away\r\nBcc: x@example.com' });
    expect(res.status).toBe(422);
    expect(res.text).toContain(SINGLE_LINE_MESSAGE);
    expect((await t.owner('bookings').where({ id: w.ids.booking }).first()).status).toBe('confirmed');
  });

  it('answers a NUL in a field no schema of this brief covers (the invitation name) with 422, not 500, writing nothing', async () => {
    const c = new Client(app, w.host);
    await c.open(`/invite/${w.inviteToken}`);
    const users = await count('users');
    const res = await c.post(`/invite/${w.inviteToken}`, { name: 'Ivy\u0000', password: PASSWORD });
    expect(res.status).toBe(422);
    expect(await count('users')).toBe(users);
  });
});

describe('messages of text stored before these checks', () => {
  it('keep the subject on one line and the .ics to its properties', async () => {
    // As an older row, or one written by something other than these forms, could be.
    await t.owner('bookings').where({ id: w.ids.booking }).update({ customer_name: 'Kim\r\nBcc: victim@example.com\r\nX-Evil: 1' });
    await runJobs(t, deps);
    const staff = sendgrid.received.find((m) => m.body.subject.startsWith('New booking') && m.body.subject.includes('Kim'));
    expect(staff?.body.subject).toMatch(/^New booking: Haircut — Kim Bcc: victim@example\.com X-Evil: 1, /);
    const customer = sendgrid.received.find((m) => m.body.subject.startsWith('Confirmed') && m.body.personalizations[0]!.to[0]!.email === 'customer@text.example')!;
    const ics = Buffer.from(customer.body.attachments![0]!.content, 'base64').toString('utf8');
    const vevent = new ICAL.Component(ICAL.parse(ics)).getFirstSubcomponent('vevent')!;
    expect(vevent.getAllProperties('attendee')).toHaveLength(1);
    expect(vevent.getFirstProperty('attendee')!.getParameter('cn')).toBe('Kim Bcc: victim@example.com X-Evil: 1');
    expect(ics.replace(/\r\n/g, '')).not.toMatch(/[\r\n]/);
  });
});

describe('one spelling: time_zone', () => {
  it('is what availability takes and answers, and the old spelling is refused by name', async () => {
    const c = api(app, w.apiKey);
    const ok = await c.get(`/availability?service_id=${w.ids.service}&from=2026-03-12&to=2026-03-12&time_zone=Europe/London`);
    expect(ok.status).toBe(200);
    expect(ok.body).toMatchObject({ object: 'availability', time_zone: 'Europe/London' });
    expect(ok.body).not.toHaveProperty('timezone');
    const old = await c.get(`/availability?service_id=${w.ids.service}&from=2026-03-12&to=2026-03-12&timezone=Europe/London`);
    expect(old.status).toBe(422);
    expect(old.body.errors).toMatchObject({ timezone: 'unknown field: it is spelled time_zone', time_zone: expect.any(String) });
    const booking = await c.post('/bookings', { service_id: w.ids.service, start: '2026-03-20T15:00:00Z', customer: { name: 'Al', email: 'al@example.com', timezone: 'UTC' } });
    expect(booking.body.errors).toMatchObject({ 'customer.timezone': 'unknown field: it is spelled time_zone' });
  });

  it('is the only spelling in the OpenAPI document', async () => {
    const doc = JSON.stringify((await request(app).get('/api/v1/openapi.json')).body);
    expect(doc).toContain('"time_zone"');
    expect(doc).not.toMatch(/"timezone"/);
  });
});

describe('what a URL carries', () => {
  it('shows the manage link’s picker for an impossible, repeated or far-off date, on its default day', async () => {
    const customer = new Client(app, w.host);
    for (const q of ['date=2026-13-45', 'date=2026-02-30', 'date=a&date=b', 'from=0001-01-01&date=9999-12-31', 'tz=Mars/Base&from=%00']) {
      const res = await customer.get(`/manage/${w.manageToken}/reschedule?${q}`);
      expect(res.status, q).toBe(200);
      expect(res.text, q).toContain('Choose a new time');
    }
  });

  it('reads a huge or reversed range as no filter, or as the API’s 422', async () => {
    const owner = await signedInAs(app, w, 'owner');
    expect((await owner.get('/admin/bookings?from=0001-01-01&to=9999-12-31')).status).toBe(200);
    expect((await owner.get('/admin/week?date=9999-12-31')).status).toBe(200);
    const c = api(app, w.apiKey);
    const far = await c.get(`/availability?service_id=${w.ids.service}&from=0001-01-01&to=0001-01-02&time_zone=UTC`);
    expect(far.status).toBe(422);
    expect(Object.keys(far.body.errors).sort()).toEqual(['from', 'to']);
    const wide = await c.get(`/availability?service_id=${w.ids.service}&from=2026-01-01&to=2199-12-31&time_zone=UTC`);
    expect(wide.body.errors.to).toContain('62 days');
    expect((await c.get('/bookings?from=a&from=b')).status).toBe(422);
  });

  it('answers a path that cannot name anything with 404 (400 when it does not even decode)', async () => {
    const owner = await signedInAs(app, w, 'owner');
    const apiRes = await api(app, w.apiKey).get('/resources/%E0%A4%A');
    expect(apiRes.status).toBe(400);
    expect(apiRes.type).toBe('application/problem+json');
    expect((await api(app, w.apiKey).get('/resources/not-a-uuid')).status).toBe(404);
    expect((await owner.get('/admin/outbox/------------------------------------/html')).status).toBe(404);
    expect((await owner.post(`/admin/resources/${w.ids.resource}/overrides/2026-13-45/delete`, {})).status).toBe(404);
    expect((await owner.get('/admin/bookings/%00')).status).toBe(404);
  });
});
