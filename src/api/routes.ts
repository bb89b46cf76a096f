import { Router } from 'express';

/**
 * Public JSON API v1. Mounted behind `requireApiKey` in src/http/app.ts.
 * Resources, services, availability and bookings arrive with the API issue.
 */
export function apiRoutes(): Router {
  const r = Router();
  r.get('/v1', (_req, res) => {
    res.json({ name: 'Slotwise API', version: 'v1', tenant_id: res.locals.tenant?.id ?? null });
  });
  return r;
}
