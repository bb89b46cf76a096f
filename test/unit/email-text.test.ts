import { describe, expect, it } from 'vitest';
import type { BookingView } from '../../src/bookings/model.ts';
import type { NotificationKind } from '../../src/notifications/queries.ts';
import {
  renderApiKeyCreated, renderBookingMessage, renderEmailVerification, renderPasswordReset, renderStaffInvite, type BookingKind, type Rendered,
} from '../../src/notifications/render.ts';
import { renderWebhookNotice } from '../../src/webhooks/notices.ts';
import { renderCalendarBroken } from '../../src/calendars/health.ts';
import { renderSeriesMessage, type SeriesKind } from '../../src/notifications/series-render.ts';
import { renderWaitlistJoined, renderWaitlistOffer } from '../../src/waitlist/mail.ts';
import type { Tenant } from '../../src/tenancy/queries.ts';

/**
 * The plain-text part of every kind of message reads well on its own: each
 * fact on its own line, paragraphs apart, no markup. Eta trims the newline
 * after `%>` by default, which once made a confirmation read "Consultation
 * with Alex RiveraFriday, December 4, 2026, 9:00 AM ESTTimes in …". The
 * table is keyed by NotificationKind, so a new kind without a row here does
 * not compile.
 */
const tenant = {
  id: 't1', slug: 'demo', name: 'Demo Studio', timeZone: 'America/New_York', logoUrl: null, accentColor: '#2563eb',
  reminderOffsets: [1440], notificationEmail: null, changeCutoffMinutes: 720, customersMayCancel: true, customersMayReschedule: true,
  currency: 'USD', bookingIntro: '', cancellationPolicy: { tiers: [], sameDayRefundPercent: null }, maxOnlineBookingsPerCustomerDay: 5,
  stripeAccountId: null, stripeChargesEnabled: false, stripeDetailsSubmitted: false, holdMinutes: 30, waitlistHoldMinutes: 15,
  contact: { phone: '+1 212 555 0100', email: 'hello@demo.example', address: '12 Hudson St\nNew York, NY 10013' },
} satisfies Tenant;

const view = (over: { payment?: BookingView['payment']; status?: 'confirmed' | 'cancelled' } = {}): BookingView => ({
  booking: {
    id: 'b1', tenantId: 't1', serviceId: 's1', resourceId: 'r1', start: new Date('2026-12-04T14:00:00Z'), end: new Date('2026-12-04T14:30:00Z'),
    status: over.status ?? 'confirmed', customer: { name: 'Pat Kim', email: 'pat@example.com', phone: '+1 555 0100', timeZone: 'America/New_York' },
    notes: 'Second floor, please.', source: 'public', sequence: 0, createdAt: new Date('2026-12-01T12:00:00Z'), manageNonce: 'n', holdExpiresAt: null, cancelReason: null, seriesId: null,
  },
  service: { name: 'Consultation', durationMin: 30, priceMinor: 4000, currency: 'USD' } as BookingView['service'],
  resource: { name: 'Alex Rivera', timeZone: 'America/New_York' } as BookingView['resource'],
  payment: over.payment ?? null,
});
const paid: BookingView['payment'] = {
  bookingId: 'b1', mode: 'full', currency: 'USD', priceMinor: 4000, amountDue: 4000, amountPaid: 4000, amountRefunded: 4000, status: 'refunded',
  stripeAccountId: 'acct_1', checkoutSessionId: null, checkoutUrl: null, paymentIntentId: null, paidAt: new Date('2026-12-01T12:00:00Z'),
};

const booking = (kind: BookingKind, v = view(), more: { cancelReason?: string; offsetMinutes?: number; refundAmount?: number } = {}) =>
  renderBookingMessage({ kind, tenant, view: v, manageUrl: 'https://demo.slotwise.test/manage/tok', mailFrom: 'Slotwise <no-reply@slotwise.test>', now: new Date('2026-12-01T12:00:00Z'), ...more });
