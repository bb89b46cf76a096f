import { randomBytes, randomUUID } from 'node:crypto';
import type { TenantTx } from '../db/tenant.ts';
import { pageOf } from '../db/paging.ts';
import { taskName } from '../jobs/enqueue.ts';

export const WEBHOOK_EVENTS = ['booking.created', 'booking.cancelled', 'booking.rescheduled'] as const;
export type WebhookEvent = (typeof WEBHOOK_EVENTS)[number];

export interface WebhookEndpoint {
  id: string;
  url: string;
  events: WebhookEvent[];
  description: string;
  active: boolean;
  createdAt: Date;
}

interface EndpointRow {
  id: string;
  url: string;
  secret: string;
  events: WebhookEvent[];
  description: string;
  active: boolean;
  created_at: Date;
}

const toEndpoint = (r: EndpointRow): WebhookEndpoint => ({ id: r.id, url: r.url, events: r.events, description: r.description, active: r.active, createdAt: r.created_at });

export async function createEndpoint(tx: TenantTx, e: { url: string; events: WebhookEvent[]; description: string }): Promise<{ endpoint: WebhookEndpoint; secret: string }> {
  const secret = `whsec_${randomBytes(24).toString('base64url')}`;
  const [row] = await tx('webhook_endpoints')
    .insert({ tenant_id: tx.tenantId, url: e.url, events: e.events, description: e.description, secret })
    .returning<EndpointRow[]>('*');
  return { endpoint: toEndpoint(row!), secret };
}

export async function listEndpoints(tx: TenantTx, opts: { limit: number; startingAfter?: string | undefined } = { limit: 100 }): Promise<{ data: WebhookEndpoint[]; hasMore: boolean }> {
  const { rows, hasMore } = await pageOf<EndpointRow>(tx, 'webhook_endpoints', opts);
  return { data: rows.map(toEndpoint), hasMore };
}

export async function endpointById(tx: TenantTx, id: string): Promise<WebhookEndpoint | undefined> {
  const row = await tx<EndpointRow>('webhook_endpoints').where({ id }).first();
  return row && toEndpoint(row);
}

export async function deleteEndpoint(tx: TenantTx, id: string): Promise<boolean> {
  return (await tx('webhook_endpoints').where({ id }).del()) > 0;
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
 * function `emit_event` (migrations/functions/emit_event.sql).
 */
export async function emitEvent(tx: TenantTx, type: WebhookEvent, data: Record<string, unknown>, now: Date): Promise<void> {
  const e = webhookEvent(type, data, now);
  // Named: prepared once per connection, as the booking path's other statements (src/bookings/queries.ts).
  await tx.raw('select emit_event(?::uuid, ?, ?::jsonb, ?, ?)', [e.id, e.type, JSON.stringify(e.payload), DELIVER_TASK, MAX_ATTEMPTS])
    .options({ name: 'slotwise_emit_event' });
}

export const MAX_ATTEMPTS = 12;
