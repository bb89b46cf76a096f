import type { AppDeps } from '../deps.ts';
import { withTenant } from '../db/tenant.ts';
import { tenantOrigin } from '../config.ts';
import { log } from '../log.ts';
import { queueNotifications } from '../notifications/queries.ts';
import type { Rendered } from '../notifications/render.ts';
import type { Tenant } from '../tenancy/queries.ts';
import { markBroken, type Connection } from './queries.ts';
import { PROVIDER_NAME } from './clients.ts';

/**
 * A refused grant (revoked, expired, `invalid_grant`, 401 after a refresh):
 * the connection is marked broken, the sync panel and the dashboard say so
 * with a reconnect button, and the business's owner and the resource's own
 * staff member are mailed, once: only the change from active to broken
 * queues the mail, in the same transaction. Availability keeps the busy
 * time already known until the owner reconnects.
 */
export async function connectionBroken(deps: AppDeps, tenantId: string, connection: Connection, reason: string): Promise<void> {
  await withTenant(deps.db, tenantId, async (tx) => {
    if (!(await markBroken(tx, connection.id, deps.now(), `The calendar grant was refused (${reason}). Reconnect to resume syncing.`))) return;
    const recipients = await tx('users')
      .where({ role: 'owner' })
      .orWhereIn('id', tx('resources').where({ id: connection.resourceId }).whereNotNull('user_id').select('user_id'))
      .distinct('email');
    const resource = await tx('resources').where({ id: connection.resourceId }).first('name');
    await queueNotifications(tx, recipients.map((r: { email: string }) => ({
      bookingId: null, kind: 'calendar_broken' as const, to: r.email, scheduledFor: deps.now(),
      payload: { resourceName: resource?.name ?? '', provider: connection.provider, account: connection.account },
    })));
  });
  log.warn('calendar connection broken', { tenantId, connectionId: connection.id, reason });
}


const escapeHtml = (s: string) => s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

/** The mail that says a calendar connection stopped working, with the way back. */
export function renderCalendarBroken(deps: Pick<AppDeps, 'config'>, tenant: Tenant, payload: Record<string, unknown>): Rendered {
  const provider = PROVIDER_NAME[String(payload.provider) as Connection['provider']] ?? 'The calendar';
  const resource = String(payload.resourceName ?? '');
  const link = `${tenantOrigin(deps.config, tenant.slug)}/admin/calendars`;
  const lines = [
    `${provider} stopped syncing for ${resource}${payload.account ? ` (${String(payload.account)})` : ''}: the provider no longer accepts our access.`,
    'Until you reconnect, bookings are not copied to that calendar and new events there do not block time; what was known before still blocks.',
    `Reconnect: ${link}`,
  ];
  return {
    subject: `${tenant.name}: ${provider} needs reconnecting for ${resource}`,
    text: lines.join('\n\n'),
    html: `<p>${escapeHtml(lines[0]!)}</p><p>${escapeHtml(lines[1]!)}</p><p><a href="${escapeHtml(link)}">Reconnect</a></p>`,
    attachments: [],
    // The reconnect link is the dashboard's, behind sign-in: nothing secret in it.
    secrets: [],
  };
}
