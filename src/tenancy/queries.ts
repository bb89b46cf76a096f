import type { Database } from '../db/database.ts';
import type { TenantTx } from '../db/tenant.ts';

export interface Tenant {
  id: string;
  slug: string;
  name: string;
  timeZone: string;
  logoUrl: string | null;
  accentColor: string;
}

interface TenantRow {
  id: string;
  slug: string;
  name: string;
  time_zone: string;
  logo_url: string | null;
  accent_color: string;
}

const toTenant = (r: TenantRow): Tenant => ({
  id: r.id,
  slug: r.slug,
  name: r.name,
  timeZone: r.time_zone,
  logoUrl: r.logo_url,
  accentColor: r.accent_color,
});

/**
 * Host name → tenant, before any tenant is known: the one cross-tenant read
 * of a request, through the owner's narrow SECURITY DEFINER function.
 */
export async function tenantBySlug(db: Database, slug: string): Promise<Tenant | undefined> {
  const { rows } = await db.app.raw<{ rows: TenantRow[] }>('select * from app_private.tenant_by_slug(?)', [slug]);
  return rows[0] ? toTenant(rows[0]) : undefined;
}

/** Every tenant id, for maintenance jobs that then open `withTenant` per tenant. */
export async function allTenantIds(db: Database): Promise<string[]> {
  const { rows } = await db.app.raw<{ rows: { id: string }[] }>('select id from app_private.tenant_ids() as id');
  return rows.map((r) => r.id);
}

export async function currentTenant(tx: TenantTx): Promise<Tenant> {
  const row = await tx<TenantRow>('tenants').where({ id: tx.tenantId }).first();
  if (!row) throw new Error(`tenant ${tx.tenantId} not visible in its own transaction`);
  return toTenant(row);
}

export async function insertTenant(tx: TenantTx, t: Omit<Tenant, 'id' | 'logoUrl' | 'accentColor'>): Promise<void> {
  await tx('tenants').insert({ id: tx.tenantId, slug: t.slug, name: t.name, time_zone: t.timeZone });
}

export async function updateBranding(tx: TenantTx, b: Pick<Tenant, 'name' | 'logoUrl' | 'accentColor' | 'timeZone'>): Promise<void> {
  await tx('tenants')
    .where({ id: tx.tenantId })
    .update({ name: b.name, logo_url: b.logoUrl, accent_color: b.accentColor, time_zone: b.timeZone, updated_at: tx.fn.now() });
}
