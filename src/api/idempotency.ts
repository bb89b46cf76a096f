import { createHash } from 'node:crypto';
import type { RequestHandler, Response } from 'express';
import type { AppDeps } from '../deps.ts';
import { withTenant } from '../db/tenant.ts';
import { HttpError } from '../http/errors.ts';
import type { Tenant } from '../tenancy/queries.ts';

export const IDEMPOTENCY_TTL_HOURS = 24;

/** Key order must not change the fingerprint of a body. */
function canonical(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonical).join(',')}]`;
  if (value && typeof value === 'object') {
    return `{${Object.keys(value).sort().map((k) => `${JSON.stringify(k)}:${canonical((value as Record<string, unknown>)[k])}`).join(',')}}`;
  }
  return JSON.stringify(value ?? null);
}

/**
 * `Idempotency-Key` on POST: the first request with a key claims it (a row
 * inserted before the handler runs, so two concurrent requests cannot both
 * act); its successful response is stored and replayed for 24 h to a request
 * with the same key and the same body. The same key with another body is a
 * 422; a replay while the first is still running is a 409. An error
 * response (which changed nothing) frees the key, so the client may retry.
 */
export function idempotency(deps: AppDeps): RequestHandler {
  return async (req, res, next) => {
    const key = req.get('Idempotency-Key');
    if (req.method !== 'POST' || key === undefined) return next();
    if (!/^[\x21-\x7e]{1,255}$/.test(key)) {
      throw new HttpError(422, 'invalid_idempotency_key', 'Invalid Idempotency-Key', 'Idempotency-Key must be 1 to 255 visible ASCII characters.');
    }
    const tenant = res.locals.tenant as Tenant;
    const apiKeyId = res.locals.apiKeyId as string;
    const requestHash = createHash('sha256').update(`${req.method} ${req.path}\n${canonical(req.body)}`).digest('hex');
    const cutoff = new Date(deps.now().getTime() - IDEMPOTENCY_TTL_HOURS * 3600_000);

    const prior = await withTenant(deps.db, tenant.id, async (tx) => {
      await tx('idempotency_keys').where({ api_key_id: apiKeyId, key }).where('created_at', '<', cutoff).del();
      const inserted = await tx('idempotency_keys')
        .insert({ tenant_id: tenant.id, api_key_id: apiKeyId, key, request_hash: requestHash, method: req.method, path: req.path, created_at: deps.now() })
        .onConflict(['tenant_id', 'api_key_id', 'key'])
        .ignore()
        .returning('key');
      return inserted.length ? undefined : tx('idempotency_keys').where({ api_key_id: apiKeyId, key }).first();
    });

    if (prior) {
      if (prior.request_hash !== requestHash) {
        throw new HttpError(422, 'idempotency_key_reused', 'Idempotency-Key reused', 'This Idempotency-Key was used with a different request.');
      }
      if (prior.response_status === null) {
        throw new HttpError(409, 'idempotency_in_progress', 'Request in progress', 'A request with this Idempotency-Key is still being processed.');
      }
      res.status(prior.response_status).set('Idempotent-Replayed', 'true');
      sendBody(res, prior.response_body);
      return;
    }

    const json = res.json.bind(res);
    let stored = false;
    res.json = (body: unknown) => {
      stored = true;
      const status = res.statusCode;
      withTenant(deps.db, tenant.id, (tx) =>
        tx('idempotency_keys').where({ api_key_id: apiKeyId, key }).update({ response_status: status, response_body: JSON.stringify(body ?? null) }),
      ).then(() => json(body), (err: unknown) => res.destroy(err as Error));
      return res;
    };
    res.on('close', () => {
      if (!stored) void withTenant(deps.db, tenant.id, (tx) => tx('idempotency_keys').where({ api_key_id: apiKeyId, key }).whereNull('response_status').del());
    });
    next();
  };
}

function sendBody(res: Response, body: unknown): void {
  res.type('application/json').send(JSON.stringify(body));
}
