import type { Config } from '../config.ts';
import { tenantOrigin } from '../config.ts';
import type { TenantTx } from '../db/tenant.ts';
import { newToken, tokenDigest } from '../auth/tokens.ts';
import { fold, icsText as text } from '../notifications/ics.ts';
import type { Tenant } from '../tenancy/queries.ts';

/**
 * ICS export (issue 17): a secret feed URL per resource, and one for the
 * whole business, that any calendar app can subscribe to. The token is 256
 * random bits; only its HMAC is stored, so the URL is shown once, when made.
 * Making a new one replaces the old (which stops working); revoking deletes it.
 * Events carry stable UIDs (the booking's id) and UTC times.
 */
export const FEED_PAST_DAYS = 30;

export async function newFeed(tx: TenantTx, config: Pick<Config, 'sessionSecret'>, resourceId: string | null): Promise<string> {
  const token = newToken();
  await revokeFeed(tx, resourceId);
  await tx('ics_feeds').insert({ tenant_id: tx.tenantId, resource_id: resourceId, token_hash: tokenDigest(config.sessionSecret, token) });
  return token;
}

export async function revokeFeed(tx: TenantTx, resourceId: string | null): Promise<boolean> {
  const q = tx('ics_feeds');
  return (await (resourceId ? q.where({ resource_id: resourceId }) : q.whereNull('resource_id')).del()) > 0;
}

export async function feedsOf(tx: TenantTx): Promise<{ resource_id: string | null; created_at: Date }[]> {
  return tx('ics_feeds').select('resource_id', 'created_at');
}

export const feedUrl = (config: Pick<Config, 'scheme' | 'baseDomain'>, tenant: Pick<Tenant, 'slug'>, token: string) =>
  `${tenantOrigin(config, tenant.slug)}/calendar/feeds/${token}.ics`;

/** The feed a token opens in this tenant, or undefined. */
export async function feedByToken(tx: TenantTx, config: Pick<Config, 'sessionSecret'>, token: string): Promise<{ resource_id: string | null } | undefined> {
  return tx('ics_feeds').where({ token_hash: tokenDigest(config.sessionSecret, token) }).first('resource_id');
}

const utc = (d: Date) => d.toISOString().replace(/[-:]/g, '').replace(/\.\d{3}/, '');

/** The feed's calendar: active bookings from 30 days ago on, of the resource or of every resource. */
export async function feedCalendar(tx: TenantTx, config: Pick<Config, 'baseDomain'>, tenant: Tenant, resourceId: string | null, now: Date): Promise<string> {
  const q = tx('bookings as b')
    .join('services as s', function () {
      this.on('s.tenant_id', 'b.tenant_id').andOn('s.id', 'b.service_id');
    })
    .join('resources as r', function () {
      this.on('r.tenant_id', 'b.tenant_id').andOn('r.id', 'b.resource_id');
    })
    .whereIn('b.status', ['pending', 'held', 'confirmed', 'completed'])
    .where('b.ends_at', '>', new Date(now.getTime() - FEED_PAST_DAYS * 86_400_000))
    .orderBy('b.starts_at')
    .limit(5000)
    .select('b.id', 'b.starts_at', 'b.ends_at', 'b.sequence', 'b.updated_at', 'b.customer_name', 's.name as service_name', 'r.name as resource_name');
  if (resourceId) q.where('b.resource_id', resourceId);
  const rows = await q;
  const lines = ['BEGIN:VCALENDAR', 'VERSION:2.0', 'PRODID:-//Slotwise//Feed//EN', 'CALSCALE:GREGORIAN', 'METHOD:PUBLISH', `X-WR-CALNAME:${text(tenant.name)}`];
  for (const b of rows) {
    lines.push(
      'BEGIN:VEVENT',
      `UID:${b.id}@${config.baseDomain.replace(/:\d+$/, '')}`,
      `SEQUENCE:${b.sequence}`,
      `DTSTAMP:${utc(b.updated_at)}`,
      `DTSTART:${utc(b.starts_at)}`,
      `DTEND:${utc(b.ends_at)}`,
      `SUMMARY:${text(`${b.service_name}: ${b.customer_name}`)}`,
      `DESCRIPTION:${text(`${b.service_name} with ${b.resource_name}`)}`,
      'STATUS:CONFIRMED',
      'END:VEVENT',
    );
  }
  lines.push('END:VCALENDAR');
  return lines.map(fold).join('\r\n') + '\r\n';
}
