import { randomUUID } from 'node:crypto';
import type { AppDeps } from '../deps.ts';
import { withTenant } from '../db/tenant.ts';
import { InvalidFields } from '../errors.ts';
import { hashPassword } from '../auth/passwords.ts';
import { insertUser, type User } from '../auth/queries.ts';
import { createLoginHandoff } from '../auth/service.ts';
import { queueEmailVerification } from '../auth/email-verification.ts';
import type { SignUp } from './commands.ts';
import { currentTenant, insertTenant, type Tenant } from './queries.ts';

const SLUG_TAKEN = { slug: 'This subdomain is taken. Choose another.' };

/**
 * Create a tenant and its owner in one transaction, and mail the owner a
 * link to verify their address (src/auth/email-verification.ts). The tenant id is chosen
 * here and set as the transaction's tenant first, so the inserts pass the
 * same RLS policies as every later write. Two sign-ups racing for one slug:
 * the unique index lets one commit; the other gets a field error.
 */
export async function signUp(deps: AppDeps, cmd: SignUp): Promise<{ tenant: Tenant; owner: User; handoffToken: string }> {
  const passwordHash = await hashPassword(cmd.password);
  const tenantId = randomUUID();
  try {
    return await withTenant(deps.db, tenantId, async (tx) => {
      await insertTenant(tx, { slug: cmd.slug, name: cmd.businessName, timeZone: cmd.timeZone });
      const owner = await insertUser(tx, { email: cmd.email, name: cmd.businessName, role: 'owner', passwordHash });
      const handoffToken = await createLoginHandoff(deps, tx, owner.id);
      // Until the owner opens it, the business sends only a small allowance of mail.
      await queueEmailVerification(deps, tx, cmd.slug, owner);
      const tenant = await currentTenant(tx);
      return { tenant, owner, handoffToken };
    });
  } catch (err) {
    if ((err as { code?: string; constraint?: string }).code === '23505' && (err as { constraint?: string }).constraint === 'tenants_slug_key') {
      throw new InvalidFields(SLUG_TAKEN);
    }
    throw err;
  }
}
