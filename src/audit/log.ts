import type { TenantTx } from '../db/tenant.ts';

export interface AuditActor {
  userId: string | null;
  email?: string | null;
}

export interface AuditEntry {
  action: string;
  subjectType: string;
  subjectId: string | null;
  before?: unknown;
  after?: unknown;
}

/**
 * Append one line to the tenant's audit log, in the caller's transaction,
 * so an action and its record commit or roll back together. The app role
 * can insert and read, never update or delete (migrations/0008).
 */
export async function audit(tx: TenantTx, actor: AuditActor, e: AuditEntry): Promise<void> {
  await tx('audit_log').insert({
    tenant_id: tx.tenantId,
    actor_user_id: actor.userId,
    // The email as it is now, so the log still names someone removed later.
    actor_email: actor.email ?? (actor.userId ? tx('users').where({ id: actor.userId }).select('email') : null),
    action: e.action,
    subject_type: e.subjectType,
    subject_id: e.subjectId,
    before: e.before === undefined ? null : JSON.stringify(e.before),
    after: e.after === undefined ? null : JSON.stringify(e.after),
  });
}

export interface AuditRow {
  id: string;
  actor_email: string | null;
  action: string;
  subject_type: string;
  subject_id: string | null;
  before: unknown;
  after: unknown;
  created_at: Date;
}

export async function recentAudit(tx: TenantTx, limit = 100): Promise<AuditRow[]> {
  return tx<AuditRow>('audit_log').orderBy('created_at', 'desc').limit(limit);
}
