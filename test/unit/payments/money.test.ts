import { describe, expect, it } from 'vitest';
import { amountDue, formatMinor, minimumCharge, pricingErrors } from '../../../src/payments/money.ts';

const svc = (over: Partial<Parameters<typeof amountDue>[0]>) => ({ priceMinor: 4500, currency: 'USD', paymentMode: 'deposit' as const, depositMinor: 0, depositPercent: null, ...over });

describe('money', () => {
  it('what a service charges online', () => {
    expect(amountDue(svc({ paymentMode: 'none' }))).toBe(0);
    expect(amountDue(svc({ paymentMode: 'full' }))).toBe(4500);
    expect(amountDue(svc({ depositMinor: 1000 }))).toBe(1000);
    expect(amountDue(svc({ depositPercent: 33 }))).toBe(1485);
    expect(amountDue(svc({ priceMinor: 999, currency: 'JPY', depositPercent: 50 }))).toBe(499);
  });

  it('zero-decimal currencies have no minor unit', () => {
    expect(formatMinor(500, 'JPY')).toBe('¥500');
    expect(formatMinor(15000, 'KRW')).toBe('₩15,000');
    expect(formatMinor(1234, 'USD')).toBe('$12.34');
  });

  it('refuses amounts below Stripe\'s minimum, with the reason on the field', () => {
    expect(minimumCharge('USD')).toBe(50);
    expect(pricingErrors(svc({ depositMinor: 49 })).depositMinor).toMatch(/Stripe cannot charge less than \$0\.50 in USD/);
    expect(pricingErrors(svc({ depositMinor: 50 }))).toEqual({});
    expect(pricingErrors(svc({ depositPercent: 1, priceMinor: 4000 })).depositPercent).toMatch(/less than/);
    expect(pricingErrors(svc({ paymentMode: 'full', priceMinor: 40, currency: 'JPY' })).priceMinor).toMatch(/less than ¥50 in JPY/);
    expect(pricingErrors(svc({ paymentMode: 'full', priceMinor: 500, currency: 'KRW' }))).toEqual({});
    expect(pricingErrors(svc({ paymentMode: 'none', priceMinor: 1 }))).toEqual({});
  });

  it('a deposit needs one amount, no more than the price', () => {
    expect(pricingErrors(svc({})).depositMinor).toMatch(/Enter the deposit/);
    expect(pricingErrors(svc({ depositMinor: 5000 })).depositMinor).toMatch(/more than the price/);
    expect(pricingErrors(svc({ depositMinor: 1000, depositPercent: 20 })).depositPercent).toMatch(/not both/);
  });
});
