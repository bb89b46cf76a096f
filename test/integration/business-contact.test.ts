import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApp } from '../../src/http/app.ts';
import { createBooking } from '../../src/bookings/service.ts';
import type { AppDeps } from '../../src/deps.ts';
import { createTestDb, TestClock, testDeps, type TestDb } from '../support/db.ts';
import { Client, makeTenant, signedIn } from '../support/http.ts';
import { makeResource, makeService } from '../support/catalog.ts';
import { runJobs } from '../support/jobs.ts';

/**
 * Issue 19: a customer who can no longer change a booking online was told to
 * "contact the business directly", and no page said how. The business's
 * contact details (each optional) are shown where a customer looks: the
 * public footer, the confirmation and manage pages, customer mail and the
 * refusal itself; the change rules are shown before the customer confirms.
 */
let t: TestDb;
let deps: AppDeps;
let app: ReturnType<typeof createApp>;
let tenantId: string;
let serviceId: string;
const HOST = 'reach.slotwise.test';
// Monday 2026-03-02 12:00 UTC.
const clock = new TestClock(Date.parse('2026-03-02T12:00:00Z'));
const CONTACT = { contactPhone: '+1 212 555 0100', contactEmail: 'Desk@Reach.example', contactAddress: '12 Hudson St\r\nNew York, NY 10013' };

beforeAll(async () => {
  t = await createTestDb();
  deps = testDeps(t, clock, { RATE_LIMIT_MULTIPLIER: '100' });
  app = createApp(deps);
  tenantId = (await makeTenant(deps, 'reach', { timeZone: 'America/New_York' })).tenant.id;
  const r = await makeResource(deps, tenantId, 'Robin', 'America/New_York', [['09:00', '17:00']]);
  serviceId = (await makeService(deps, tenantId, [r.id], { name: 'Fitting', durationMin: 60, intervalMin: 60, priceMinor: 0 })).id;
});
afterAll(() => t.drop());

const book = async (start: string) =>
  createBooking(deps, tenantId, { source: 'public', userId: null }, {
    serviceId, resourceId: null, start: Date.parse(start), customer: { name: 'Kim', email: 'kim@example.com', phone: null, timeZone: 'America/New_York' }, notes: null,
  });

describe("the business's contact details", () => {
  it('are refused field by field with 422 and saved by managers only, with an audit row', async () => {
    const owner = await signedIn(app, HOST, 'owner@reach.example');
    expect((await owner.open('/admin/settings')).text).toContain('Contact details for customers');
    const bad = await owner.post('/admin/settings/contact', { contactPhone: 'call me maybe', contactEmail: 'not-an-address', contactAddress: 'x\u0000y' });
    expect(bad.status).toBe(422);
    expect(bad.text).toContain('Enter a phone number like +1 212 555 0100, or leave it empty.');
    expect(bad.text).toContain('Enter an email address like hello@example.com, or leave it empty.');
    expect(bad.text).toContain('value="call me maybe"');
    expect(await t.owner('tenants').where({ id: tenantId }).first()).toMatchObject({ contact_phone: null, contact_email: null, contact_address: null });

    const ok = await owner.post('/admin/settings/contact', CONTACT);
    expect(ok.status).toBe(303);
    expect(await t.owner('tenants').where({ id: tenantId }).first()).toMatchObject({
      contact_phone: '+1 212 555 0100', contact_email: 'desk@reach.example', contact_address: '12 Hudson St\nNew York, NY 10013',
    });
    expect(await t.owner('audit_log').where({ action: 'settings.contact' })).toHaveLength(1);
  });

  it('appear in the public footer, before confirming, on the confirmation page and in the confirmation email', async () => {
    const customer = new Client(app, HOST);
    const home = await customer.get('/');
    const footer = home.text.slice(home.text.indexOf('<footer'));
    expect(footer).toContain('<a href="tel:+12125550100">+1 212 555 0100</a>');
    expect(footer).toContain('<a href="mailto:desk@reach.example">desk@reach.example</a>');
    expect(footer).toContain('12 Hudson St\nNew York, NY 10013');

    // The details page says what may be changed and until when, above the confirm button.
    const start = '2026-03-05T15:00:00.000Z';
    const details = await customer.get(`/book/${serviceId}/details?${new URLSearchParams({ resource: 'any', tz: 'America/New_York', start })}`);
    expect(details.status).toBe(200);
    const rules = details.text.indexOf('Changes and cancellations');
    expect(rules).toBeGreaterThan(0);
    expect(rules).toBeLessThan(details.text.indexOf('Confirm booking'));
    expect(details.text).toContain('You can change the time of or cancel this booking online up to 12 h before the start');
    expect(details.text).toContain('call +1 212 555 0100 or write to desk@reach.example');

    await customer.open(`/book/${serviceId}/details?${new URLSearchParams({ resource: 'any', tz: 'America/New_York', start })}`);
    const made = await customer.post(`/book/${serviceId}`, { start, tz: 'America/New_York', resource: 'any', name: 'Lou', email: 'lou@example.com', phone: '', notes: '' });
    expect(made.status).toBe(303);
    const confirmation = await customer.get(made.headers.location!);
    const main = confirmation.text.slice(confirmation.text.indexOf('<main'), confirmation.text.indexOf('</main>'));
    expect(main).toContain('Contact reach business');
    expect(main).toContain('+1 212 555 0100');
    expect(main).toContain('desk@reach.example');

    await runJobs(t, deps);
    const mail = await t.owner('outbox_messages').where({ to_address: 'lou@example.com', kind: 'booking_confirmation' }).first();
    expect(mail.text_body.split('\n')).toEqual(expect.arrayContaining(['To reach reach business:', 'Phone: +1 212 555 0100', 'Email: desk@reach.example', 'Address: 12 Hudson St, New York, NY 10013']));
    expect(mail.html_body).toContain('Phone: +1 212 555 0100');
  });

  it('say how to reach the business when a change is refused inside the cutoff', async () => {
    const { manageToken } = await book('2026-03-02T19:00:00Z'); // in 7 h; the cutoff is 12 h
    const c = new Client(app, HOST);
    const page = await c.open(`/manage/${manageToken}`);
    expect(page.text).toContain('Bookings can be cancelled online up to 12 h before the start. Please call +1 212 555 0100 or write to desk@reach.example to reach reach business.');
    const refused = await c.post(`/manage/${manageToken}/cancel`, { confirm: 'yes' });
    expect(refused.status).toBe(409);
    expect(refused.text).toContain('Please call +1 212 555 0100');
  });
});

