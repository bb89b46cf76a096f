/**
 * Money in integer minor units plus an ISO currency, as Stripe takes it.
 * Zero-decimal currencies (JPY, KRW, …) have no minor unit: 500 JPY is 500.
 */
export type PaymentMode = 'none' | 'deposit' | 'full';

/** Stripe's zero-decimal currencies (its "Zero-decimal currencies" list). */
const ZERO_DECIMAL = new Set(['BIF', 'CLP', 'DJF', 'GNF', 'JPY', 'KMF', 'KRW', 'MGA', 'PYG', 'RWF', 'UGX', 'VND', 'VUV', 'XAF', 'XOF', 'XPF']);

export const isZeroDecimal = (currency: string): boolean => ZERO_DECIMAL.has(currency.toUpperCase());

/**
 * Stripe's minimum charge per currency, in minor units (its "Minimum and
 * maximum charge amounts" table); other currencies: the equivalent of
 * 0.50 USD, which Stripe checks itself.
 */
const MINIMUM: Record<string, number> = {
  USD: 50, AUD: 50, BRL: 50, CAD: 50, CHF: 50, EUR: 50, INR: 50, NZD: 50, SGD: 50, AED: 200, BGN: 100, CZK: 1500, DKK: 250,
  GBP: 30, HKD: 400, HUF: 17500, JPY: 50, KRW: 500, MXN: 1000, MYR: 200, NOK: 300, PLN: 200, RON: 200, SEK: 300, THB: 1000,
};

export function minimumCharge(currency: string): number {
  return MINIMUM[currency.toUpperCase()] ?? (isZeroDecimal(currency) ? 1 : 50);
}

export interface ServicePricing {
  priceMinor: number;
  currency: string;
  paymentMode: PaymentMode;
  /** The fixed deposit (mode 'deposit'), 0 when a percentage is used. */
  depositMinor: number;
  depositPercent: number | null;
  /** A service whose bookings wait for approval (they cannot be paid online). */
  requiresApproval?: boolean;
}

/**
 * What the customer pays online for a service: 0 for none, the deposit
 * (fixed, or a percentage of the price rounded down to a whole minor
 * unit, never more than the price), or the price.
 */
export function amountDue(s: ServicePricing): number {
  if (s.paymentMode === 'none') return 0;
  if (s.paymentMode === 'full') return s.priceMinor;
  if (s.depositPercent !== null) return Math.floor((s.priceMinor * s.depositPercent) / 100);
  return Math.min(s.depositMinor, s.priceMinor);
}

/**
 * Why a service's payment settings cannot be charged, per field, or {}:
 * an online amount below Stripe's minimum for the currency is refused
 * where the owner sets it, not when a customer tries to pay.
 */
export function pricingErrors(s: ServicePricing): Record<string, string> {
  if (s.paymentMode === 'none') return {};
  // A request is approved after the customer has left: there is no Checkout to send them to then.
  if (s.requiresApproval) return { requiresApproval: 'A service whose bookings need approval cannot take payment online; choose "Nothing online" or turn approval off.' };
  const due = amountDue(s);
  const min = minimumCharge(s.currency);
  const field = s.paymentMode === 'full' ? 'priceMinor' : s.depositPercent !== null ? 'depositPercent' : 'depositMinor';
  if (s.paymentMode === 'deposit' && s.depositPercent !== null && s.depositMinor > 0) return { depositPercent: 'Use a fixed deposit or a percentage of the price, not both.' };
  if (s.paymentMode === 'deposit' && s.depositPercent === null && s.depositMinor <= 0) return { depositMinor: 'Enter the deposit, or a percentage of the price.' };
  if (s.paymentMode === 'deposit' && s.depositPercent === null && s.depositMinor > s.priceMinor) return { depositMinor: 'The deposit cannot be more than the price.' };
  if (due < min) {
    return { [field]: `Stripe cannot charge less than ${formatMinor(min, s.currency)} in ${s.currency.toUpperCase()}; this service would charge ${formatMinor(due, s.currency)} online.` };
  }
  return {};
}

/** 1234 USD → "$12.34", 500 JPY → "¥500". */
export function formatMinor(minor: number, currency: string): string {
  const code = currency.toUpperCase();
  const digits = isZeroDecimal(code) ? 0 : 2;
  return new Intl.NumberFormat('en-US', { style: 'currency', currency: code, minimumFractionDigits: digits, maximumFractionDigits: digits }).format(minor / 10 ** digits);
}
