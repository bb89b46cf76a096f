import type { TenantTx } from '../db/tenant.ts';

/** What the outbox transport (src/notifications/transport.ts) kept, newest first, for /admin/outbox. */
export async function recentOutbox(tx: TenantTx, limit = 50) {
  return tx('outbox_messages')
    .orderBy('created_at', 'desc')
    .limit(limit)
    .select<{ id: string; kind: string; to_address: string; subject: string; text_body: string; html_body: string | null; created_at: Date }[]>(
      'id', 'kind', 'to_address', 'subject', 'text_body', 'html_body', 'created_at',
    );
}

export async function outboxMessage(tx: TenantTx, id: string) {
  return tx('outbox_messages').where({ id }).first<{ id: string; subject: string; html_body: string | null; text_body: string } | undefined>();
}
