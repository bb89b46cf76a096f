import path from 'node:path';
import { Eta } from 'eta';
import { tenantOrigin, type Config } from '../config.ts';
import type { TenantTx } from '../db/tenant.ts';
import { VIEWS_DIR } from '../http/views.ts';
import { queueNotification } from '../notifications/queries.ts';
import { textEta, type Rendered } from '../notifications/render.ts';
import type { Tenant } from '../tenancy/queries.ts';
import type { WebhookEndpoint } from './service.ts';

/**
 * The owner hears of every endpoint added (booking data leaves for that URL
 * from now on, whoever added it) and of every endpoint the worker turns off.
 * Both are staff messages through the notification pipeline: a row and a
 * send job in the caller's transaction, rendered when sent.
 */
export type WebhookNoticeKind = 'webhook_endpoint_created' | 'webhook_endpoint_disabled';

export const isWebhookNotice = (kind: string): kind is WebhookNoticeKind => kind === 'webhook_endpoint_created' || kind === 'webhook_endpoint_disabled';

export async function queueOwnerNotice(tx: TenantTx, kind: WebhookNoticeKind, e: WebhookEndpoint, now: Date): Promise<void> {
  const owner = await tx('users').where({ role: 'owner' }).first<{ email: string } | undefined>('email');
  if (!owner) return;
  await queueNotification(tx, {
    bookingId: null,
    kind,
    to: owner.email,
    scheduledFor: now,
    payload: {
      endpointId: e.id,
      url: shownUrl(e.url),
      events: e.events,
      ...(kind === 'webhook_endpoint_created' ? { addedBy: await describeCreator(tx, e) } : { lastError: e.lastError, failures: e.consecutiveFailures }),
    },
  });
}

/** The URL without its query string, which often carries the receiver's own token. */
function shownUrl(url: string): string {
  const u = new URL(url);
  return `${u.origin}${u.pathname}`;
}

async function describeCreator(tx: TenantTx, e: WebhookEndpoint): Promise<string> {
  if (e.createdByApiKey) {
    const key = await tx('api_keys').where({ id: e.createdByApiKey }).first<{ name: string } | undefined>('name');
    return `a request with the API key “${key?.name ?? 'unknown'}”`;
  }
  const user = e.createdBy ? await tx('users').where({ id: e.createdBy }).first<{ name: string; email: string } | undefined>('name', 'email') : undefined;
  return user ? `${user.name} (${user.email})` : 'someone on your team';
}

const EMAILS = path.join(VIEWS_DIR, 'emails');
// HTML escapes what it prints; plain text must not, and keeps its line breaks (as in src/notifications/render.ts).
const html = new Eta({ views: EMAILS, autoEscape: true, cache: true });
const text = textEta();

export function renderWebhookNotice(config: Pick<Config, 'scheme' | 'baseDomain'>, tenant: Tenant, kind: WebhookNoticeKind, payload: Record<string, unknown>): Rendered {
  const data = {
    tenant,
    kind,
    headline: kind === 'webhook_endpoint_created' ? 'A webhook endpoint was added' : 'A webhook endpoint was turned off',
    url: String(payload.url ?? ''),
    events: Array.isArray(payload.events) ? payload.events.join(', ') : '',
    addedBy: String(payload.addedBy ?? 'someone on your team'),
    lastError: String(payload.lastError ?? 'unknown'),
    failures: Number(payload.failures ?? 0),
    dashboardUrl: `${tenantOrigin(config, tenant.slug)}/admin/developers`,
  };
  const subject = kind === 'webhook_endpoint_created' ? `Webhook endpoint added: ${data.url}` : `Webhook endpoint turned off: ${data.url}`;
  // It names the endpoint's URL, which carries no access: nothing to keep out of the outbox.
  return { subject, html: html.render('./webhook-notice.html.eta', data), text: text.render('./webhook-notice.txt.eta', data), attachments: [], secrets: [] };
}
