import { Router, type Response } from 'express';
import { z } from 'zod';
import type { AppDeps } from '../deps.ts';
import { uuidParam } from '../http/params.ts';
import { hasControlCharacters, singleLine } from '../http/text.ts';
import { withTenant } from '../db/tenant.ts';
import { DomainError, InvalidFields } from '../errors.ts';
import { notFound, statusOf } from '../http/errors.ts';
import { fieldErrors, formValues } from '../http/forms.ts';
import { requireRole } from '../http/guards.ts';
import { createApiKey, listApiKeys, revokeApiKey } from '../api/keys.ts';
import { createEndpoint, deleteEndpoint, enableEndpoint, listEndpoints, MAX_ENDPOINTS_PER_TENANT, WEBHOOK_EVENTS } from '../webhooks/service.ts';
import type { Tenant } from '../tenancy/queries.ts';

const KeyForm = z.object({ name: singleLine({ max: 100, required: 'Give the key a name, e.g. "Website".' }) });
const WebhookForm = z.object({
  url: z.url({ protocol: /^https?$/, error: 'Enter a full http(s):// address.' }).max(2000).refine((s) => !hasControlCharacters(s), 'Enter a full http(s):// address.'),
  events: z.preprocess((v) => (v === undefined ? [] : [v].flat()), z.array(z.enum(WEBHOOK_EVENTS)).min(1, 'Choose at least one event.')),
  description: singleLine({ max: 500 }).default(''),
});

/**
 * /admin/developers: API keys and webhook endpoints for owners and admins.
 * A new key or signing secret is shown once, in the response that created it.
 */
export function developerRoutes(deps: AppDeps): Router {
  const r = Router();
  r.use(requireRole('owner', 'admin'));
  const tenantId = (res: Response) => (res.locals.tenant as Tenant).id;

  async function page(res: Response, status: number, extra: Record<string, unknown> = {}) {
    const data = await withTenant(deps.db, tenantId(res), async (tx) => ({
      keys: await listApiKeys(tx),
      endpoints: (await listEndpoints(tx)).data,
      userNames: Object.fromEntries((await tx('users').select('id', 'name')).map((u: { id: string; name: string }) => [u.id, u.name])),
      deliveries: await tx('webhook_deliveries as d')
        .join('webhook_endpoints as e', function () {
          this.on('e.tenant_id', 'd.tenant_id').andOn('e.id', 'd.endpoint_id');
        })
        .orderBy('d.created_at', 'desc')
        .limit(20)
        .select('d.event_type', 'd.status', 'd.attempts', 'd.last_status_code', 'd.last_error', 'd.created_at', 'e.url'),
    }));
    res.status(status).render('admin/developers', {
      title: 'API and webhooks', events: WEBHOOK_EVENTS, maxEndpoints: MAX_ENDPOINTS_PER_TENANT, keyErrors: {}, hookErrors: {}, hookValues: {}, ...data, ...extra,
    });
  }

  r.get('/', (_req, res) => page(res, 200));

  r.post('/keys', async (req, res) => {
    const parsed = KeyForm.safeParse(req.body ?? {});
    if (!parsed.success) return page(res, 422, { keyErrors: fieldErrors(parsed.error) });
    const { key, info } = await createApiKey(deps, tenantId(res), parsed.data.name, req.user?.id ?? null);
    await page(res, 201, { newKey: { key, name: info.name } });
  });

  r.post('/keys/:id/revoke', async (req, res) => {
    const id = uuidParam(req.params.id);
    const done = await withTenant(deps.db, tenantId(res), (tx) => revokeApiKey(tx, id, deps.now()));
    if (!done) throw notFound('No such active key.');
    req.session.flash = 'The key is revoked. Requests with it are refused from now on.';
    res.redirect(303, '/admin/developers');
  });

  r.post('/webhooks', async (req, res) => {
    const parsed = WebhookForm.safeParse(req.body ?? {});
    if (!parsed.success) return page(res, 422, { hookErrors: fieldErrors(parsed.error), hookValues: formValues(req.body) });
    try {
      const { endpoint, secret } = await withTenant(deps.db, tenantId(res), (tx) =>
        createEndpoint(tx, parsed.data, { userId: req.user!.id }, { config: deps.config, now: deps.now() }));
      await page(res, 201, { newSecret: { url: endpoint.url, secret } });
    } catch (err) {
      // A refused address or a full list: the form again, with the reason, nothing written.
      if (!(err instanceof DomainError)) throw err;
      await page(res, statusOf(err), { hookErrors: err instanceof InvalidFields ? err.errors : { _form: err.message }, hookValues: formValues(req.body) });
    }
  });

  r.post('/webhooks/:id/enable', async (req, res) => {
    const id = uuidParam(req.params.id);
    if (!(await withTenant(deps.db, tenantId(res), (tx) => enableEndpoint(tx, id, { userId: req.user!.id })))) throw notFound('No such endpoint.');
    req.session.flash = 'The webhook endpoint is on. New events are delivered to it from now on.';
    res.redirect(303, '/admin/developers');
  });

  r.post('/webhooks/:id/delete', async (req, res) => {
    const id = uuidParam(req.params.id);
    if (!(await withTenant(deps.db, tenantId(res), (tx) => deleteEndpoint(tx, id, { userId: req.user!.id })))) throw notFound('No such endpoint.');
    req.session.flash = 'The webhook endpoint is removed.';
    res.redirect(303, '/admin/developers');
  });
  return r;
}
