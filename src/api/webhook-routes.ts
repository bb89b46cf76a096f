import { Router, type Response } from 'express';
import type { AppDeps } from '../deps.ts';
import { withTenant } from '../db/tenant.ts';
import { notFound } from '../http/errors.ts';
import { uuidParam } from '../http/params.ts';
import { createEndpoint, deleteEndpoint, endpointById, listEndpoints } from '../webhooks/service.ts';
import type { Tenant } from '../tenancy/queries.ts';
import { ListQuery, parse, WebhookCreate } from './schemas.ts';
import { list, webhookEndpointJson } from './serialize.ts';

/** Webhook endpoints. The signing secret is returned once, at creation. */
export function webhookApi(deps: AppDeps): Router {
  const r = Router();
  const tx = <T>(res: Response, fn: Parameters<typeof withTenant<T>>[2]) => withTenant(deps.db, (res.locals.tenant as Tenant).id, fn);
  const idParam = (v: unknown) => uuidParam(v, 'No such webhook endpoint.');

  r.get('/webhook_endpoints', async (req, res) => {
    const q = parse(ListQuery, req.query);
    const page = await tx(res, (t) => listEndpoints(t, { limit: q.limit, startingAfter: q.starting_after }));
    res.json(list(page.data.map(webhookEndpointJson), page.hasMore));
  });
  r.post('/webhook_endpoints', async (req, res) => {
    const b = parse(WebhookCreate, req.body);
    const by = { apiKeyId: String(res.locals.apiKeyId) };
    const { endpoint, secret } = await tx(res, (t) => createEndpoint(t, { url: b.url, events: b.events, description: b.description }, by, { config: deps.config, now: deps.now() }));
    res.status(201).json({ ...webhookEndpointJson(endpoint), secret });
  });
  r.get('/webhook_endpoints/:id', async (req, res) => {
    const e = await tx(res, (t) => endpointById(t, idParam(req.params.id)));
    if (!e) throw notFound('No such webhook endpoint.');
    res.json(webhookEndpointJson(e));
  });
  r.delete('/webhook_endpoints/:id', async (req, res) => {
    if (!(await tx(res, (t) => deleteEndpoint(t, idParam(req.params.id))))) throw notFound('No such webhook endpoint.');
    res.status(204).end();
  });
  return r;
}
