import type { AppDeps } from '../deps.ts';
import type { TenantTx } from '../db/tenant.ts';
import type { NotificationKind } from './queries.ts';

/**
 * Mail a person needs to get into, or keep, their own account: never held
 * and not counted. Each goes to one of the business's own users and is
 * produced behind a rate limit or a signed-in owner/admin action.
 */
export const ACCOUNT_MAIL: readonly NotificationKind[] = ['password_reset', 'email_verification', 'api_key_created'];

export type Verdict = { send: true } | { send: false; reason: string; retryAt: Date | null };

const DAY_MS = 24 * 3600_000;

/**
 * May one more message of this business go out now? Every other message
 * counts (booking mail to customers and staff, invitations):
 *
 * - before the owner has verified their email address, only
 *   MAIL_UNVERIFIED_ALLOWANCE of them ever: the rest wait, without a job,
 *   until verification releases them (src/auth/email-verification.ts);
 * - at most MAIL_DAILY_CAP_PER_TENANT per UTC day: the rest wait for the
 *   next day.
 *
 * What counts is a message claimed for sending (`claimed_at`). Decided
 * under a per-business advisory lock held until the claim commits, so two
 * workers cannot both take the last place (both in one statement,
 * migrations/functions/mail_budget.sql).
 */
export async function mailVerdict(deps: AppDeps, tx: TenantTx, kind: NotificationKind): Promise<Verdict> {
  if (ACCOUNT_MAIL.includes(kind)) return { send: true };
  const now = deps.now().getTime();
  const dayStart = new Date(now - (now % DAY_MS));
  const { rows } = await tx.raw<{ rows: { verified: boolean; today: number; ever: number | null }[] }>(
    'select verified, today, ever from mail_budget(?::timestamptz, ?::text[])', [dayStart, [...ACCOUNT_MAIL]]);
  const r = rows[0]!;
  const { mailUnverifiedAllowance: allowance, mailDailyCapPerTenant: cap } = deps.config;
  if (!r.verified && (r.ever ?? 0) >= allowance) {
    return {
      send: false,
      reason: `Held: a new business sends ${allowance} messages before its owner verifies their email address. It goes out once they open the link we sent them.`,
      retryAt: null,
    };
  }
  if (r.today >= cap) {
    return { send: false, reason: `Held: the daily limit of ${cap} messages is reached. It goes out after 00:00 UTC.`, retryAt: new Date(dayStart.getTime() + DAY_MS) };
  }
  return { send: true };
}
