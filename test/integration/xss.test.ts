import type { Express } from 'express';
import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApp } from '../../src/http/app.ts';
import { createBooking } from '../../src/bookings/service.ts';
import type { AppDeps } from '../../src/deps.ts';
import { createTestDb, TestClock, testDeps, type TestDb } from '../support/db.ts';
import { Client } from '../support/http.ts';
import { runJobs } from '../support/jobs.ts';
import { PASSWORD, seedWorld, WORLD_ENCRYPTION_KEY, signedInAs, WORLD_NOW, type World } from '../support/world.ts';

/**
 * Hostile strings in every field a user controls, then every page and
 * email that shows them: the HTML must carry them as text, never as markup.
 *
 * Each field gets its own marker F: `F<script>F()</script>"><img src=x onerror=F()>`.
 * A page that shows the field must contain the escaped form (so the check
 * is about a field that really is on the page) and must not contain either
 * piece of markup raw.
 */
const hostile = (f: string) => `${f}<script>${f}()</script>"><img src=x onerror=${f}()>`;
/** Its two pieces of markup as escaped text (apart: JSON shown on a page escapes the quote between them again). */
const escaped = (f: string) => [`&lt;script&gt;${f}()&lt;/script&gt;`, `&gt;&lt;img src=x onerror=${f}()&gt;`];

