import type { AppDeps } from '../deps.ts';
import { withTenant, type TenantTx } from '../db/tenant.ts';
import { tenantOrigin } from '../config.ts';
import { queueNotification, secretLink, SEND_TASK, MAX_SEND_ATTEMPTS } from '../notifications/queries.ts';
import { consumeAuthToken, insertAuthToken, peekAuthToken, revokeAuthTokens } from './queries.ts';
import { newToken, tokenDigest } from './tokens.ts';

/**
 * Owner email verification. A new business may send only a small allowance
 * of mail (MAIL_UNVERIFIED_ALLOWANCE) until its owner opens the link mailed
 * at sign-up: the platform's mail must not be a free spam cannon for
 * whoever signs up with someone else's address. Verifying releases what
 * was held back.
 */
export const VERIFY_TOKEN_TTL_MS = 7 * 24 * 3600_000;

/** Mail the owner a verification link (replacing an older one). Inside the caller's tenant transaction. */
export async function queueEmailVerification(deps: AppDeps, tx: TenantTx, slug: string, owner: { id: string; email: string; name: string }): Promise<void> {
  await revokeAuthTokens(tx, owner.id, 'email_verification');
  const token = newToken();
  const expiresAt = new Date(deps.now().getTime() + VERIFY_TOKEN_TTL_MS);
  await insertAuthToken(tx, { userId: owner.id, purpose: 'email_verification', digest: tokenDigest(deps.config.sessionSecret, token), expiresAt });
  const link = `${tenantOrigin(deps.config, slug)}/verify-email/${token}`;
  await queueNotification(tx, {
    bookingId: null,
    kind: 'email_verification',
    to: owner.email,
    scheduledFor: deps.now(),
    payload: { name: owner.name, ...secretLink(deps.config.sessionSecret, link) },
  });
}

export function isVerificationTokenValid(deps: AppDeps, tenantId: string, token: string): Promise<boolean> {
  return withTenant(deps.db, tenantId, async (tx) =>
    Boolean(await peekAuthToken(tx, 'email_verification', tokenDigest(deps.config.sessionSecret, token), deps.now())),
  );
}

/** Use a verification link: false when it is used, expired or forged. */
export function verifyOwnerEmail(deps: AppDeps, tenantId: string, token: string): Promise<boolean> {
  return withTenant(deps.db, tenantId, async (tx) => {
    const userId = await consumeAuthToken(tx, 'email_verification', tokenDigest(deps.config.sessionSecret, token), deps.now());
    if (!userId) return false;
    await markOwnerEmailVerified(tx, deps.now());
    return true;
  });
}

/**
 * The business counts as verified from now on: its held messages are queued
 * again, each with a send job due now, and unused verification links stop
 * working. Also for tenants an operator vouches for (the demo seed, test
 * helpers).
 */
export async function markOwnerEmailVerified(tx: TenantTx, now: Date): Promise<void> {
  await tx('tenants').where({ id: tx.tenantId }).whereNull('owner_email_verified_at').update({ owner_email_verified_at: now });
  await tx('auth_tokens').where({ purpose: 'email_verification' }).whereNull('used_at').del();
  await tx.raw(
    `with released as (
       update notifications set status = 'queued', last_error = null where status = 'held' returning id
     )
     select app_private.add_jobs(?, array_agg(jsonb_build_object('notificationId', id)), array_agg(?::timestamptz), array_agg('notify:' || id), ?)
       from released`,
    [SEND_TASK, now, MAX_SEND_ATTEMPTS],
  );
}

export interface MailStanding {
  verified: boolean;
  ownerEmail: string | null;
  held: number;
}

/** What the Messages page says about the business's mail budget. */
export async function mailStanding(tx: TenantTx): Promise<MailStanding> {
  const { rows } = await tx.raw<{ rows: { verified: boolean; owner_email: string | null; held: number }[] }>(
    `select (select owner_email_verified_at is not null from tenants where id = ?) as verified,
            (select email from users where role = 'owner') as owner_email,
            (select count(*)::int from notifications where status = 'held') as held`,
    [tx.tenantId],
  );
  const r = rows[0]!;
  return { verified: r.verified, ownerEmail: r.owner_email, held: r.held };
}
