import { perDatabase, type Database } from '../db/database.ts';
import type { TenantTx } from '../db/tenant.ts';
import type { CancellationPolicy } from './policy.ts';
import type { BusinessContact } from './contact.ts';

export interface Tenant {
  id: string;
  slug: string;
  name: string;
  timeZone: string;
  logoUrl: string | null;
  accentColor: string;
  /** Minutes before a booking's start at which customers get a reminder. */
  reminderOffsets: number[];
  /** Where staff notifications also go (the front desk). */
  notificationEmail: string | null;
  /** Customers may not cancel or move a booking closer to its start than this. */
  changeCutoffMinutes: number;
  customersMayCancel: boolean;
  customersMayReschedule: boolean;
  currency: string;
  bookingIntro: string;
  cancellationPolicy: CancellationPolicy;
  /** The most active bookings one email address may make online on one of the business's days; null: no cap. */
  maxOnlineBookingsPerCustomerDay: number | null;
  /** The business's connected Stripe account (Connect, Standard), if any. */
  stripeAccountId: string | null;
  /** Stripe's `charges_enabled` for it, as last read: only then are payments taken online. */
  stripeChargesEnabled: boolean;
  stripeDetailsSubmitted: boolean;
  /** How long an unpaid booking holds its time (≥ 30, Checkout's shortest session). */
  holdMinutes: number;
  /** How long a time freed up is held for the waitlisted customer it is offered to (src/waitlist). */
  waitlistHoldMinutes: number;
  /** How customers reach the business (each part optional). */
  contact: BusinessContact;
}

interface TenantRow {
  id: string;
  slug: string;
  name: string;
  time_zone: string;
  logo_url: string | null;
  accent_color: string;
  reminder_offsets_minutes: number[];
  notification_email: string | null;
  customer_change_cutoff_minutes: number;
  customers_may_cancel: boolean;
  customers_may_reschedule: boolean;
  currency: string;
  booking_intro: string;
  cancellation_policy: CancellationPolicy;
  max_online_bookings_per_customer_day: number | null;
  stripe_account_id: string | null;
  stripe_charges_enabled: boolean;
  stripe_details_submitted: boolean;
  hold_minutes: number;
  waitlist_hold_minutes: number;
  contact_phone: string | null;
  contact_email: string | null;
  contact_address: string | null;
}

const toTenant = (r: TenantRow): Tenant => ({
  id: r.id,
  slug: r.slug,
  name: r.name,
  timeZone: r.time_zone,
  logoUrl: r.logo_url,
  accentColor: r.accent_color,
  reminderOffsets: r.reminder_offsets_minutes,
  notificationEmail: r.notification_email,
  changeCutoffMinutes: r.customer_change_cutoff_minutes,
  customersMayCancel: r.customers_may_cancel,
  customersMayReschedule: r.customers_may_reschedule,
  currency: r.currency,
  bookingIntro: r.booking_intro,
  cancellationPolicy: r.cancellation_policy,
  maxOnlineBookingsPerCustomerDay: r.max_online_bookings_per_customer_day,
  stripeAccountId: r.stripe_account_id,
  stripeChargesEnabled: r.stripe_charges_enabled,
  stripeDetailsSubmitted: r.stripe_details_submitted,
  holdMinutes: r.hold_minutes,
  waitlistHoldMinutes: r.waitlist_hold_minutes,
  contact: { phone: r.contact_phone, email: r.contact_email, address: r.contact_address },
});

/**
 * Host name → tenant, before any tenant is known: the one cross-tenant read
 * of a request, through the owner's narrow SECURITY DEFINER function.
 */
export async function tenantBySlug(db: Database, slug: string): Promise<Tenant | undefined> {
  const { rows } = await db.app.raw<{ rows: TenantRow[] }>('select * from app_private.tenant_by_slug(?)', [slug]);
  return rows[0] ? toTenant(rows[0]) : undefined;
}

/**
 * `tenantBySlug` for request routing, remembered per process for
 * TENANT_CACHE_MS: every request of a tenant's pages needs its tenant, and
 * the read was a round trip of every page view and booking. A change to a
 * tenant's settings takes effect at once in the process that saved it (the
 * update functions below forget it) and within TENANT_CACHE_MS in others.
 * Unknown hosts are not remembered, so guessing names cannot fill memory.
 */
export async function cachedTenantBySlug(db: Database, slug: string): Promise<Tenant | undefined> {
  const key = `${databaseKey(db)}:${slug}`;
  const hit = tenantCache.get(key);
  const now = Date.now();
  if (hit && hit.expires > now) return hit.tenant;
  // The read itself is shared: requests that arrive while it runs (every
  // request of a busy tenant, when the copy expires) wait for the same one.
  const read = tenantBySlug(db, slug);
  if (tenantCache.size >= TENANT_CACHE_MAX) tenantCache.clear();
  const entry: { tenant: Promise<Tenant | undefined>; expires: number; id?: string } = { tenant: read, expires: now + TENANT_CACHE_MS };
  tenantCache.set(key, entry);
  const forget = () => {
    if (tenantCache.get(key) === entry) tenantCache.delete(key);
  };
  try {
    const tenant = await read;
    if (tenant) entry.id = tenant.id;
    else forget();
    return tenant;
  } catch (err) {
    forget();
    throw err;
  }
}

