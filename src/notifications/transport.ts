import { Client } from '@sendgrid/client';
import { MailService } from '@sendgrid/mail';
import type { AppDeps } from '../deps.ts';
import { withTenant } from '../db/tenant.ts';
import { log } from '../log.ts';
import { REDACTED_HREF, REDACTED_TEXT, redactSecrets } from '../mail/outbox.ts';

export interface Attachment {
  filename: string;
  contentType: string;
  content: string;
}

export interface OutgoingMail {
  tenantId: string;
  notificationId: string;
  kind: string;
  to: string;
  subject: string;
  text: string;
  html: string;
  attachments: Attachment[];
  /** Links that grant access (see Rendered.secrets): delivered, never kept. */
  secrets: string[];
}

export interface Sent {
  provider: 'sendgrid' | 'outbox';
  messageId: string;
}

/** The provider refused for now (5xx, 429, network, timeout): try again later. */
export class TransientMailError extends Error {}
/** The provider refused for good (4xx, e.g. an invalid address): do not retry. */
export class PermanentMailError extends Error {}

export interface MailTransport {
  readonly name: Sent['provider'];
  send(mail: OutgoingMail): Promise<Sent>;
}

export const SEND_TIMEOUT_MS = 15_000;

/** SendGrid's v3 Mail Send through its own client library. */
export function sendgridTransport(deps: AppDeps, apiKey: string, baseUrl?: string): MailTransport {
  const client = new Client();
  client.setApiKey(apiKey);
  // setApiKey resets baseUrl: set the override after it.
  if (baseUrl) client.setDefaultRequest('baseUrl', baseUrl.endsWith('/') ? baseUrl : `${baseUrl}/`);
  client.setDefaultRequest('timeout' as 'url', SEND_TIMEOUT_MS as never);
  const mail = new MailService();
  mail.setClient(client);
  return {
    name: 'sendgrid',
    async send(m) {
      try {
        const [response] = await mail.send({
          to: m.to,
          from: deps.config.mailFrom,
          subject: m.subject,
          text: m.text,
          html: m.html,
          customArgs: { notification_id: m.notificationId, tenant_id: m.tenantId, kind: m.kind },
          attachments: m.attachments.map((a) => ({ filename: a.filename, type: a.contentType, content: Buffer.from(a.content).toString('base64'), disposition: 'attachment' })),
        });
        const id = response.headers['x-message-id'];
        return { provider: 'sendgrid', messageId: typeof id === 'string' && id ? id : `accepted:${m.notificationId}` };
      } catch (err) {
        const status = (err as { code?: unknown }).code;
        if (typeof status === 'number' && status >= 400 && status < 500 && status !== 429) {
          throw new PermanentMailError(`SendGrid refused the message (${status}): ${describe(err)}`);
        }
        throw new TransientMailError(`SendGrid unavailable${typeof status === 'number' ? ` (${status})` : ''}: ${describe(err)}`);
      }
    },
  };
}

function describe(err: unknown): string {
  const body = (err as { response?: { body?: { errors?: { message?: string }[] } } }).response?.body;
  return body?.errors?.map((e) => e.message).join('; ') || (err instanceof Error ? err.message : String(err));
}

/**
 * Without a provider: keep the message in the tenant's outbox (shown at
 * /admin/outbox) and in the log. Never pretends to have delivered anything.
 *
 * Secret links are kept nowhere readable: the outbox gets the message with
 * them removed (every admin of the business reads it), and only in
 * development, where the operator is the person at the keyboard, does the
 * server log show them, so a local run can still follow a reset or
 * invitation link.
 */
export function outboxTransport(deps: AppDeps): MailTransport {
  return {
    name: 'outbox',
    async send(m) {
      const [row] = await withTenant(deps.db, m.tenantId, (tx) =>
        tx('outbox_messages')
          .insert({
            tenant_id: m.tenantId,
            notification_id: m.notificationId,
            kind: m.kind,
            to_address: m.to,
            subject: m.subject,
            text_body: redactSecrets(m.text, m.secrets, REDACTED_TEXT),
            html_body: redactSecrets(m.html, m.secrets, REDACTED_HREF),
          })
          .returning<{ id: string }[]>('id'),
      );
      log.info('mail kept in outbox (no provider configured)', { tenantId: m.tenantId, kind: m.kind, to: m.to, subject: m.subject });
      if (m.secrets.length && deps.config.env === 'development') {
        log.info('private link of that message, shown in development only', { to: m.to, kind: m.kind, links: m.secrets });
      }
      return { provider: 'outbox', messageId: row!.id };
    },
  };
}

export function transportFor(deps: AppDeps): MailTransport {
  return deps.config.sendgridApiKey ? sendgridTransport(deps, deps.config.sendgridApiKey, deps.config.sendgridBaseUrl) : outboxTransport(deps);
}
