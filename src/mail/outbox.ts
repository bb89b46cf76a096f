import type { TenantTx } from '../db/tenant.ts';
import { log } from '../log.ts';

export interface MailMessage {
  kind: string;
  to: string;
  subject: string;
  text: string;
  html?: string;
}

/**
 * The outbox transport: the message is stored with the transaction that
 * caused it (so it exists only if that commits) and logged. The tenant's
 * admins read it at /admin/outbox; a real provider replaces it when one is
 * configured.
 */
export async function sendViaOutbox(tx: TenantTx, m: MailMessage): Promise<void> {
  await tx('outbox_messages').insert({
    tenant_id: tx.tenantId,
    kind: m.kind,
    to_address: m.to,
    subject: m.subject,
    text_body: m.text,
    html_body: m.html ?? null,
  });
  log.info('mail queued in outbox', { tenantId: tx.tenantId, kind: m.kind, to: m.to, subject: m.subject, text: m.text });
}

export async function recentOutbox(tx: TenantTx, limit = 50) {
  return tx('outbox_messages')
    .orderBy('created_at', 'desc')
    .limit(limit)
    .select<{ id: string; kind: string; to_address: string; subject: string; text_body: string; created_at: Date }[]>(
      'id', 'kind', 'to_address', 'subject', 'text_body', 'created_at',
    );
}