describe('the icon', () => {
  it('is linked from every layout and served, and /favicon.ico leads to it', async () => {
    const customer = new Client(app, HOST);
    const owner = await signedIn(app, HOST, 'owner@reach.example');
    for (const page of [await customer.get('/'), await customer.get('/login'), await owner.get('/admin/day')]) {
      expect(page.text).toContain('<link rel="icon" href="/static/favicon.svg" type="image/svg+xml">');
    }
    const ico = await customer.get('/favicon.ico');
    expect(ico.status).toBe(301);
    expect(ico.headers.location).toBe('/static/favicon.svg');
    const svg = await customer.get('/static/favicon.svg').responseType('blob');
    expect(svg.status).toBe(200);
    expect(svg.headers['content-type']).toContain('image/svg+xml');
    expect(String(svg.body)).toContain('<svg');
  });
});

describe('small things an owner notices', () => {
  it('settings in headed groups, the owner named by email, a way back from the forgotten-password page', async () => {
    const owner = await signedIn(app, HOST, 'owner@reach.example');
    const settings = (await owner.get('/admin/settings')).text;
    for (const h of ['<h2 id="business">Business</h2>', '<h2 id="contact">', '<h2 id="notifications">Reminders</h2>', '<h2 id="booking-rules">Booking rules: what customers may change online</h2>',
      '<h2 id="booking-page">Booking page and currency</h2>', '<h2 id="cancellation-policy">Cancellation policy</h2>']) expect(settings).toContain(h);
    // One save per group: saving the reminders leaves the booking rules as they were, and the other way round.
    expect(await owner.post('/admin/settings/notifications', { group: 'reminders', reminderHours: '48', notificationEmail: '' })).toMatchObject({ status: 303 });
    expect(await t.owner('tenants').where({ id: tenantId }).first()).toMatchObject({ reminder_offsets_minutes: [2880], customer_change_cutoff_minutes: 720, customers_may_cancel: true });
    expect(await owner.post('/admin/settings/notifications', { group: 'rules', cutoffHours: '2' })).toMatchObject({ status: 303 }); // both boxes unticked
    expect(await t.owner('tenants').where({ id: tenantId }).first()).toMatchObject({
      reminder_offsets_minutes: [2880], customer_change_cutoff_minutes: 120, customers_may_cancel: false, customers_may_reschedule: false,
    });
    expect(await owner.post('/admin/settings/booking-page', { group: 'policy', tier0Hours: '24', tier0Percent: '50' })).toMatchObject({ status: 303 });
    expect(await owner.post('/admin/settings/booking-page', { group: 'page', currency: 'eur', bookingIntro: 'Hi.', customerDayCap: '' })).toMatchObject({ status: 303 });
    expect(await t.owner('tenants').where({ id: tenantId }).first()).toMatchObject({
      currency: 'EUR', booking_intro: 'Hi.', cancellation_policy: { tiers: [{ hoursBefore: 24, refundPercent: 50 }], sameDayRefundPercent: null },
    });
    const bad = await owner.post('/admin/settings/notifications', { group: 'rules', cutoffHours: 'soon' });
    expect(bad.status).toBe(422);
    expect(bad.text).toContain('Enter a number of hours.');
    // Sign-up named the owner after the business ("reach business"): the staff page shows the person's address instead.
    const staff = (await owner.get('/admin/staff')).text;
    expect(staff).toContain('<strong>owner@reach.example</strong>');
    expect(staff).not.toContain('<strong>reach business</strong>');
    const forgot = await new Client(app, HOST).get('/password/forgot');
    expect(forgot.text).toContain('<a href="/login">Back to sign in</a>');
  });
});
