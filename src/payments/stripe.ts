import Stripe from 'stripe';
import type { Config, StripeConfig } from '../config.ts';

/**
 * The one Stripe client of the process (stripe-node), built from the
 * platform's configuration: pointed at STRIPE_API_BASE when set (a proxy,
 * or the fake in tests), Stripe's own host otherwise. Every call for a
 * business passes its connected account (`Stripe-Account`): see `onAccount`.
 * No key, no client: paid services are then paid at the venue and nothing
 * is ever sent to Stripe.
 */
const clients = new WeakMap<StripeConfig, Stripe>();

export function stripeClient(config: Pick<Config, 'stripe'>): Stripe | undefined {
  const s = config.stripe;
  if (!s) return undefined;
  let client = clients.get(s);
  if (!client) {
    client = new Stripe(s.secretKey, {
      ...(s.api ?? {}),
      // Our own jobs retry with backoff, each call with its idempotency key.
      maxNetworkRetries: 2,
      timeout: 20_000,
      appInfo: { name: 'Slotwise' },
    });
    clients.set(s, client);
  }
  return client;
}

/** Request options for a call on a business's connected account, with its idempotency key when it writes. */
export const onAccount = (stripeAccount: string, idempotencyKey?: string): Stripe.RequestOptions => ({
  stripeAccount, ...(idempotencyKey ? { idempotencyKey } : {}),
});

/**
 * Whether a failed call may succeed if tried again: the network, Stripe's
 * own errors, rate limits, a concurrent request with the same key. Other
 * refusals (invalid request, card, permission) are answers.
 */
export function isTransient(err: unknown): boolean {
  if (!(err instanceof Stripe.errors.StripeError)) return true;
  if (err instanceof Stripe.errors.StripeConnectionError || err instanceof Stripe.errors.StripeAPIError || err instanceof Stripe.errors.StripeRateLimitError) return true;
  if (err.code === 'lock_timeout') return true;
  return (err.statusCode ?? 0) >= 500;
}

/**
 * Where a form's redirect may send the browser: Stripe Checkout and
 * Connect onboarding, and the STRIPE_API_BASE host (whose own pages stand
 * in for them in tests). Nothing without Stripe.
 */
export function stripeOrigins(config: Pick<Config, 'stripe'>): string[] {
  const s = config.stripe;
  if (!s) return [];
  const out = ['https://checkout.stripe.com', 'https://connect.stripe.com'];
  if (s.api) out.push(`${s.api.protocol}://${s.api.host.includes(':') ? `[${s.api.host}]` : s.api.host}:${s.api.port}`);
  return out;
}

export { Stripe };
