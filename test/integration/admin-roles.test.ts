import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApp } from '../../src/http/app.ts';
import { withTenant } from '../../src/db/tenant.ts';
import { hashPassword } from '../../src/auth/passwords.ts';
import { insertUser } from '../../src/auth/queries.ts';
import type { AppDeps } from '../../src/deps.ts';
import { createTestDb, testDeps, type TestDb } from '../support/db.ts';
import { makeTenant, signedIn } from '../support/http.ts';
import { concretePath, listRoutes } from '../support/routes.ts';

/**
 * Every /admin route, as a signed-in member of staff: the routes staff may
 * use are listed here on purpose; every other one — including any route
 * added later — must answer 403 and change nothing.
 */
// Their own password (/admin/account) is every signed-in person's. Staff also connect their own
// resource's calendars (each route scoped to their resources: test/integration/calendar-google.test.ts).
const STAFF_MAY = [/^\/admin$/, /^\/admin\/day$/, /^\/admin\/week$/, /^\/admin\/bookings/, /^\/admin\/blocks/, /^\/admin\/account\//, /^\/admin\/calendars/];

let t: TestDb;
let deps: AppDeps;
const HOST = 'roles.slotwise.test';

beforeAll(async () => {
  t = await createTestDb();
  deps = testDeps(t, undefined, { RATE_LIMIT_MULTIPLIER: '100' });
  const { tenant } = await makeTenant(deps, 'roles');
  await withTenant(deps.db, tenant.id, async (tx) => insertUser(tx, { email: 'staff@roles.example', name: 'Staff', role: 'staff', passwordHash: await hashPassword('correct-horse-battery') }));
});
afterAll(() => t.drop());

describe('staff and the dashboard', () => {
  it('are refused every admin route outside their own bookings and blocks', async () => {
    const app = createApp(deps);
    const staff = await signedIn(app, HOST, 'staff@roles.example');
    const routes = listRoutes(app).filter((r) => r.path.startsWith('/admin') && !STAFF_MAY.some((re) => re.test(r.path)));
    expect(routes.length).toBeGreaterThan(20);
    const before = await t.owner.raw(`select (select count(*) from audit_log) + (select count(*) from users) + (select count(*) from resources) as n`);
    for (const route of routes) {
      for (const method of route.methods.filter((m) => m === 'GET' || m === 'POST')) {
        const path = concretePath(route.path);
        const res = method === 'GET' ? await staff.get(path) : await staff.post(path, { name: 'x', email: 'x@example.com', role: 'admin' });
        expect(res.status, `${method} ${route.path}`).toBe(403);
      }
    }
    const after = await t.owner.raw(`select (select count(*) from audit_log) + (select count(*) from users) + (select count(*) from resources) as n`);
    expect(after.rows[0].n).toBe(before.rows[0].n);
  });
});