export const TENANT_CACHE_MS = 2000;
const TENANT_CACHE_MAX = 10_000;
const tenantCache = new Map<string, { tenant: Promise<Tenant | undefined>; expires: number; id?: string }>();
/** Each Database its own key space (tests run several in one process). */
let databaseCount = 0;
const databaseKey = perDatabase(() => ++databaseCount);

/** Forget a tenant's cached copy in this process, after changing it. */
function forgetTenant(id: string): void {
  // A read still in flight may have seen the old row: forget those too.
  for (const [key, entry] of tenantCache) if (entry.id === undefined || entry.id === id) tenantCache.delete(key);
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

export async function insertTenant(tx: TenantTx, t: Pick<Tenant, 'slug' | 'name' | 'timeZone'>): Promise<void> {
  await tx('tenants').insert({ id: tx.tenantId, slug: t.slug, name: t.name, time_zone: t.timeZone });
}

export async function updateBranding(tx: TenantTx, b: Pick<Tenant, 'name' | 'logoUrl' | 'accentColor' | 'timeZone'>): Promise<void> {
  forgetTenant(tx.tenantId);
  await tx('tenants')
    .where({ id: tx.tenantId })
    .update({ name: b.name, logo_url: b.logoUrl, accent_color: b.accentColor, time_zone: b.timeZone, updated_at: tx.fn.now() });
}

export async function updateContact(tx: TenantTx, c: BusinessContact): Promise<void> {
  forgetTenant(tx.tenantId);
  await tx('tenants').where({ id: tx.tenantId }).update({
    contact_phone: c.phone, contact_email: c.email, contact_address: c.address, updated_at: tx.fn.now(),
  });
}

export type NotificationSettings = Pick<Tenant, 'reminderOffsets' | 'notificationEmail' | 'changeCutoffMinutes' | 'customersMayCancel' | 'customersMayReschedule'>;

export async function updateNotificationSettings(tx: TenantTx, n: NotificationSettings): Promise<void> {
  forgetTenant(tx.tenantId);
  await tx('tenants').where({ id: tx.tenantId }).update({
    reminder_offsets_minutes: n.reminderOffsets,
    notification_email: n.notificationEmail,
    customer_change_cutoff_minutes: n.changeCutoffMinutes,
    customers_may_cancel: n.customersMayCancel,
    customers_may_reschedule: n.customersMayReschedule,
    updated_at: tx.fn.now(),
  });
}

export type BookingPageSettings = Pick<Tenant, 'currency' | 'bookingIntro' | 'cancellationPolicy' | 'maxOnlineBookingsPerCustomerDay'>;

export async function updateBookingPageSettings(tx: TenantTx, b: BookingPageSettings): Promise<void> {
  forgetTenant(tx.tenantId);
  await tx('tenants').where({ id: tx.tenantId }).update({
    currency: b.currency, booking_intro: b.bookingIntro, cancellation_policy: JSON.stringify(b.cancellationPolicy),
    max_online_bookings_per_customer_day: b.maxOnlineBookingsPerCustomerDay, updated_at: tx.fn.now(),
  });
}

/** The connected Stripe account and what Stripe says of it (dashboard onboarding, `stripe:connect`). */
export async function updateStripeAccount(tx: TenantTx, a: { accountId: string | null; chargesEnabled: boolean; detailsSubmitted: boolean }): Promise<void> {
  forgetTenant(tx.tenantId);
  await tx('tenants').where({ id: tx.tenantId }).update({
    stripe_account_id: a.accountId, stripe_charges_enabled: a.chargesEnabled, stripe_details_submitted: a.detailsSubmitted, updated_at: tx.fn.now(),
  });
}

export async function updateHoldMinutes(tx: TenantTx, minutes: number): Promise<void> {
  forgetTenant(tx.tenantId);
  await tx('tenants').where({ id: tx.tenantId }).update({ hold_minutes: minutes, updated_at: tx.fn.now() });
}

export async function updateWaitlistHoldMinutes(tx: TenantTx, minutes: number): Promise<void> {
  forgetTenant(tx.tenantId);
  await tx('tenants').where({ id: tx.tenantId }).update({ waitlist_hold_minutes: minutes, updated_at: tx.fn.now() });
}

export async function updateCancellationPolicy(tx: TenantTx, policy: CancellationPolicy): Promise<void> {
  forgetTenant(tx.tenantId);
  await tx('tenants').where({ id: tx.tenantId }).update({ cancellation_policy: JSON.stringify(policy), updated_at: tx.fn.now() });
}
