import { randomBytes, randomUUID } from 'node:crypto';
import type { TenantTx } from '../db/tenant.ts';
import { pageOf } from '../db/paging.ts';
import { taskName } from '../jobs/enqueue.ts';
import { audit } from '../audit/log.ts';
import { checkOutboundUrl, type OutboundConfig } from '../http/outbound.ts';
import { endpointRefused, tooManyEndpoints } from './errors.ts';
import { queueOwnerNotice } from './notices.ts';

export const WEBHOOK_EVENTS = ['booking.created', 'booking.cancelled', 'booking.rescheduled', 'booking.requested', 'booking.declined'] as const;
export type WebhookEvent = (typeof WEBHOOK_EVENTS)[number];

/** A tenant keeps at most this many endpoints: each one costs deliveries on every booking change. */
export const MAX_ENDPOINTS_PER_TENANT = 20;

export interface WebhookEndpoint {
  id: string;
  url: string;
  events: WebhookEvent[];
  description: string;
  active: boolean;
  createdAt: Date;
  /** The dashboard user who added it, or the one who made the API key that did. */
  createdBy: string | null;
  createdByApiKey: string | null;
  /** Failed attempts in a row; a success resets it. */
  consecutiveFailures: number;
  /** The last failure in short words ("timed out", "HTTP 500"), safe to show. */
  lastError: string | null;
  /** When the worker turned it off after too many failures in a row. */
  disabledAt: Date | null;
}

interface EndpointRow {
  id: string;
  url: string;
  secret: string;
  events: WebhookEvent[];
  description: string;
  active: boolean;
  created_at: Date;
  created_by: string | null;
  created_by_api_key: string | null;
  consecutive_failures: number;
  last_error: string | null;
  disabled_at: Date | null;
}

const toEndpoint = (r: EndpointRow): WebhookEndpoint => ({
  id: r.id, url: r.url, events: r.events, description: r.description, active: r.active, createdAt: r.created_at,
  createdBy: r.created_by, createdByApiKey: r.created_by_api_key, consecutiveFailures: r.consecutive_failures, lastError: r.last_error, disabledAt: r.disabled_at,
});

/** Who adds an endpoint: a signed-in user, or a request with an API key. */
export type EndpointCreator = { userId: string } | { apiKeyId: string };

/**
 * Add an endpoint, for the dashboard and the API alike: the URL must pass
 * the outbound client's registration check (scheme, syntax, no IP literal
 * in a refused range; a host name is checked again at every delivery) and
 * the tenant must have room (MAX_ENDPOINTS_PER_TENANT, counted under a
 * per-tenant lock so two requests cannot both take the last place). The
 * owner is told by email, in the same transaction.
 */
export async function createEndpoint(
  tx: TenantTx,
  e: { url: string; events: WebhookEvent[]; description: string },
  by: EndpointCreator,
  ctx: { config: OutboundConfig; now: Date },
): Promise<{ endpoint: WebhookEndpoint; secret: string }> {
  const checked = checkOutboundUrl(e.url, ctx.config);
  if (!checked.ok) throw endpointRefused(checked.message);
  await tx.raw(`select pg_advisory_xact_lock(hashtextextended('webhook_endpoints:' || ?, 0))`, [tx.tenantId]);
  const held = await tx('webhook_endpoints').count({ n: '*' }).first<{ n: string }>();
  if (Number(held.n) >= MAX_ENDPOINTS_PER_TENANT) throw tooManyEndpoints(MAX_ENDPOINTS_PER_TENANT);
  const creator = 'userId' in by
    ? { created_by: by.userId, created_by_api_key: null }
    : { created_by: (await tx('api_keys').where({ id: by.apiKeyId }).first<{ created_by: string | null } | undefined>('created_by'))?.created_by ?? null, created_by_api_key: by.apiKeyId };
  const secret = `whsec_${randomBytes(24).toString('base64url')}`;
  const [row] = await tx('webhook_endpoints')
    .insert({ tenant_id: tx.tenantId, url: e.url, events: e.events, description: e.description, secret, ...creator })
    .returning<EndpointRow[]>('*');
  const endpoint = toEndpoint(row!);
  // The audit actor is the person who acted: none for an API key, which the entry names instead.
  await audit(tx, { userId: 'userId' in by ? by.userId : null }, {
    action: 'webhook.create', subjectType: 'webhook_endpoint', subjectId: endpoint.id, after: { url: endpoint.url, events: endpoint.events, api_key_id: creator.created_by_api_key },
  });
  await queueOwnerNotice(tx, 'webhook_endpoint_created', endpoint, ctx.now);
  return { endpoint, secret };
}

