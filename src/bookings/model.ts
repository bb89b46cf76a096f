import type { Resource, Service } from '../catalog/queries.ts';

/**
 * The booking's vocabulary, shared by the service, its queries, the
 * serializers, the notifications and the webhooks. It imports nothing of
 * the app but types, so none of those modules needs another to know what a
 * booking is.
 *
 * - Booking: one reservation of a resource for a service's duration.
 * - Blocked range: the booking's time widened by the service's buffers; what
 *   the exclusion constraint keeps from overlapping on one resource.
 * - Actor: who asks for a change (customer, staff, the API, the system), and
 *   which user when it is staff.
 */
export type BookingStatus = 'pending' | 'held' | 'confirmed' | 'cancelled' | 'completed' | 'no_show';
export type BookingSource = 'public' | 'admin' | 'api' | 'waitlist' | 'series';

/** The statuses that hold their time (the exclusion constraint's WHERE). */
export const BLOCKING_STATUSES: readonly BookingStatus[] = ['pending', 'held', 'confirmed'];
export const isActive = (b: { status: BookingStatus }) => BLOCKING_STATUSES.includes(b.status);

export interface Customer {
  name: string;
  email: string;
  phone: string | null;
  timeZone: string;
}

export interface Booking {
  id: string;
  tenantId: string;
  serviceId: string;
  resourceId: string;
  start: Date;
  end: Date;
  status: BookingStatus;
  customer: Customer;
  notes: string | null;
  source: BookingSource;
  sequence: number;
  createdAt: Date;
  /** Input of the manage link's derivation (src/bookings/manage-link.ts); not a secret by itself. */
  manageNonce: string;
  /** A held booking's end of hold: unpaid by then, it is cancelled and its time freed. */
  holdExpiresAt: Date | null;
  cancelReason: string | null;
  /** The series this booking is an occurrence of (src/series/), or null. */
  seriesId: string | null;
}

export type PaymentStatus = 'pending' | 'paid' | 'partially_refunded' | 'refunded' | 'failed';

/**
 * What a booking takes online (a deposit or the full price) and what came
 * of it, in minor units of `currency`. A booking without one pays at the
 * venue, if anything.
 */
export interface Payment {
  bookingId: string;
  mode: 'deposit' | 'full';
  currency: string;
  priceMinor: number;
  amountDue: number;
  amountPaid: number;
  amountRefunded: number;
  status: PaymentStatus;
  stripeAccountId: string;
  checkoutSessionId: string | null;
  checkoutUrl: string | null;
  paymentIntentId: string | null;
  paidAt: Date | null;
}

export interface Actor {
  source: BookingSource;
  userId: string | null;
}

/** A booking with its service and resource, as pages, messages and the API show it. */
export interface BookingView {
  booking: Booking;
  service: Service;
  resource: Resource;
  /** Its online payment, or null: nothing to pay online (pay at the venue). */
  payment: Payment | null;
}
