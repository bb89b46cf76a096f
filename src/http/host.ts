import type { RequestHandler, Response } from 'express';
import type { AppDeps } from '../deps.ts';
import { cachedTenantBySlug, type Tenant } from '../tenancy/queries.ts';
import { describePolicy } from '../tenancy/policy.ts';

export type Site = { kind: 'root' } | { kind: 'tenant'; slug: string } | { kind: 'unknown' };

/** Which site a Host header names: the root domain, a tenant subdomain, or neither. */
export function siteForHost(host: string | undefined, baseDomain: string): Site {
  const h = (host ?? '').toLowerCase();
  if (h === baseDomain || h === `www.${baseDomain}`) return { kind: 'root' };
  const suffix = `.${baseDomain}`;
  if (h.endsWith(suffix)) {
    const label = h.slice(0, -suffix.length);
    if (/^[a-z0-9-]{1,63}$/.test(label)) return { kind: 'tenant', slug: label };
  }
  return { kind: 'unknown' };
}

/**
 * Resolve the tenant of a subdomain request into `res.locals.tenant`.
 * An unknown subdomain gets the branded 404 page here, before any router.
 */
export function resolveTenant(deps: AppDeps): RequestHandler {
  return async (req, res, next) => {
    const site = siteForHost(req.host, deps.config.baseDomain);
    res.locals.site = site;
    if (site.kind !== 'tenant') return next();
    const tenant = await cachedTenantBySlug(deps.db, site.slug);
    if (!tenant) {
      res.status(404).render('errors/unknown-tenant', { title: 'No such booking page', slug: site.slug });
      return;
    }
    useTenant(res, tenant);
    next();
  };
}

/**
 * The request's tenant, and what every page derives from it. Routing uses
 * a copy up to TENANT_CACHE_MS old (`cachedTenantBySlug`); a router whose
 * pages edit or decide by the tenant's settings (the dashboard, the manage
 * link) reads the row again and puts it here.
 */
export function useTenant(res: Response, tenant: Tenant): void {
  res.locals.tenant = tenant;
  // The cancellation policy in words, for every page that shows it.
  res.locals.policyLines = describePolicy(tenant.cancellationPolicy);
}