export async function listEndpoints(tx: TenantTx, opts: { limit: number; startingAfter?: string | undefined } = { limit: 100 }): Promise<{ data: WebhookEndpoint[]; hasMore: boolean }> {
  const { rows, hasMore } = await pageOf<EndpointRow>(tx, 'webhook_endpoints', opts);
  return { data: rows.map(toEndpoint), hasMore };
}

export async function endpointById(tx: TenantTx, id: string): Promise<WebhookEndpoint | undefined> {
  const row = await tx<EndpointRow>('webhook_endpoints').where({ id }).first();
  return row && toEndpoint(row);
}

export async function deleteEndpoint(tx: TenantTx, id: string, by: { userId: string | null } = { userId: null }): Promise<boolean> {
  const [gone] = await tx('webhook_endpoints').where({ id }).del().returning<{ url: string }[]>('url');
  if (gone) await audit(tx, by, { action: 'webhook.delete', subjectType: 'webhook_endpoint', subjectId: id, before: { url: gone.url } });
  return Boolean(gone);
}

/**
 * Turn an endpoint back on with a clean record; events from now on reach it
 * again (those emitted while it was off are not re-sent). False if there is
 * no such endpoint or it is already on.
 */
export async function enableEndpoint(tx: TenantTx, id: string, by: { userId: string | null }): Promise<boolean> {
  const row = await tx('webhook_endpoints').where({ id }).forUpdate().first('active');
  if (!row) return false;
  // Turning on what is on already changes nothing (a double click, two tabs).
  if (row.active) return true;
  await tx('webhook_endpoints').where({ id }).update({ active: true, consecutive_failures: 0, last_error: null, disabled_at: null });
  await audit(tx, by, { action: 'webhook.enable', subjectType: 'webhook_endpoint', subjectId: id });
  return true;
}

/** An event as every subscribed endpoint receives it; the payload is a snapshot taken now. */
export function webhookEvent(type: WebhookEvent, data: Record<string, unknown>, now: Date) {
  const id = randomUUID();
  return { id, type, payload: { id, object: 'event', type, created_at: now.toISOString(), data } };
}

export const DELIVER_TASK = taskName('webhooks__deliver');

/**
 * Record an event for every subscribed endpoint and enqueue one delivery job
 * each, in the caller's transaction: no event without its change, no change
 * without its event. One statement, with or without subscribers: the SQL
 * function `emit_event` (migrations/functions/emit_event.sql). Its jobs go
 * to the tenant's own queue, `webhooks:<tenant id>`, where they run one at a
 * time: a tenant's slow endpoints hold one worker slot at most.
 */
export async function emitEvent(tx: TenantTx, type: WebhookEvent, data: Record<string, unknown>, now: Date): Promise<void> {
  const e = webhookEvent(type, data, now);
  // Named: prepared once per connection, as the booking path's other statements (src/bookings/queries.ts).
  await tx.raw('select emit_event(?::uuid, ?, ?::jsonb, ?, ?)', [e.id, e.type, JSON.stringify(e.payload), DELIVER_TASK, MAX_ATTEMPTS])
    .options({ name: 'slotwise_emit_event' });
}

export const MAX_ATTEMPTS = 12;
