import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApp } from '../../src/http/app.ts';
import { createBooking } from '../../src/bookings/service.ts';
import { describePolicy } from '../../src/tenancy/policy.ts';
import type { AppDeps } from '../../src/deps.ts';
import { createTestDb, TestClock, testDeps, type TestDb } from '../support/db.ts';
import { Client, makeTenant, signedIn } from '../support/http.ts';
import { makeResource, makeService } from '../support/catalog.ts';

let t: TestDb;
let deps: AppDeps;
let app: ReturnType<typeof createApp>;
let tenantId: string;
const HOST = 'policy.slotwise.test';
const clock = new TestClock(Date.parse('2026-06-01T12:00:00Z'));

beforeAll(async () => {
  t = await createTestDb();
  deps = testDeps(t, clock, { RATE_LIMIT_MULTIPLIER: '100' });
  app = createApp(deps);
  tenantId = (await makeTenant(deps, 'policy')).tenant.id;
});
afterAll(() => t.drop());

describe('the cancellation policy', () => {
  it('reads as sentences, strongest tier first', () => {
    expect(describePolicy({ tiers: [{ hoursBefore: 24, refundPercent: 100 }, { hoursBefore: 0, refundPercent: 50 }], sameDayRefundPercent: 0 })).toEqual([
      'Cancel 1 day or more before the start: a full refund.',
      'Later: a 50 % refund.',
      'On the day of the booking: no refund.',
    ]);
    expect(describePolicy({ tiers: [{ hoursBefore: 48, refundPercent: 100 }], sameDayRefundPercent: null })).toEqual([
      'Cancel 2 days or more before the start: a full refund; later, no refund.',
    ]);
  });

  it('is edited in the settings (422 on bad tiers, nothing saved) and shown to customers with the intro text', async () => {
    const owner = await signedIn(app, HOST, 'owner@policy.example');
    const bad = await owner.post('/admin/settings/booking-page', { currency: 'EURO', bookingIntro: 'Hi', tier0Hours: '24', tier0Percent: '150' });
    expect(bad.status).toBe(422);
    expect(bad.text).toContain('A whole percent from 0 to 100.');
    expect(bad.text).toContain('Use a 3-letter code like USD.');
    expect((await t.owner('tenants').where({ id: tenantId }).first()).currency).toBe('USD');
    const ok = await owner.post('/admin/settings/booking-page', {
      currency: 'eur', bookingIntro: 'Book a table by the sea.', tier0Hours: '0', tier0Percent: '50', tier1Hours: '24', tier1Percent: '100', sameDayPercent: '0',
    });
    expect(ok.status).toBe(303);
    expect(await t.owner('tenants').where({ id: tenantId }).first()).toMatchObject({
      currency: 'EUR',
      booking_intro: 'Book a table by the sea.',
      cancellation_policy: { tiers: [{ hoursBefore: 24, refundPercent: 100 }, { hoursBefore: 0, refundPercent: 50 }], sameDayRefundPercent: 0 },
    });
    expect(await t.owner('audit_log').where({ action: 'settings.booking_page' })).toHaveLength(1);

    const r = await makeResource(deps, tenantId, 'Table 1', 'Europe/Lisbon', [['00:00', '24:00']]);
    await makeService(deps, tenantId, [r.id], { name: 'Dinner' });
    const customer = new Client(app, HOST);
    expect((await customer.get('/')).text).toContain('Book a table by the sea.');
    const service = await t.owner('services').where({ tenant_id: tenantId }).first();
    const { manageToken } = await createBooking(deps, tenantId, { source: 'public', userId: null }, {
      serviceId: service.id, resourceId: null, start: Date.parse('2026-06-03T19:00:00Z'), customer: { name: 'P', email: 'p@example.com', phone: null, timeZone: 'Europe/Lisbon' }, notes: null,
    });
    const manage = await customer.get(`/manage/${manageToken}`);
    expect(manage.text).toContain('Cancellation policy');
    expect(manage.text).toContain('Cancel 1 day or more before the start: a full refund.');
    expect(manage.text).toContain('On the day of the booking: no refund.');
  });
});
