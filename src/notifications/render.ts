import path from 'node:path';
import { Eta } from 'eta';
import { oneLine } from '../http/text.ts';
import { VIEWS_DIR } from '../http/views.ts';
import { formatInZoneWithName } from '../scheduling/index.ts';
import { formatDuration, longDate } from '../bookings/present.ts';
import type { BookingView } from '../bookings/model.ts';
import type { Tenant } from '../tenancy/queries.ts';
import { icsFor, parseAddress } from './ics.ts';
import type { Attachment } from './transport.ts';
import { formatMinor } from '../payments/money.ts';
import { paymentSummary } from '../payments/present.ts';
import { contactLines } from '../tenancy/contact.ts';

const EMAILS = path.join(VIEWS_DIR, 'emails');
// HTML escapes what it prints; plain text must not (a name like "O'Hara & Co" stays as typed).
const html = new Eta({ views: EMAILS, autoEscape: true, cache: true });
/**
 * Plain text keeps every line break it is written with: Eta's default trims
 * the newline after each `%>`, which ran "…Alex Rivera" and "Friday, …" into
 * one line. A tag that only steers (`if`, `for`) ends in `-%>` to drop its
 * own line instead.
 */
export const textEta = () => new Eta({ views: EMAILS, autoEscape: false, autoTrim: false, cache: true });
const text = textEta();

export type BookingKind =
  | 'booking_confirmation' | 'booking_reminder' | 'booking_cancelled' | 'booking_rescheduled'
  | 'staff_booking_created' | 'staff_booking_cancelled' | 'staff_booking_rescheduled'
  | 'payment_refunded' | 'late_payment_refunded'
  | 'booking_requested' | 'staff_booking_requested' | 'booking_declined';

export interface Rendered {
  subject: string;
  text: string;
  html: string;
  attachments: Attachment[];
  /**
   * The links in this message that grant access (a reset, an invitation, a
   * verification). Every renderer says which, none for booking mail: the
   * transport sends them to the recipient and keeps them nowhere readable.
   */
  secrets: string[];
}

/**
 * Every message is built here, so every subject goes through `oneLine`: a
 * subject is a header, and a name typed with a line break in it (or any
 * control character) must not be able to start another header.
 */
/** `secrets`: the access links in it, which the outbox must not keep (see Rendered). */
export function rendered(subject: string, template: string, data: object, attachments: Attachment[] = [], secrets: string[] = []): Rendered {
  return { subject: oneLine(subject), html: html.render(`./${template}.html.eta`, data), text: text.render(`./${template}.txt.eta`, data), attachments, secrets };
}

export interface BookingMessageContext {
  kind: BookingKind;
  tenant: Tenant;
  view: BookingView;
  /** The customer's manage link (customer messages only). */
  manageUrl?: string;
  cancelReason?: string | null;
  /** For reminders: how long before the start this one is sent. */
  offsetMinutes?: number;
  /** For refund messages: the amount refunded, in minor units of the payment's currency. */
  refundAmount?: number;
  /** For a request, to staff: the booking's dashboard page, where it is approved or declined. */
  approvalUrl?: string;
  mailFrom: string;
  now: Date;
}

const CUSTOMER: Record<string, { headline: string; subject: string }> = {
  booking_confirmation: { headline: 'Your booking is confirmed', subject: 'Confirmed' },
  booking_reminder: { headline: 'See you soon', subject: 'Reminder' },
  booking_cancelled: { headline: 'Your booking is cancelled', subject: 'Cancelled' },
  booking_rescheduled: { headline: 'Your booking has moved', subject: 'New time' },
  payment_refunded: { headline: 'Your refund is on its way', subject: 'Refund' },
  late_payment_refunded: { headline: 'Your payment came too late: refunded in full', subject: 'Refunded' },
  booking_requested: { headline: 'We have your request', subject: 'Requested' },
  booking_declined: { headline: 'Your request was declined', subject: 'Declined' },
};
const STAFF: Record<string, { headline: string; subject: string }> = {
  staff_booking_created: { headline: 'New booking', subject: 'New booking' },
  staff_booking_cancelled: { headline: 'Booking cancelled', subject: 'Cancelled' },
  staff_booking_rescheduled: { headline: 'Booking moved', subject: 'Moved' },
  staff_booking_requested: { headline: 'Booking request: approve or decline it', subject: 'Request to approve' },
};

function when(ms: number, zone: string) {
  return { date: longDate(ms, zone), time: formatInZoneWithName(ms, zone), zone };
}

/**
 * A booking message in both forms, times in the recipient's own zone with
 * the zone named: the customer's zone for customers, the resource's for
 * staff. Customer messages carry the .ics invitation (CANCEL for a
 * cancellation, REQUEST otherwise).
 */
