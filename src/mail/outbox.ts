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

export const REDACTED_TEXT = '[link removed: it was sent to the recipient only]';
export const REDACTED_HREF = '#link-removed';
const WITHHELD = 'This message carried a private link. It is not kept here: only its recipient can read it.';

const htmlEscaped = (s: string) =>
  s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;').replace(/'/g, '&#39;');

/**
 * A message body as the outbox may keep it: every secret link (and its
 * HTML-escaped form) replaced. The outbox is read by every admin of the
 * business, so a password-reset link kept there would let an admin take
 * over the owner's account. If a secret's token still shows afterwards
 * (a template that changed the link's form), the whole body is withheld
 * rather than risk it.
 */
export function redactSecrets(body: string, secrets: string[], replacement: string): string {
  let out = body;
  for (const s of secrets) out = out.split(s).join(replacement).split(htmlEscaped(s)).join(replacement);
  const leaked = secrets.some((s) => {
    const token = s.split('/').pop() ?? s;
    return token.length >= 16 && out.includes(token);
  });
  return leaked ? WITHHELD : out;
}
