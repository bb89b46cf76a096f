import type { Task } from 'graphile-worker';
import { z } from 'zod';
import type { AppDeps } from '../deps.ts';
import { withTenant } from '../db/tenant.ts';
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
export const DELIVERY_TIMEOUT_MS = 10_000;

/**
 * POST one event to one endpoint. A 2xx marks it succeeded; anything else
 * records the attempt and throws, so graphile-worker retries with
 * exponential backoff (exp(min(10, attempt)) seconds) up to MAX_ATTEMPTS,
 * after which the delivery is marked failed. A delivery already succeeded
 * is not sent again.
 */
export function deliverWebhookTask(deps: AppDeps): Task<'webhooks__deliver'> {
  return async (raw, helpers) => {
    const { tenantId, deliveryId } = Payload.parse(raw);
    const target = await withTenant(deps.db, tenantId, (tx) =>
      tx('webhook_deliveries as d')
        .join('webhook_endpoints as e', function () {
          this.on('e.tenant_id', 'd.tenant_id').andOn('e.id', 'd.endpoint_id');
        })
        .where('d.id', deliveryId)
        .first('d.status', 'd.payload', 'e.url', 'e.secret', 'e.active'),
    );
    if (!target || target.status === 'succeeded' || !target.active) return;
    const body = JSON.stringify(target.payload);
    const now = deps.now();
    let statusCode: number | null = null;
    let error: string | null = null;
    try {
      const res = await fetch(target.url, {
        method: 'POST',
        headers: {
          'Content-Type': 'application/json',
          'User-Agent': 'Slotwise-Webhooks/1',
          [SIGNATURE_HEADER]: signatureHeader(target.secret, body, Math.floor(now.getTime() / 1000)),
          'Slotwise-Event-Id': String(target.payload.id),
        },
        body,
        redirect: 'manual',
        signal: AbortSignal.timeout(DELIVERY_TIMEOUT_MS),
      });
      statusCode = res.status;
      await res.body?.cancel();
      if (!res.ok) error = `HTTP ${res.status}`;
    } catch (err) {
      error = err instanceof Error ? err.message : String(err);
    }
    const last = helpers.job.attempts >= Math.min(helpers.job.max_attempts, MAX_ATTEMPTS);
    await withTenant(deps.db, tenantId, (tx) =>
      tx('webhook_deliveries')
        .where({ id: deliveryId })
        .update({
          status: error ? (last ? 'failed' : 'pending') : 'succeeded',
          attempts: helpers.job.attempts,
          last_status_code: statusCode,
          last_error: error,
          delivered_at: error ? null : now,
        }),
    );
    if (error && !last) throw new Error(`webhook delivery ${deliveryId} failed: ${error}`);
  };
}
