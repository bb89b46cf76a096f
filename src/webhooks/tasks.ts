import type { Task } from 'graphile-worker';
import { z } from 'zod';
import type { AppDeps } from '../deps.ts';
import { withTenant } from '../db/tenant.ts';
import { log } from '../log.ts';
import { outbound, OutboundError, type Outbound } from '../http/outbound.ts';
import { recordAttempt } from './health.ts';
import { SIGNATURE_HEADER, signatureHeader } from './sign.ts';
import { MAX_ATTEMPTS } from './service.ts';

declare global {
  // eslint-disable-next-line @typescript-eslint/no-namespace
  namespace GraphileWorker {
    interface Tasks {
      webhooks__deliver: { tenantId: string; deliveryId: string };
    }
  }
}

const Payload = z.object({ tenantId: z.uuid(), deliveryId: z.uuid() });
/** One attempt, connect to answer; the tenant's queue waits this long at most per attempt. */
export const DELIVERY_TIMEOUT_MS = 10_000;

/**
 * POST one event to one endpoint through the guarded outbound client. A 2xx
 * marks it succeeded; anything else records the attempt with a short reason
 * ("HTTP 500", "timed out", "redirect not followed", "refused: private
 * address") and throws, so graphile-worker retries with exponential backoff
 * (exp(min(10, attempt)) seconds) up to MAX_ATTEMPTS, after which the
 * delivery is marked failed. Every attempt counts toward the endpoint's
 * health (health.ts), which may turn it off; a delivery to an endpoint that
 * is off fails at once, unsent. A delivery already settled is not sent again.
 */
export function deliverWebhookTask(deps: AppDeps, client: Outbound = outbound(deps.config)): Task<'webhooks__deliver'> {
  return async (raw, helpers) => {
    const { tenantId, deliveryId } = Payload.parse(raw);
    const target = await withTenant(deps.db, tenantId, (tx) =>
      tx('webhook_deliveries as d')
        .join('webhook_endpoints as e', function () {
          this.on('e.tenant_id', 'd.tenant_id').andOn('e.id', 'd.endpoint_id');
        })
        .where('d.id', deliveryId)
        .first('d.status', 'd.payload', 'e.id as endpoint_id', 'e.url', 'e.secret', 'e.active'),
    );
    if (!target || target.status !== 'pending') return;
    if (!target.active) {
      await withTenant(deps.db, tenantId, (tx) => tx('webhook_deliveries').where({ id: deliveryId }).update({ status: 'failed', last_error: 'endpoint turned off' }));
      return;
    }
    const now = deps.now();
    const { statusCode, failure } = await post(client, target, now, { tenantId, deliveryId });
    const last = helpers.job.attempts >= Math.min(helpers.job.max_attempts, MAX_ATTEMPTS);
    const turnedOff = await withTenant(deps.db, tenantId, async (tx) => {
      const off = await recordAttempt(tx, target.endpoint_id, failure, now);
      await tx('webhook_deliveries')
        .where({ id: deliveryId })
        .update({
          status: failure ? (last || off ? 'failed' : 'pending') : 'succeeded',
          attempts: helpers.job.attempts,
          last_status_code: statusCode,
          last_error: failure,
          delivered_at: failure ? null : now,
        });
      return off;
    });
    if (failure && !last && !turnedOff) throw new Error(`webhook delivery ${deliveryId} failed: ${failure}`);
  };
}

interface Target {
  url: string;
  secret: string;
  payload: { id: unknown };
}

/** One attempt: the HTTP status if there was an answer, and the failure in short words, or null on a 2xx. */
async function post(client: Outbound, target: Target, now: Date, logFields: Record<string, string>): Promise<{ statusCode: number | null; failure: string | null }> {
  const body = JSON.stringify(target.payload);
  try {
    const res = await client.fetch(target.url, {
      method: 'POST',
      headers: {
        'Content-Type': 'application/json',
        'User-Agent': 'Slotwise-Webhooks/1',
        [SIGNATURE_HEADER]: signatureHeader(target.secret, body, Math.floor(now.getTime() / 1000)),
        'Slotwise-Event-Id': String(target.payload.id),
      },
      body,
      timeoutMs: DELIVERY_TIMEOUT_MS,
      // The receiver's answer is not used: a little of it is read, then the connection dropped.
      maxBytes: 4 * 1024,
    });
    if (res.status >= 200 && res.status < 300) return { statusCode: res.status, failure: null };
    if (res.status >= 300 && res.status < 400) return { statusCode: res.status, failure: 'redirect not followed' };
    return { statusCode: res.status, failure: `HTTP ${res.status}` };
  } catch (err) {
    if (!(err instanceof OutboundError)) throw err;
    // The operator's log keeps the underlying error; the tenant sees only the reason.
    log.info('webhook attempt failed', { ...logFields, reason: err.reason, error: String((err.cause as Error | undefined)?.message ?? '') });
    return { statusCode: null, failure: err.reason };
  }
}
