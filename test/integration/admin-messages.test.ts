import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApp } from '../../src/http/app.ts';
import { createBooking } from '../../src/bookings/service.ts';
import type { AppDeps } from '../../src/deps.ts';
import { createTestDb, TestClock, testDeps, type TestDb } from '../support/db.ts';
import { Client, makeTenant, signedIn } from '../support/http.ts';
import { makeResource, makeService } from '../support/catalog.ts';
import { runJobs } from '../support/jobs.ts';

let t: TestDb;
let deps: AppDeps;
let app: ReturnType<typeof createApp>;
let tenantId: string;
const HOST = 'msgs.slotwise.test';
const clock = new TestClock(Date.parse('2026-03-02T12:00:00Z'));

beforeAll(async () => {
  t = await createTestDb();
  deps = testDeps(t, clock, { RATE_LIMIT_MULTIPLIER: '100' });
  app = createApp(deps);
  tenantId = (await makeTenant(deps, 'msgs')).tenant.id;
});
afterAll(() => t.drop());

describe('what customers are told about mail', () => {
  it('promises no confirmation email when no mail provider would send it', async () => {
    const r = await makeResource(deps, tenantId, 'Desk', 'UTC', [['00:00', '24:00']]);
    const serviceId = (await makeService(deps, tenantId, [r.id], { name: 'Chat', priceMinor: 0 })).id;
    const customer = new Client(app, HOST);
    const start = '2026-03-05T10:00:00.000Z';
    const details = await customer.open(`/book/${serviceId}/details?${new URLSearchParams({ resource: 'any', tz: 'UTC', start })}`);
    expect(details.text).not.toContain('We send your confirmation here.');
    const made = await customer.post(`/book/${serviceId}`, { start, tz: 'UTC', resource: 'any', name: 'Ada', email: 'ada@example.com', phone: '', notes: '' });
    expect(made.status).toBe(303);
    const page = await customer.get(made.headers.location!);
    expect(page.text).toContain("You're booked.");
    expect(page.text).not.toContain('on its way');
    expect(page.text).toContain('Keep the address of this page: it is your link to change or cancel.');
  });
});

describe('notification settings and the messages page', () => {
  it('validates and saves reminder hours, the notification address, the cutoff and the customer switches', async () => {
    const owner = await signedIn(app, HOST, 'owner@msgs.example');
    const bad = await owner.post('/admin/settings/notifications', { reminderHours: '24, banana', notificationEmail: 'nope', cutoffHours: '-1' });
    expect(bad.status).toBe(422);
    expect(bad.text).toContain('List up to 5 numbers of hours');
    expect(bad.text).toContain('Enter an email address, or leave it empty.');
    expect(bad.text).toContain('Use 0 or more hours.');
    expect((await t.owner('tenants').where({ id: tenantId }).first()).reminder_offsets_minutes).toEqual([1440, 60]);

    const ok = await owner.post('/admin/settings/notifications', { reminderHours: '1, 48, 0.5', notificationEmail: 'Desk@Msgs.example', cutoffHours: '2', customersMayCancel: 'on' });
    expect(ok.status).toBe(303);
    expect(await t.owner('tenants').where({ id: tenantId }).first()).toMatchObject({
      reminder_offsets_minutes: [2880, 60, 30],
      notification_email: 'desk@msgs.example',
      customer_change_cutoff_minutes: 120,
      customers_may_cancel: true,
      customers_may_reschedule: false,
    });
    const page = await owner.get('/admin/settings');
    expect(page.text).toContain('value="48, 1, 0.5"');
  });

  it('lists delivery status and shows a kept message as the email, sandboxed', async () => {
    const r = await makeResource(deps, tenantId, 'Room', 'UTC', [['00:00', '24:00']]);
    const serviceId = (await makeService(deps, tenantId, [r.id])).id;
    await createBooking(deps, tenantId, { source: 'public', userId: null }, {
      serviceId, resourceId: null, start: Date.parse('2026-03-04T10:00:00Z'), customer: { name: 'Vi', email: 'vi@example.com', phone: null, timeZone: 'UTC' }, notes: null,
    });
    await runJobs(t, deps);
    const owner = await signedIn(app, HOST, 'owner@msgs.example');
    const page = await owner.get('/admin/outbox');
    expect(page.text).toContain('booking confirmation</strong> to vi@example.com');
    expect(page.text).toMatch(/badge--sent/);
    // No mail provider here: the message was kept, and the status says so rather than "sent".
    expect(page.text).toContain('<span class="badge badge--sent badge--kept">kept in the outbox (not sent)</span>');
    expect(page.text).not.toMatch(/<span class="badge[^"]*">sent<\/span>/);
    const [b] = await t.owner('bookings').where({ customer_email: 'vi@example.com' });
    const detail = await owner.get(`/admin/bookings/${b.id}`);
    expect(detail.text).toContain('kept in the outbox (not sent)');
    const { id } = await t.owner('outbox_messages').where({ kind: 'booking_confirmation', to_address: 'vi@example.com' }).first('id');
    expect(page.text).toContain(`href="/admin/outbox/${id}/html"`);
    const html = await owner.get(`/admin/outbox/${id}/html`);
    expect(html.status).toBe(200);
    expect(html.headers['content-security-policy']).toMatch(/^sandbox;/);
    expect(html.text).toContain('Your booking is confirmed');
  });
});
