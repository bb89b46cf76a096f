import type { AppDeps } from '../deps.ts';
import { withTenant } from '../db/tenant.ts';
import { tenantOrigin } from '../config.ts';
import { bookingById } from '../bookings/queries.ts';
import { serviceById } from '../catalog/queries.ts';
import { currentTenant } from '../tenancy/queries.ts';
import { paymentOf, recordCheckoutSession, recordPaymentEvent } from './queries.ts';
import { onAccount, stripeClient } from './stripe.ts';

/**
 * The Stripe Checkout page of a held booking: a Checkout Session on the
 * business's connected account (a direct charge, with the platform's fee if
 * any), made after the booking's transaction has committed so no lock waits
 * on Stripe. Its idempotency key is derived from the booking and its
 * parameters from the stored booking, so trying again (the customer's
 * "pay now", a double click) gets the same session. It expires with the
 * hold (`expires_at`, which is at least 30 minutes after the booking).
 * Returns the URL to send the customer to, or null when there is nothing to
 * pay or no Stripe.
 */
export async function openCheckout(deps: AppDeps, tenantId: string, bookingId: string, manageToken: string): Promise<string | null> {
  const stripe = stripeClient(deps.config);
  if (!stripe) return null;
  const found = await withTenant(deps.db, tenantId, async (tx) => {
    const booking = await bookingById(tx, bookingId);
    const payment = await paymentOf(tx, bookingId);
    if (!booking || !payment || booking.status !== 'held' || payment.status !== 'pending' || !booking.holdExpiresAt) return undefined;
    return { booking, payment, service: (await serviceById(tx, booking.serviceId))!, tenant: await currentTenant(tx) };
  });
  if (!found) return null;
  const { booking, payment, service, tenant } = found;
  const holdEnd = booking.holdExpiresAt!;
  if (payment.checkoutUrl) return payment.checkoutUrl;
  const manage = `${tenantOrigin(deps.config, tenant.slug)}/manage/${manageToken}`;
  const fee = Math.floor((payment.amountDue * (deps.config.stripe?.platformFeePercent ?? 0)) / 100);
  const session = await stripe.checkout.sessions.create(
    {
      mode: 'payment',
      line_items: [{
        quantity: 1,
        price_data: {
          currency: payment.currency.toLowerCase(),
          unit_amount: payment.amountDue,
          product_data: { name: payment.mode === 'deposit' ? `Deposit: ${service.name}` : service.name },
        },
      }],
      customer_email: booking.customer.email,
      client_reference_id: booking.id,
      metadata: { booking_id: booking.id },
      payment_intent_data: { metadata: { booking_id: booking.id }, ...(fee > 0 ? { application_fee_amount: fee } : {}) },
      expires_at: Math.floor(holdEnd.getTime() / 1000),
      success_url: `${manage}?paid=1`,
      cancel_url: manage,
    },
    onAccount(payment.stripeAccountId, `checkout:${booking.id}`),
  );
  if (!session.url) throw new Error(`Checkout Session ${session.id} came back without a URL`);
  await withTenant(deps.db, tenantId, async (tx) => {
    await recordCheckoutSession(tx, booking.id, { id: session.id, url: session.url! }, deps.now());
    await recordPaymentEvent(tx, booking.id, 'session_created', deps.now(), payment.amountDue, session.id);
  });
  return session.url;
}