function expectInert(html: string, fields: string[], where: string): void {
  for (const f of fields) for (const piece of escaped(f)) expect(html, `${where} shows ${f}`).toContain(piece);
  for (const f of ALL_FIELDS) {
    expect(html, `${where}: raw <script> of ${f}`).not.toContain(`<script>${f}()`);
    expect(html, `${where}: raw <img> of ${f}`).not.toContain(`<img src=x onerror=${f}()`);
  }
  // Every script on the page is one of ours, loaded from this origin; no link or source runs code.
  for (const tag of html.match(/<script\b[^>]*>/gi) ?? []) expect(tag, `${where}: ${tag}`).toMatch(/^<script src="\/(vendor|static)\//);
  expect(html, `${where}: javascript: URL`).not.toMatch(/(?:href|src|action|formaction)\s*=\s*["']?\s*javascript:/i);
  // No event-handler attribute on any tag (attribute values, where escaped text lives, left out).
  for (const tag of html.match(/<[a-z][^>]*>/gi) ?? []) {
    expect(tag.replace(/"[^"]*"|'[^']*'/g, '""'), `${where}: handler in ${tag.slice(0, 80)}`).not.toMatch(/\son[a-z]+\s*=/i);
  }
}

const ALL_FIELDS = [
  'bizname', 'intro', 'resname', 'svcname', 'svcdesc', 'holname', 'blklabel', 'custname', 'custnotes', 'note', 'reason', 'member', 'keyname', 'hookdesc', 'hookurl', 'search', 'typed', 'contact',
];

let t: TestDb;
let deps: AppDeps;
let app: Express;
let w: World;
let owner: Client;
let todayBooking: string;
let cancelled: string;

beforeAll(async () => {
  t = await createTestDb();
  deps = testDeps(t, new TestClock(Date.parse(WORLD_NOW)), { RATE_LIMIT_MULTIPLIER: '1000', ENCRYPTION_KEY: WORLD_ENCRYPTION_KEY });
  app = createApp(deps);
  w = await seedWorld(deps, 'xss', {
    names: { resource: hostile('resname'), service: hostile('svcname'), holiday: hostile('holname'), block: hostile('blklabel'), customer: hostile('custname'), notes: `${hostile('custnotes')}\nsecond line` },
  });
  owner = await signedInAs(app, w, 'owner');
  // The rest through the app's own forms and API, as a user would type them.
  const ok = (res: { status: number }, what: string) => expect([200, 201, 303], what).toContain(res.status);
  ok(await owner.post('/admin/settings', { name: hostile('bizname'), logoUrl: '', accentColor: '#2563eb', timeZone: 'America/New_York' }), 'branding');
  ok(await owner.post('/admin/settings/booking-page', { currency: 'USD', bookingIntro: hostile('intro') }), 'intro');
  ok(await owner.post('/admin/settings/contact', { contactPhone: '', contactEmail: '', contactAddress: hostile('contact') }), 'contact address');
  ok(await request(app).patch(`/api/v1/services/${w.ids.service}`).set('Authorization', `Bearer ${w.apiKey}`).send({ description: hostile('svcdesc') }), 'description');
  ok(await owner.post('/admin/developers/keys', { name: hostile('keyname') }), 'key name');
  ok(await request(app).post('/api/v1/webhook_endpoints').set('Authorization', `Bearer ${w.apiKey}`)
    .send({ url: `https://hooks.example.com/in?x=${encodeURIComponent('"><img src=x onerror=hookurl()>')}&y=hookurl<script>hookurl()</script>"><img src=x onerror=hookurl()>`, events: ['booking.created'], description: hostile('hookdesc') }), 'webhook');
  ok(await owner.post(`/admin/bookings/${w.ids.booking}/notes`, { body: hostile('note') }), 'note');
  // A member who chose a hostile name when accepting an invitation.
  const invited = new Client(app, w.host);
  await invited.open(`/invite/${w.inviteToken}`);
  ok(await invited.post(`/invite/${w.inviteToken}`, { name: hostile('member'), password: PASSWORD }), 'member name');
  // Today's booking (the dashboard), and one cancelled with a hostile reason.
  todayBooking = (await createBooking(deps, w.tenantId, { source: 'public', userId: null }, {
    serviceId: w.ids.service, resourceId: w.ids.resource, start: Date.parse('2026-03-02T19:00:00Z'),
    customer: { name: hostile('custname'), email: 'today@example.com', phone: null, timeZone: 'America/New_York' }, notes: null,
  })).booking.id;
  cancelled = (await createBooking(deps, w.tenantId, { source: 'public', userId: null }, {
    serviceId: w.ids.service, resourceId: w.ids.resource, start: Date.parse('2026-03-11T14:00:00Z'),
    customer: { name: hostile('custname'), email: 'gone@example.com', phone: null, timeZone: 'America/New_York' }, notes: null,
  })).booking.id;
  await owner.open(`/admin/bookings/${cancelled}`);
  ok(await owner.post(`/admin/bookings/${cancelled}/cancel`, { reason: hostile('reason'), confirm: 'yes' }), 'cancel reason');
  await runJobs(t, deps);
}, 120_000);
afterAll(() => t.drop());

describe('hostile text is shown as text', () => {
  it('on the public booking pages', async () => {
    const visitor = new Client(app, w.host);
    expectInert((await visitor.get('/')).text, ['bizname', 'intro', 'svcname', 'svcdesc', 'contact'], 'home');
    const pick = await visitor.get(`/book/${w.ids.service}?date=2026-03-12&tz=America/New_York&resource=${w.ids.resource}`);
    expectInert(pick.text, ['bizname', 'svcname', 'resname'], 'times');
    const details = await visitor.get(`/book/${w.ids.service}/details?start=${encodeURIComponent('2026-03-12T15:00:00.000Z')}&tz=America/New_York&resource=${w.ids.resource}`);
    expect(details.status).toBe(200);
    expectInert(details.text, ['svcname', 'resname'], 'details');
    // What the customer typed, echoed back into the form after a mistake elsewhere.
    await visitor.open(`/book/${w.ids.service}`);
    const retyped = await visitor.post(`/book/${w.ids.service}`, {
      start: '2026-03-12T15:00:00.000Z', tz: 'America/New_York', resource: w.ids.resource, name: hostile('typed'), email: 'not-an-email', phone: '', notes: hostile('typed'),
    });
    expect(retyped.status).toBe(422);
    expectInert(retyped.text, ['typed'], 'details, re-rendered');
  });

  it('on the customer’s manage pages', async () => {
    const customer = new Client(app, w.host);
    expectInert((await customer.get(`/manage/${w.manageToken}`)).text, ['bizname', 'svcname', 'resname', 'contact'], 'manage');
    // The cancellation's question page echoes the reason typed (nothing is cancelled by it).
    await customer.open(`/manage/${w.manageToken}`);
    const asked = await customer.post(`/manage/${w.manageToken}/cancel`, { reason: hostile('reason') });
    expect(asked.status).toBe(200);
    expectInert(asked.text, ['reason', 'svcname', 'resname'], 'manage: cancel?');
    expectInert((await customer.get(`/manage/${w.manageToken}/reschedule?date=2026-03-12`)).text, ['svcname'], 'manage: new time');
    const confirm = await customer.get(`/manage/${w.manageToken}/reschedule/confirm?start=${encodeURIComponent('2026-03-12T15:00:00Z')}&tz=Europe/London`);
    expectInert(confirm.text, ['svcname'], 'manage: confirm');
  });

  it('on every dashboard page that shows them', async () => {
    const pages: [string, string[]][] = [
      ['/admin', ['bizname', 'custname', 'svcname', 'resname']],
      ['/admin/day?date=2026-03-10', ['custname', 'svcname', 'resname']],
      ['/admin/week?date=2026-03-10', ['custname', 'svcname']],
      ['/admin/bookings?from=2026-03-01&to=2026-03-31', ['custname', 'svcname', 'resname']],
      [`/admin/bookings?from=2026-03-01&q=${encodeURIComponent(hostile('search'))}`, ['search']],
      [`/admin/bookings/${w.ids.booking}`, ['custname', 'custnotes', 'svcname', 'resname', 'note']],
      [`/admin/bookings/${cancelled}`, ['custname', 'reason']],
      [`/admin/bookings/${w.ids.booking}/reschedule`, ['custname', 'svcname']],
      ['/admin/bookings/new', ['svcname', 'resname']],
      ['/admin/blocks', ['blklabel', 'resname']],
      ['/admin/resources', ['resname']],
      [`/admin/resources/${w.ids.resource}`, ['resname']],
      ['/admin/services', ['svcname']],
      [`/admin/services/${w.ids.service}`, ['svcname', 'svcdesc', 'resname']],
      ['/admin/holidays', ['holname']],
      ['/admin/staff', ['member', 'resname']],
      ['/admin/developers', ['keyname', 'hookurl']], // descriptions are not shown
      ['/admin/outbox', ['svcname']],
      ['/admin/audit', ['bizname', 'note']],
      ['/admin/settings', ['bizname', 'intro', 'contact']],
    ];
    for (const [path, fields] of pages) {
      const res = await owner.get(path);
      expect(res.status, path).toBe(200);
      expectInert(res.text, fields, path);
    }
    // A form re-rendered with what was typed.
    const bad = await owner.post('/admin/resources', { name: hostile('typed'), kind: 'staff', timeZone: 'Nowhere/Land' });
    expect(bad.status).toBe(422);
    expectInert(bad.text, ['typed'], 'resource form, re-rendered');
  });

  it('in every email, with one-line subjects', async () => {
    const mails = await t.owner('outbox_messages').where({ tenant_id: w.tenantId }).whereNotNull('notification_id');
    const kinds = new Set(mails.map((m) => m.kind as string));
    for (const kind of ['booking_confirmation', 'booking_cancelled', 'staff_booking_created', 'staff_booking_cancelled']) expect([...kinds]).toContain(kind);
    for (const m of mails) {
      const where = `${m.kind} to ${m.to_address}`;
      // What each message names: a booking's, its service and resource (and the customer, for staff); any other, the business.
      const named = m.kind.startsWith('staff_') ? ['bizname', 'svcname', 'resname', 'custname'] : m.kind.startsWith('booking_') ? ['bizname', 'svcname', 'resname', 'contact'] : ['bizname'];
      expectInert(m.html_body as string, named, where);
      expect(m.subject, where).not.toMatch(/[\r\n\u0000-\u001f]/);
    }
    const cancelNotice = mails.find((m) => m.kind === 'booking_cancelled' && m.to_address === 'gone@example.com');
    expectInert(cancelNotice!.html_body as string, ['reason'], 'cancellation email');
    // The stored HTML as the outbox serves it: alone, under a CSP that runs nothing.
    const served = await owner.get(`/admin/outbox/${cancelNotice!.id}/html`);
    expect(served.headers['content-security-policy']).toContain('sandbox');
    expectInert(served.text, ['reason'], 'outbox html');
  });

  it('refuses javascript: and other non-http addresses where an address is stored', async () => {
    for (const logoUrl of ['javascript:alert(1)', 'JaVaScRiPt:alert(1)', ' javascript:alert(1)', 'data:text/html,<script>x()</script>', 'https://x.example/"onerror="x()']) {
      const res = await owner.post('/admin/settings', { name: 'Shop', logoUrl, accentColor: '#2563eb', timeZone: 'America/New_York' });
      expect(res.status, logoUrl).toBe(422);
    }
    for (const url of ['javascript:alert(1)', 'data:text/html,x', 'ftp://x.example/']) {
      const api = await request(app).post('/api/v1/webhook_endpoints').set('Authorization', `Bearer ${w.apiKey}`).send({ url, events: ['booking.created'] });
      expect(api.status, url).toBe(422);
      expect(api.body.errors).toHaveProperty('url');
      const form = await owner.post('/admin/developers/webhooks', { url, events: 'booking.created' });
      expect(form.status, url).toBe(422);
    }
    expect(await t.owner('tenants').where({ id: w.tenantId }).first('logo_url')).toEqual({ logo_url: null });
  });

  it('keeps the dashboard booking of today in view (the dashboard check above needs one)', async () => {
    expect((await owner.get('/admin')).text).toContain(`/admin/bookings/${todayBooking}`);
  });
});
