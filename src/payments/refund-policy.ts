import { localDate } from '../scheduling/index.ts';
import type { CancellationPolicy } from '../tenancy/policy.ts';

const HOUR_MS = 3_600_000;

/**
 * The refund a customer gets for cancelling, in minor units: one pure
 * function of the business's policy, what was paid, the booking's start, the instant of the cancellation and the
 * business's zone.
 *
 * - Time before the start is real elapsed time, to the millisecond: a
 *   24-hour tier applies at exactly 24 h before and not one second later.
 * - The tiers that apply are those whose hours before the start have not
 *   passed; of those, the largest percent. For a policy whose percent falls
 *   with the hours (every sensible one) that is the tier with the most
 *   hours; for one that does not, the customer's best, so the refund never
 *   grows as the start approaches.
 * - The same-day rule: cancelling on the start's calendar date in the
 *   business's zone (DST days are as long as they are) refunds at most
 *   `sameDayRefundPercent`.
 * - At or after the start: nothing. Rounded down to a whole minor unit, so
 *   never more than `paid`. (What was refunded already is the caller's to
 *   subtract: `refundDue`.)
 */
export function refundFor(policy: CancellationPolicy, paid: number, startMs: number, cancelMs: number, zone: string): number {
  if (paid <= 0) return 0;
  const before = startMs - cancelMs;
  if (before <= 0) return 0;
  let percent = 0;
  for (const t of policy.tiers) if (before >= t.hoursBefore * HOUR_MS) percent = Math.max(percent, t.refundPercent);
  if (policy.sameDayRefundPercent !== null && localDate(cancelMs, zone) === localDate(startMs, zone)) {
    percent = Math.min(percent, policy.sameDayRefundPercent);
  }
  return Math.floor((paid * percent) / 100);
}

/** The customer's refund now: the policy's share of what was paid, less what was already refunded. */
export function refundDue(policy: CancellationPolicy, paid: number, refunded: number, startMs: number, cancelMs: number, zone: string): number {
  return Math.max(0, Math.min(paid - refunded, refundFor(policy, paid, startMs, cancelMs, zone)));
}
