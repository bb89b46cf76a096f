import type { AppDeps } from '../deps.ts';
import { withTenant } from '../db/tenant.ts';
import { tenantOrigin } from '../config.ts';
import { currentTenant, updateStripeAccount, type Tenant } from '../tenancy/queries.ts';
import { stripeClient } from './stripe.ts';

/** Stripe Connect with Standard accounts: each business is paid into its own. */
export class StripeUnavailable extends Error {}

/**
 * Onboarding from the dashboard: the business's Standard account (created
 * on first use), then an Account Link to Stripe's onboarding. Links are
 * single-use and short-lived, so the refresh page makes a new one.
 */
export async function onboardingLink(deps: AppDeps, tenant: Tenant): Promise<string> {
  const stripe = stripeClient(deps.config);
  if (!stripe) throw new StripeUnavailable('Online payments are not set up on this platform.');
  let account = tenant.stripeAccountId;
  if (!account) {
    // Keyed by the business, so a double click makes one account.
    const made = await stripe.accounts.create({ type: 'standard', metadata: { tenant_id: tenant.id } }, { idempotencyKey: `connect:${tenant.id}` });
    account = made.id;
    await withTenant(deps.db, tenant.id, (tx) => updateStripeAccount(tx, { accountId: made.id, chargesEnabled: made.charges_enabled ?? false, detailsSubmitted: made.details_submitted ?? false }));
  }
  const base = `${tenantOrigin(deps.config, tenant.slug)}/admin/settings/payments`;
  const link = await stripe.accountLinks.create({ account, type: 'account_onboarding', refresh_url: `${base}/refresh`, return_url: `${base}/return` });
  return link.url;
}

/** Read the account's state from Stripe and keep it (return page, `stripe:connect`): charges only when Stripe enables them. */
export async function refreshAccount(deps: AppDeps, tenantId: string, accountId?: string): Promise<Tenant> {
  const stripe = stripeClient(deps.config);
  if (!stripe) throw new StripeUnavailable('Online payments are not set up on this platform (no STRIPE_SECRET_KEY).');
  const id = accountId ?? (await withTenant(deps.db, tenantId, currentTenant)).stripeAccountId;
  if (!id) throw new StripeUnavailable('This business has no Stripe account yet.');
  const account = await stripe.accounts.retrieve(id);
  return withTenant(deps.db, tenantId, async (tx) => {
    await updateStripeAccount(tx, { accountId: account.id, chargesEnabled: account.charges_enabled ?? false, detailsSubmitted: account.details_submitted ?? false });
    return currentTenant(tx);
  });
}