/** A weekly series of two, the first as `view()` has it. */
const series = (kind: SeriesKind, cancelReason?: string) => {
  const first = view().booking;
  const second = { ...first, id: 'b2', start: new Date('2026-12-11T14:00:00Z'), end: new Date('2026-12-11T14:30:00Z') };
  return renderSeriesMessage({
    kind, tenant, service: view().service, resource: view().resource, customer: first.customer, occurrences: [first, second], interval: 1,
    ...(kind.startsWith('staff_') ? {} : { manageUrl: 'https://demo.slotwise.test/manage/tok' }), cancelReason: cancelReason ?? null,
    mailFrom: 'Slotwise <no-reply@slotwise.test>', now: new Date('2026-12-01T12:00:00Z'),
  });
};
const config = { scheme: 'https' as const, baseDomain: 'slotwise.test' };

/** Each kind: its text part, and lines that must each stand alone in it. */
const CASES: Record<NotificationKind, { text: () => Rendered; lines: string[] }> = {
  booking_confirmation: {
    text: () => booking('booking_confirmation'),
    lines: ['Your booking is confirmed', 'Hello Pat Kim,', 'Consultation with Alex Rivera', 'Friday, December 4, 2026, 9:00 AM EST', 'Times in America/New_York · 30 min',
      'To pay at the venue: $40.00', 'https://demo.slotwise.test/manage/tok', 'To reach Demo Studio:', 'Phone: +1 212 555 0100', 'Email: hello@demo.example',
      'Address: 12 Hudson St, New York, NY 10013', '— Demo Studio'],
  },
  booking_reminder: {
    text: () => booking('booking_reminder', view(), { offsetMinutes: 1440 }),
    lines: ['See you soon', 'Your booking is in 24 hours.', 'Consultation with Alex Rivera', 'Friday, December 4, 2026, 9:00 AM EST'],
  },
  booking_cancelled: {
    text: () => booking('booking_cancelled', view({ status: 'cancelled' }), { cancelReason: 'Plans changed' }),
    lines: ['Your booking is cancelled', 'CANCELLED: Consultation with Alex Rivera', 'Friday, December 4, 2026, 9:00 AM EST', 'Reason: Plans changed', 'Phone: +1 212 555 0100'],
  },
  booking_rescheduled: {
    text: () => booking('booking_rescheduled'),
    lines: ['Your booking has moved', 'Friday, December 4, 2026, 9:00 AM EST', 'Change or cancel with your private link:'],
  },
  payment_refunded: {
    text: () => booking('payment_refunded', view({ payment: paid, status: 'cancelled' }), { refundAmount: 4000 }),
    lines: ['Your refund is on its way', 'Paid online: $40.00', 'Refunded: $40.00', 'We have refunded $40.00 to your card. It can take 5–10 days to appear.'],
  },
  late_payment_refunded: {
    text: () => booking('late_payment_refunded', view({ payment: paid, status: 'cancelled' }), { refundAmount: 4000 }),
    lines: ['Your payment came too late: refunded in full', 'CANCELLED: Consultation with Alex Rivera', 'Refunded: $40.00'],
  },
  staff_booking_created: {
    text: () => booking('staff_booking_created'),
    lines: ['New booking', 'Consultation with Alex Rivera', 'Friday, December 4, 2026, 9:00 AM EST', 'Customer: Pat Kim <pat@example.com>, +1 555 0100',
      "Customer's time zone: America/New_York", 'Notes: Second floor, please.'],
  },
  staff_booking_cancelled: {
    text: () => booking('staff_booking_cancelled', view({ status: 'cancelled' }), { cancelReason: 'Customer: sick' }),
    lines: ['Booking cancelled', 'Friday, December 4, 2026, 9:00 AM EST', 'Reason: Customer: sick'],
  },
  staff_booking_rescheduled: {
    text: () => booking('staff_booking_rescheduled'),
    lines: ['Booking moved', 'Times in America/New_York · 30 min'],
  },
  password_reset: {
    text: () => renderPasswordReset(tenant, 'Pat', 'https://demo.slotwise.test/reset/x'),
    lines: ['Hello Pat,', 'https://demo.slotwise.test/reset/x', 'Open this link within 60 minutes to choose a new one. It works once.'],
  },
  staff_invite: {
    text: () => renderStaffInvite(tenant, 'Ola', 'staff', 'https://demo.slotwise.test/invite/x'),
    lines: ['Accept within 7 days with this link (it works once):', 'https://demo.slotwise.test/invite/x', 'If you did not expect this, ignore this message.'],
  },
  email_verification: {
    text: () => renderEmailVerification(tenant, 'Pat', 'https://demo.slotwise.test/verify/x'),
    lines: ['Hello Pat,', 'https://demo.slotwise.test/verify/x'],
  },
  api_key_created: {
    text: () => renderApiKeyCreated(tenant, { keyName: 'Zapier', prefix: 'ab12', createdBy: 'Pat', createdAt: '2026-12-01 12:00 UTC', developersUrl: 'https://demo.slotwise.test/admin/developers' }),
    lines: ['Name:        Zapier', 'Starts with: sw_ab12_', 'Created by:  Pat', 'At:          2026-12-01 12:00 UTC', 'https://demo.slotwise.test/admin/developers'],
  },
  webhook_endpoint_created: {
    text: () => renderWebhookNotice(config, tenant, 'webhook_endpoint_created', { url: 'https://hooks.example.com/in', events: ['booking.created'], addedBy: 'Pat' }),
    lines: ['A webhook endpoint was added', 'https://hooks.example.com/in', 'If you do not know this address, remove the endpoint now.', 'API and webhooks: https://demo.slotwise.test/admin/developers'],
  },
  webhook_endpoint_disabled: {
    text: () => renderWebhookNotice(config, tenant, 'webhook_endpoint_disabled', { url: 'https://hooks.example.com/in', lastError: 'HTTP 500', failures: 20 }),
    lines: ['A webhook endpoint was turned off', 'https://hooks.example.com/in', 'API and webhooks: https://demo.slotwise.test/admin/developers'],
  },
  booking_requested: {
    text: () => booking('booking_requested', { ...view(), booking: { ...view().booking, status: 'pending', holdExpiresAt: new Date('2026-12-02T12:00:00Z') } }),
    lines: ['We have your request', 'Consultation with Alex Rivera', 'Friday, December 4, 2026, 9:00 AM EST',
      'This is a request: Demo Studio confirms or declines it by Wednesday, December 2, 2026, 7:00 AM EST. The time is kept for you until then; you will get an email either way.'],
  },
  staff_booking_requested: {
    text: () => renderBookingMessage({ kind: 'staff_booking_requested', tenant, view: view(), approvalUrl: 'https://demo.slotwise.test/admin/bookings/b1', mailFrom: 'x <x@slotwise.test>', now: new Date('2026-12-01T12:00:00Z') }),
    lines: ['Booking request: approve or decline it', 'Customer: Pat Kim <pat@example.com>, +1 555 0100', 'Approve or decline: https://demo.slotwise.test/admin/bookings/b1'],
  },
  booking_declined: {
    text: () => booking('booking_declined', view({ status: 'cancelled' }), { cancelReason: 'Fully booked that week' }),
    lines: ['Your request was declined', 'CANCELLED: Consultation with Alex Rivera', 'Reason: Fully booked that week'],
  },
  waitlist_joined: {
    text: () => renderWaitlistJoined(tenant, { fromDate: '2026-12-07', toDate: '2026-12-11', window: { start: 540, end: 720 }, customer: view().booking.customer }, 'Consultation', 'https://demo.slotwise.test/waitlist/tok'),
    lines: ['Hello Pat Kim,', 'You are on the waitlist for Consultation from 2026-12-07 to 2026-12-11, between 09:00 and 12:00 (times in America/New_York).',
      'See your place or leave the waitlist: https://demo.slotwise.test/waitlist/tok', '— Demo Studio'],
  },
  waitlist_offer: {
    text: () => renderWaitlistOffer(tenant, { customerName: 'Pat Kim', zone: 'America/New_York', serviceName: 'Consultation', resourceName: 'Alex Rivera', start: new Date('2026-12-04T14:00:00Z'), holdExpiresAt: new Date('2026-12-01T12:15:00Z'), pay: null }, 'https://demo.slotwise.test/waitlist/tok'),
    lines: ['A time freed up: Consultation with Alex Rivera, Friday, December 4, 2026, 9:00 AM EST.', 'Claim this time: https://demo.slotwise.test/waitlist/tok'],
  },
  series_confirmation: {
    text: () => series('series_confirmation'),
    lines: ['Your recurring booking is confirmed', 'Hello Pat Kim,', 'Consultation with Alex Rivera', 'Every week, 2 times:', '- Friday, December 4, 2026, 9:00 AM EST',
      '- Friday, December 11, 2026, 9:00 AM EST', 'Times in America/New_York · 30 min', 'https://demo.slotwise.test/manage/tok', '— Demo Studio'],
  },
  series_cancelled: {
    text: () => series('series_cancelled', 'Closed for the season'),
    lines: ['Your recurring booking is cancelled', 'CANCELLED: Consultation with Alex Rivera', '- Friday, December 11, 2026, 9:00 AM EST', 'Reason: Closed for the season'],
  },
  staff_series_created: {
    text: () => series('staff_series_created'),
    lines: ['New recurring booking', 'Every week, 2 times:', '- Friday, December 4, 2026, 9:00 AM EST', 'Customer: Pat Kim <pat@example.com>, +1 555 0100', "Customer's time zone: America/New_York"],
  },
  staff_series_cancelled: {
    text: () => series('staff_series_cancelled', 'Closed for the season'),
    lines: ['Recurring booking cancelled', '- Friday, December 11, 2026, 9:00 AM EST', 'Reason: Closed for the season'],
  },
  calendar_broken: {
    text: () => renderCalendarBroken({ config: config as never }, tenant, { resourceName: 'Alex Rivera', provider: 'google', account: 'alex@example.com' }),
    lines: ['Reconnect: https://demo.slotwise.test/admin/calendars'],
  },
};

