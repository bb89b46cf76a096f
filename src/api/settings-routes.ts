import { Router, type Response } from 'express';
import type { AppDeps } from '../deps.ts';
import { withTenant } from '../db/tenant.ts';
import { currentTenant, updateCancellationPolicy, type Tenant } from '../tenancy/queries.ts';
import type { CancellationPolicy } from '../tenancy/policy.ts';
import { CancellationPolicyBody, parse } from './schemas.ts';

const policyJson = (p: CancellationPolicy) => ({
  object: 'cancellation_policy',
  tiers: p.tiers.map((t) => ({ hours_before: t.hoursBefore, refund_percent: t.refundPercent })),
  same_day_refund_percent: p.sameDayRefundPercent,
});

/** The business's settings that integrators may read and set: the cancellation policy (refunds follow it). */
export function settingsApi(deps: AppDeps): Router {
  const r = Router();
  const tenantId = (res: Response) => (res.locals.tenant as Tenant).id;

  r.get('/settings/cancellation_policy', async (_req, res) => {
    const tenant = await withTenant(deps.db, tenantId(res), (tx) => currentTenant(tx));
    res.json(policyJson(tenant.cancellationPolicy));
  });

  r.put('/settings/cancellation_policy', async (req, res) => {
    const b = parse(CancellationPolicyBody, req.body);
    const policy: CancellationPolicy = {
      tiers: b.tiers.map((t) => ({ hoursBefore: t.hours_before, refundPercent: t.refund_percent })).sort((x, y) => y.hoursBefore - x.hoursBefore),
      sameDayRefundPercent: b.same_day_refund_percent,
    };
    await withTenant(deps.db, tenantId(res), (tx) => updateCancellationPolicy(tx, policy));
    res.json(policyJson(policy));
  });
  return r;
}
