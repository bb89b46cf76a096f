import type { NotificationStatus } from './queries.ts';

/**
 * A message's status in words that say what happened to it. Without a mail
 * provider the transport keeps messages in the outbox, which the
 * notification records as `sent`: to the owner that must read "kept in the
 * outbox (not sent)", never "sent".
 */
export function messageStatusLabel(status: NotificationStatus, mailSends: boolean): string {
  switch (status) {
    case 'sent': return mailSends ? 'sent' : 'kept in the outbox (not sent)';
    case 'queued': return 'waiting to be sent';
    case 'sending': return 'sending';
    case 'failed': return 'failed';
    case 'skipped': return 'not sent: no longer applies';
    case 'held': return 'held back';
  }
}
