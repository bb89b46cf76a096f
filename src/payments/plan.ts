import type { Config } from '../config.ts';
import type { Service } from '../catalog/queries.ts';
import type { BookingSource } from '../bookings/model.ts';
import type { Tenant } from '../tenancy/queries.ts';
import { amountDue, minimumCharge } from './money.ts';

/** What a new booking is to pay online, on which connected account. */
export interface OnlineCharge {
  mode: 'deposit' | 'full';
  currency: string;
  priceMinor: number;
  amountDue: number;
  stripeAccountId: string;
}

/** Customers (the public pages) and integrators (the API) pay online; staff booking for a caller take payment at the venue. */
const PAYS_ONLINE: readonly BookingSource[] = ['public', 'api'];

/**
 * Whether a booking of `service` pays online, and how much: only when the
 * service asks for it, the platform has Stripe keys, and the business has a
 * connected account that may take charges. Otherwise null: "pay at the
 * venue", and nothing is sent to Stripe. Never a fake payment.
 */
export function onlineCharge(config: Pick<Config, 'stripe'>, tenant: Tenant, service: Service, source: BookingSource): OnlineCharge | null {
  if (service.paymentMode === 'none' || !PAYS_ONLINE.includes(source)) return null;
  if (venueReason(config, tenant)) return null;
  const due = amountDue(service);
  if (due < minimumCharge(service.currency)) return null;
  return { mode: service.paymentMode, currency: service.currency, priceMinor: service.priceMinor, amountDue: due, stripeAccountId: tenant.stripeAccountId! };
}

/** Why the business cannot take payments online right now, for the dashboard; null when it can. */
export function venueReason(config: Pick<Config, 'stripe'>, tenant: Pick<Tenant, 'stripeAccountId' | 'stripeChargesEnabled'>): string | null {
  if (!config.stripe) return 'Online payments are not set up on this platform (no Stripe key), so paid services are paid at the venue.';
  if (!tenant.stripeAccountId) return 'Stripe not connected: connect your Stripe account to take deposits and prepayments online. Until then, paid services are paid at the venue.';
  if (!tenant.stripeChargesEnabled) return 'Your Stripe account cannot take charges yet (finish onboarding with Stripe). Until then, paid services are paid at the venue.';
  return null;
}

/** Whether a booking of `service` asks for a payment the customer makes at the venue instead (for the booking pages). */
export const paysAtVenue = (config: Pick<Config, 'stripe'>, tenant: Tenant, service: Service): boolean =>
  service.paymentMode !== 'none' && onlineCharge(config, tenant, service, 'public') === null;
