import express from 'express';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApp } from '../../src/http/app.ts';
import type { AppDeps } from '../../src/deps.ts';
import { createTestDb, testDeps, type TestDb } from '../support/db.ts';
import { Client, makeTenant } from '../support/http.ts';
import { concretePath, listRoutes } from '../support/routes.ts';

let t: TestDb;
let deps: AppDeps;
const HOST = 'guarded.slotwise.test';
/** Routes that are public on purpose. Anything else under /admin or /api must refuse anonymous callers. */
const PUBLIC = new Set(['GET /api/v1/openapi.json']);

beforeAll(async () => {
  t = await createTestDb();
  deps = testDeps(t);
  await makeTenant(deps, 'guarded');
});
afterAll(() => t.drop());

/** Anonymous callers of every /admin and /api route: the statuses they got, keyed by "METHOD path". */
async function anonymousAnswers(app: express.Express): Promise<Map<string, number>> {
  const c = new Client(app, HOST);
  await c.open('/login'); // a valid CSRF token, so CSRF is not what refuses the request
  const answers = new Map<string, number>();
  const guarded = listRoutes(app).filter((r) => r.path.startsWith('/admin') || r.path.startsWith('/api'));
  for (const route of guarded) {
    for (const method of route.methods.filter((m) => m !== 'HEAD' && m !== '_ALL')) {
      const path = concretePath(route.path);
      const res = await c.agent[method.toLowerCase() as 'get'](path)
        .set('Host', HOST)
        .set('X-CSRF-Token', c.token)
        .set('Accept', 'application/json');
      if (!PUBLIC.has(`${method} ${route.path}`)) answers.set(`${method} ${route.path}`, res.status);
    }
  }
  return answers;
}

describe('default-deny routers', () => {
  it('refuses anonymous requests to every /admin and /api route', async () => {
    const answers = await anonymousAnswers(createApp(deps));
    expect([...answers.keys()]).toEqual(expect.arrayContaining([
      'GET /admin', 'GET /admin/settings', 'POST /admin/settings', 'GET /api/v1/resources', 'POST /api/v1/bookings', 'DELETE /api/v1/services/:id',
      // The as-you-type checks (htmx) are routes like any other: behind the same guard.
      'POST /admin/services/check', 'POST /admin/resources/check', 'POST /admin/resources/:id/hours/check', 'POST /admin/resources/:id/overrides/check', 'POST /admin/holidays/check',
      'POST /admin/services/:id/check', 'POST /admin/resources/:id/check',
      // A booking made by staff for a customer.
      'GET /admin/bookings/new', 'POST /admin/bookings/new',
    ]));
    for (const [route, status] of answers) expect(status, route).toBe(401);
  });

  it('would catch a route added without the guard', async () => {
    const app = createApp(deps);
    // A careless addition registered straight on the app, ahead of the 404 handler.
    const careless = express.Router();
    careless.get('/admin/careless', (_req, res) => void res.send('oops'));
    (app as unknown as { router: { stack: unknown[] } }).router.stack.unshift(...(careless as unknown as { stack: unknown[] }).stack);
    const answers = await anonymousAnswers(app);
    expect(answers.get('GET /admin/careless')).toBe(200);
  });

  it('sends anonymous browsers to the login page', async () => {
    const res = await new Client(createApp(deps), HOST).get('/admin/settings').set('Accept', 'text/html');
    expect(res.status).toBe(303);
    expect(res.headers.location).toBe('/login?next=%2Fadmin%2Fsettings');
  });
});