export function renderBookingMessage(c: BookingMessageContext): Rendered {
  const { booking, service, resource } = c.view;
  const forCustomer = c.kind in CUSTOMER;
  const zone = forCustomer ? booking.customer.timeZone : resource.timeZone;
  const at = when(booking.start.getTime(), zone);
  const words = (forCustomer ? CUSTOMER : STAFF)[c.kind]!;
  const data = {
    kind: c.kind,
    tenant: c.tenant,
    headline: words.headline,
    // The line under the greeting: a reminder's, or a request's.
    reminderLead: c.offsetMinutes
      ? `Your booking is in ${formatDuration(c.offsetMinutes).replace(' h', ' hours').replace(/^1 hours/, '1 hour')}.`
      : c.kind === 'booking_requested' && booking.holdExpiresAt
        ? `This is a request: ${c.tenant.name} confirms or declines it by ${longDate(booking.holdExpiresAt.getTime(), zone)}, ${formatInZoneWithName(booking.holdExpiresAt.getTime(), zone)}. The time is kept for you until then; you will get an email either way.`
        : '',
    serviceName: service.name,
    resourceName: resource.name,
    duration: formatDuration(service.durationMin),
    at,
    customer: booking.customer,
    notes: booking.notes,
    manageUrl: c.manageUrl,
    cancelReason: c.cancelReason ?? null,
    // How to reach the business, for customers (staff know).
    contact: forCustomer ? contactLines(c.tenant.contact) : [],
    cancelled: c.kind === 'booking_cancelled' || c.kind === 'staff_booking_cancelled' || c.kind === 'late_payment_refunded' || c.kind === 'booking_declined',
    approvalUrl: c.approvalUrl ?? null,
    // What was paid online and what remains at the venue (src/payments/present.ts).
    money: paymentSummary(c.view, c.tenant, c.now, false).lines,
    refundLine: c.refundAmount && c.view.payment ? refundWords(c.kind, formatMinor(c.refundAmount, c.view.payment.currency)) : '',
  };
  const who = forCustomer ? '' : ` — ${booking.customer.name}`;
  const subject = `${words.subject}: ${service.name}${who}, ${at.date.replace(/^\w+, /, '')} at ${at.time}`;
  const template = forCustomer ? 'customer' : 'staff';
  const attachments: Attachment[] = [];
  // An invitation for what is (or was) in the customer's calendar: not for money, nor for a request, which is not booked yet.
  const invites = !['payment_refunded', 'late_payment_refunded', 'booking_requested', 'booking_declined'].includes(c.kind);
  if (forCustomer && invites) {
    const organizer = parseAddress(c.mailFrom);
    attachments.push({
      filename: c.kind === 'booking_cancelled' ? 'cancel.ics' : 'invite.ics',
      contentType: `text/calendar; charset=utf-8; method=${c.kind === 'booking_cancelled' ? 'CANCEL' : 'REQUEST'}`,
      content: icsFor({
        method: c.kind === 'booking_cancelled' ? 'CANCEL' : 'REQUEST',
        uid: `${booking.id}@slotwise`,
        sequence: booking.sequence,
        start: booking.start,
        end: booking.end,
        stamp: c.now,
        summary: `${service.name} — ${c.tenant.name}`,
        description: `${service.name} with ${resource.name}.${c.manageUrl ? `\nChange or cancel: ${c.manageUrl}` : ''}`,
        location: c.tenant.name,
        ...(c.manageUrl ? { url: c.manageUrl } : {}),
        organizer: { name: c.tenant.name, email: organizer.email },
        attendee: { name: booking.customer.name, email: booking.customer.email },
      }),
    });
  }
  return rendered(subject, template, data, attachments);
}

function refundWords(kind: BookingKind, amount: string): string {
  return kind === 'late_payment_refunded'
    ? `Your payment arrived after your hold on this time had expired, and the time had been taken, so we have refunded ${amount} in full.`
    : `We have refunded ${amount} to your card. It can take 5–10 days to appear.`;
}

export function renderPasswordReset(tenant: Tenant, name: string, link: string): Rendered {
  const data = { tenant, name, link, headline: 'Reset your password' };
  return rendered(`Reset your ${tenant.name} password`, 'password-reset', data, [], [link]);
}

export function renderStaffInvite(tenant: Tenant, inviter: string, role: string, link: string): Rendered {
  const data = { tenant, inviter, role, link, headline: `Join ${tenant.name}` };
  return rendered(`${inviter} invites you to ${tenant.name}`, 'staff-invite', data, [], [link]);
}

export function renderEmailVerification(tenant: Tenant, name: string, link: string): Rendered {
  const data = { tenant, name, link, headline: 'Confirm your email address' };
  return rendered(`Confirm your email address for ${tenant.name}`, 'email-verification', data, [], [link]);
}

export interface ApiKeyNotice {
  keyName: string;
  prefix: string;
  /** Who made it; null for the operator's command line. */
  createdBy: string | null;
  createdAt: string;
  developersUrl: string;
}

/** To the owner: a key that can act for the business exists now. It names the key, never contains it. */
export function renderApiKeyCreated(tenant: Tenant, n: ApiKeyNotice): Rendered {
  const data = { tenant, ...n, headline: 'A new API key was created' };
  return rendered(`New API key "${n.keyName}" for ${tenant.name}`, 'api-key-created', data);
}
