import type { TenantTx } from '../db/tenant.ts';
import { endpointById } from './service.ts';
import { queueOwnerNotice } from './notices.ts';

/**
 * Failed attempts in a row after which the worker turns an endpoint off.
 * Counted per attempt, retries included: what a dead receiver costs is
 * worker time per attempt, whichever event it carries.
 */
export const DISABLE_AFTER_FAILURES = 50;

/**
 * Record how one delivery attempt went, in the delivery's transaction. A
 * success resets the count; a failure adds one and keeps its short reason.
 * The failure that reaches DISABLE_AFTER_FAILURES turns the endpoint off
 * and queues one message to the owner: only the statement that flips
 * `active` from true to false does that, so the owner hears it once per
 * time it is turned off. True when this attempt turned it off.
 */
export async function recordAttempt(tx: TenantTx, endpointId: string, failure: string | null, now: Date): Promise<boolean> {
  if (!failure) {
    await tx('webhook_endpoints').where({ id: endpointId }).update({ consecutive_failures: 0, last_error: null });
    return false;
  }
  const [counted] = await tx('webhook_endpoints')
    .where({ id: endpointId })
    .update({ consecutive_failures: tx.raw('consecutive_failures + 1'), last_error: failure })
    .returning<{ consecutive_failures: number; active: boolean }[]>(['consecutive_failures', 'active']);
  if (!counted?.active || counted.consecutive_failures < DISABLE_AFTER_FAILURES) return false;
  // The row is locked by the update above; `active` guards against a second notice all the same.
  const off = await tx('webhook_endpoints').where({ id: endpointId, active: true }).update({ active: false, disabled_at: now });
  if (!off) return false;
  const endpoint = await endpointById(tx, endpointId);
  if (endpoint) await queueOwnerNotice(tx, 'webhook_endpoint_disabled', endpoint, now);
  return true;
}