describe('the plain-text part of every message', () => {
  it.each(Object.entries(CASES))('%s keeps each fact on its own line', (_kind, c) => {
    const { text } = c.text();
    const lines = text.split('\n');
    for (const want of c.lines) expect(lines, `line "${want}" in:\n${text}`).toContain(want);
    expect(text).not.toMatch(/\n{3,}/); // paragraphs one blank line apart, never more
    expect(text).not.toMatch(/<\/?(p|a|br|h[1-6]|div|span|table|tr|td|strong|b)\b[^@>]*>/i); // no markup (an address in <…> is not)
    expect(text).not.toMatch(/^\s/); // nothing before the first line
    expect(lines.every((l) => l === l.trimEnd())).toBe(true);
  });

  it('tells a waitlisted customer of a paid service that claiming means paying, and how much', () => {
    const { text } = renderWaitlistOffer(tenant, {
      customerName: 'Pat Kim', zone: 'America/New_York', serviceName: 'Consultation', resourceName: 'Alex Rivera',
      start: new Date('2026-12-04T14:00:00Z'), holdExpiresAt: new Date('2026-12-01T12:15:00Z'), pay: '$80.00',
    }, 'https://demo.slotwise.test/waitlist/tok');
    const lines = text.split('\n');
    expect(lines).toContain('To book it you pay $80.00 online; the time is yours once the payment is through.');
    expect(lines).toContain('Claim and pay for this time: https://demo.slotwise.test/waitlist/tok');
  });

  it('leaves out the contact block when the business gave no contact details', () => {
    const { text } = renderBookingMessage({
      kind: 'booking_confirmation', tenant: { ...tenant, contact: { phone: null, email: null, address: null } }, view: view(),
      mailFrom: 'Slotwise <no-reply@slotwise.test>', now: new Date('2026-12-01T12:00:00Z'),
    });
    expect(text).not.toContain('To reach');
    expect(text).not.toMatch(/\n{3,}/);
    expect(text.split('\n')).toContain('Friday, December 4, 2026, 9:00 AM EST');
  });
});
