import { describe, expect, it } from 'vitest';
import { changeRules } from '../../src/bookings/policy.ts';
import type { Tenant } from '../../src/tenancy/queries.ts';

/** The change and cancellation rules a customer reads on the details page, before confirming. */
const tenant = (over: Partial<Tenant> = {}): Tenant => ({
  id: 't', slug: 's', name: 'Demo Studio', timeZone: 'America/New_York', logoUrl: null, accentColor: '#2563eb', reminderOffsets: [], notificationEmail: null,
  changeCutoffMinutes: 720, customersMayCancel: true, customersMayReschedule: true, currency: 'USD', bookingIntro: '',
  cancellationPolicy: { tiers: [{ hoursBefore: 48, refundPercent: 100 }], sameDayRefundPercent: null }, maxOnlineBookingsPerCustomerDay: 5,
  stripeAccountId: null, stripeChargesEnabled: false, stripeDetailsSubmitted: false, holdMinutes: 30, waitlistHoldMinutes: 15,
  contact: { phone: '+1 212 555 0100', email: null, address: null },
  ...over,
});

describe('the rules shown before confirming', () => {
  it.each([
    { name: 'both online, with a cutoff', t: tenant(), paid: false, want: ['You can change the time of or cancel this booking online up to 12 h before the start, with the link in your confirmation. After that, or for anything else: please call +1 212 555 0100 to reach Demo Studio.'] },
    { name: 'until the start', t: tenant({ changeCutoffMinutes: 0 }), paid: false, want: ['You can change the time of or cancel this booking online until it starts, with the link in your confirmation.'] },
    { name: 'cancel only', t: tenant({ customersMayReschedule: false, changeCutoffMinutes: 0 }), paid: false, want: ['You can cancel this booking online until it starts, with the link in your confirmation. After that, or for anything else: please call +1 212 555 0100 to reach Demo Studio.'] },
    { name: 'nothing online, no contact given', t: tenant({ customersMayCancel: false, customersMayReschedule: false, contact: { phone: null, email: null, address: null } }), paid: false, want: ['Demo Studio does not take changes or cancellations online. Please contact Demo Studio directly.'] },
    { name: 'paid online: the refund tiers too', t: tenant(), paid: true, want: [expect.stringContaining('up to 12 h'), 'Cancel 2 days or more before the start: a full refund; later, no refund.'] },
    { name: 'paid online without a policy', t: tenant({ cancellationPolicy: { tiers: [], sameDayRefundPercent: null } }), paid: true, want: [expect.stringContaining('up to 12 h'), 'Cancelling does not refund what was paid online.'] },
  ])('$name', ({ t, paid, want }) => expect(changeRules(t, paid)).toEqual(want));
});
