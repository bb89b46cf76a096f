import { describe, expect, it } from 'vitest';
import { ConfigError, parseConfig } from '../../../src/config.ts';
import { stripeOrigins } from '../../../src/payments/stripe.ts';

/** A development run, so that only the Stripe variables decide (production would also ask for SESSION_SECRET). */
const dev = { NODE_ENV: 'development' };

describe('Stripe configuration', () => {
  it('is off without a key', () => {
    expect(parseConfig(dev).stripe).toBeUndefined();
    expect(stripeOrigins(parseConfig(dev))).toEqual([]);
  });

  it('parses STRIPE_API_BASE into host, port and protocol', () => {
    const c = parseConfig({ ...dev, STRIPE_SECRET_KEY: 'sk_test_x', STRIPE_WEBHOOK_SECRET: 'whsec_y', STRIPE_API_BASE: 'http://127.0.0.1:12111', PLATFORM_FEE_PERCENT: '2.5' });
    expect(c.stripe).toEqual({ secretKey: 'sk_test_x', webhookSecret: 'whsec_y', api: { host: '127.0.0.1', port: 12111, protocol: 'http' }, platformFeePercent: 2.5 });
    expect(parseConfig({ ...dev, STRIPE_SECRET_KEY: 'sk_test_x', STRIPE_WEBHOOK_SECRET: 'whsec_y', STRIPE_API_BASE: 'https://stripe-proxy.internal' }).stripe!.api)
      .toEqual({ host: 'stripe-proxy.internal', port: 443, protocol: 'https' });
    expect(stripeOrigins(c)).toEqual(['https://checkout.stripe.com', 'https://connect.stripe.com', 'http://127.0.0.1:12111']);
  });

  it.each([
    [{ ...dev, STRIPE_SECRET_KEY: 'sk_test_x' }, /^Invalid environment variable STRIPE_WEBHOOK_SECRET: is required when STRIPE_SECRET_KEY is set/],
    [{ ...dev, STRIPE_SECRET_KEY: 'pk_test_x', STRIPE_WEBHOOK_SECRET: 'whsec_y' }, /^Invalid environment variable STRIPE_SECRET_KEY/],
    [{ ...dev, STRIPE_SECRET_KEY: 'sk_test_x', STRIPE_WEBHOOK_SECRET: 'whsec_y', STRIPE_API_BASE: 'http://127.0.0.1:1/v1' }, /^Invalid environment variable STRIPE_API_BASE: must be http\(s\):\/\/host:port/],
    [{ ...dev, PLATFORM_FEE_PERCENT: '101' }, /^Invalid environment variable PLATFORM_FEE_PERCENT/],
  ])('stops with one line naming the variable: %j', (env, message) => {
    expect(() => parseConfig(env)).toThrow(ConfigError);
    expect(() => parseConfig(env)).toThrow(message);
  });
});
