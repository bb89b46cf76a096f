import express, { Router } from 'express';
import type { AppDeps } from '../deps.ts';
import { notFound } from '../http/errors.ts';
import { requireApiKey } from './auth.ts';
import { bookingApi } from './booking-routes.ts';
import { waitlistApi } from './waitlist-routes.ts';
import { catalogApi } from './catalog-routes.ts';
import { idempotency } from './idempotency.ts';
import { openApiDocument } from './openapi.ts';
import { webhookApi } from './webhook-routes.ts';
import { settingsApi } from './settings-routes.ts';
import { seriesApi } from './series-routes.ts';

/**
 * /api: JSON only, bearer keys only (no cookies, so no session and no CSRF).
 * The OpenAPI document is public; everything else sits behind
 * `requireApiKey`, applied here once for the whole router.
 */
export function apiRoutes(deps: AppDeps): Router {
  const r = Router();
  r.get('/v1/openapi.json', (_req, res) => void res.json(openApiDocument(deps.config)));
  const v1 = Router();
  v1.use(catalogApi(deps), bookingApi(deps), seriesApi(deps), webhookApi(deps), settingsApi(deps), waitlistApi(deps));
  r.use('/v1', express.json({ limit: '100kb', strict: true, type: () => true }), requireApiKey(deps), idempotency(deps), v1);
  r.use(() => {
    throw notFound('No such API endpoint.');
  });
  return r;
}
