import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { withTenant } from '../../src/db/tenant.ts';
import type { AppDeps } from '../../src/deps.ts';
import { cachedTenantBySlug, updateBranding } from '../../src/tenancy/queries.ts';
import { createTestDb, testDeps, type TestDb } from '../support/db.ts';
import { createApp } from '../../src/http/app.ts';
import { makeTenant, signedIn } from '../support/http.ts';

/** Host → tenant, remembered per process for a moment (src/tenancy/queries.ts). */
let t: TestDb;
let deps: AppDeps;
beforeAll(async () => {
  t = await createTestDb();
  deps = testDeps(t);
  await makeTenant(deps, 'cached');
});
afterAll(() => t.drop());

describe('cachedTenantBySlug', () => {
  it('shares one read between requests that arrive together', async () => {
    const all = await Promise.all(Array.from({ length: 50 }, () => cachedTenantBySlug(deps.db, 'cached')));
    expect(all[0]?.slug).toBe('cached');
    expect(new Set(all).size).toBe(1); // one object: one read
  });

  it('serves the saved settings at once in the process that saved them', async () => {
    const before = await cachedTenantBySlug(deps.db, 'cached');
    await withTenant(deps.db, before!.id, (tx) => updateBranding(tx, { name: 'Renamed', logoUrl: null, accentColor: '#123456', timeZone: 'UTC' }));
    const after = await cachedTenantBySlug(deps.db, 'cached');
    expect(after).toMatchObject({ name: 'Renamed', accentColor: '#123456', timeZone: 'UTC' });
  });

  it('does not remember unknown names, so one created later is found at once', async () => {
    expect(await cachedTenantBySlug(deps.db, 'later')).toBeUndefined();
    await makeTenant(deps, 'later');
    expect((await cachedTenantBySlug(deps.db, 'later'))?.slug).toBe('later');
  });

  it('lets the dashboard show and edit the settings as they are now, not the routing copy', async () => {
    await makeTenant(deps, 'fresh', { email: 'owner@fresh.example' });
    const app = createApp(deps);
    const owner = await signedIn(app, 'fresh.slotwise.test', 'owner@fresh.example');
    expect((await owner.get('/')).text).toContain('fresh business'); // the routing copy is now cached
    // Another process saves (this one cannot forget its copy).
    await t.owner('tenants').where({ slug: 'fresh' }).update({ name: 'Fresh Renamed', booking_intro: 'New intro' });
    const settings = await owner.get('/admin/settings');
    expect(settings.text).toContain('Fresh Renamed');
    expect(settings.text).toContain('New intro');
  });
});
