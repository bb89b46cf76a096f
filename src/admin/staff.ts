import { Router, type Request, type Response } from 'express';
import { z } from 'zod';
import type { AppDeps } from '../deps.ts';
import { uuidParam } from '../http/params.ts';
import { withTenant, type TenantTx } from '../db/tenant.ts';
import { tenantOrigin } from '../config.ts';
import { forbidden, notFound } from '../http/errors.ts';
import { fieldErrors, formValues } from '../http/forms.ts';
import { requireRole } from '../http/guards.ts';
import { audit } from '../audit/log.ts';
import { newToken, tokenDigest } from '../auth/tokens.ts';
import { endSessions } from '../auth/queries.ts';
import { queueNotification, secretLink } from '../notifications/queries.ts';
import { Email } from '../tenancy/commands.ts';
import type { Tenant } from '../tenancy/queries.ts';

export const INVITE_TTL_MS = 7 * 24 * 3600_000;
const InviteForm = z.object({ email: Email, role: z.enum(['admin', 'staff'], { error: 'Choose admin or staff.' }) });
const RoleForm = z.object({ role: z.enum(['admin', 'staff']) });

interface Member {
  id: string;
  name: string;
  email: string;
  role: 'owner' | 'admin' | 'staff';
}

/**
 * /admin/staff for owners and admins: invite by email (a single-use link),
 * change roles between admin and staff, link staff to their resources,
 * remove people. Ownership is the owner's alone: only the owner can hand it
 * over, and nobody can demote or remove the owner.
 */
export function staffRoutes(deps: AppDeps): Router {
  const r = Router();
  r.use(requireRole('owner', 'admin'));
  const tenantOf = (res: Response) => res.locals.tenant as Tenant;
  const tx = <T>(res: Response, fn: (t: TenantTx) => Promise<T>) => withTenant(deps.db, tenantOf(res).id, fn);
  const idOf = (req: Request) => uuidParam(req.params.id);

  async function page(res: Response, status: number, extra: Record<string, unknown> = {}) {
    const data = await tx(res, async (t) => ({
      members: await t<Member>('users').orderByRaw(`case role when 'owner' then 0 when 'admin' then 1 else 2 end`).orderBy('name').select('id', 'name', 'email', 'role'),
      invitations: await t('invitations').whereNull('accepted_at').whereNull('revoked_at').where('expires_at', '>', deps.now()).orderBy('created_at', 'desc'),
      resources: await t('resources').where({ active: true }).orderBy(['position', 'name']).select('id', 'name', 'user_id'),
    }));
    res.status(status).render('admin/staff', { title: 'Staff', values: {}, errors: {}, ...data, ...extra });
  }

  /** The member, unless it is the owner and the actor is not: admins cannot touch ownership. */
  async function memberFor(req: Request, t: TenantTx, id: string): Promise<Member> {
    const m = await t<Member>('users').where({ id }).first();
    if (!m) throw notFound('No such person.');
    if (m.role === 'owner') throw forbidden('Only the owner can change the owner, and only by handing ownership over.');
    if (m.id === req.user!.id) throw forbidden('You cannot change your own role or remove yourself.');
    return m;
  }

  r.get('/', (_req, res) => page(res, 200));

  r.post('/invitations', async (req, res) => {
    const parsed = InviteForm.safeParse(req.body ?? {});
    if (!parsed.success) return page(res, 422, { values: formValues(req.body), errors: fieldErrors(parsed.error) });
    const { email, role } = parsed.data;
    const tenant = tenantOf(res);
    const refused = await tx(res, async (t) => {
      if (await t('users').where({ email }).first()) return 'This person is already on your staff.';
      const token = newToken();
      const [inv] = await t('invitations')
        .insert({ tenant_id: t.tenantId, email, role, token_hash: tokenDigest(deps.config.sessionSecret, token), invited_by: req.user!.id, expires_at: new Date(deps.now().getTime() + INVITE_TTL_MS) })
        .returning('id');
      const link = `${tenantOrigin(deps.config, tenant.slug)}/invite/${token}`;
      await queueNotification(t, { bookingId: null, kind: 'staff_invite', to: email, scheduledFor: deps.now(), payload: { inviter: req.user!.name, role, ...secretLink(deps.config.sessionSecret, link) } });
      await audit(t, { userId: req.user!.id }, { action: 'staff.invite', subjectType: 'invitation', subjectId: inv.id, after: { email, role } });
      return undefined;
    });
    if (refused) return page(res, 422, { values: formValues(req.body), errors: { email: refused } });
    req.session.flash = `Invitation sent to ${email}.`;
    res.redirect(303, '/admin/staff');
  });

  r.post('/invitations/:id/revoke', async (req, res) => {
    const id = idOf(req);
    const done = await tx(res, async (t) => {
      const n = await t('invitations').where({ id }).whereNull('accepted_at').whereNull('revoked_at').update({ revoked_at: deps.now() });
      if (n) await audit(t, { userId: req.user!.id }, { action: 'staff.invite_revoke', subjectType: 'invitation', subjectId: id });
      return n > 0;
    });
    if (!done) throw notFound('No such open invitation.');
    res.redirect(303, '/admin/staff');
  });

  // Staff may not manage API keys, so the keys a person made stop working
  // when they become staff or leave: a trigger on users revokes them
  // (migrations/0023), whoever makes the change. Counted here for the record.
  const activeKeysOf = async (t: TenantTx, userId: string) =>
    Number((await t('api_keys').where({ created_by: userId }).whereNull('revoked_at').count<{ n: string }[]>('* as n'))[0]!.n);
  const keysNote = (n: number) => (n ? ` ${n === 1 ? 'The API key they created is' : `The ${n} API keys they created are`} revoked.` : '');

  r.post('/:id/role', async (req, res) => {
    const parsed = RoleForm.safeParse(req.body ?? {});
    if (!parsed.success) return page(res, 422, { errors: { role: 'Choose admin or staff.' } });
    const revoked = await tx(res, async (t) => {
      const m = await memberFor(req, t, idOf(req));
      const keys = parsed.data.role === 'staff' && m.role !== 'staff' ? await activeKeysOf(t, m.id) : 0;
      await t('users').where({ id: m.id }).update({ role: parsed.data.role, updated_at: deps.now() });
      await audit(t, { userId: req.user!.id }, {
        action: 'staff.role', subjectType: 'user', subjectId: m.id, before: { role: m.role }, after: { role: parsed.data.role, apiKeysRevoked: keys },
      });
      return keys;
    });
    if (revoked) req.session.flash = `Role changed.${keysNote(revoked)}`;
    res.redirect(303, '/admin/staff');
  });

  r.post('/:id/resources', async (req, res) => {
    const ids = [req.body?.resourceIds ?? []].flat().filter((x: unknown): x is string => typeof x === 'string' && z.uuid().safeParse(x).success);
    await tx(res, async (t) => {
      const m = await t<Member>('users').where({ id: idOf(req) }).first();
      if (!m) throw notFound('No such person.');
      const before = (await t('resources').where({ user_id: m.id }).select('id')).map((x) => x.id as string);
      await t('resources').where({ user_id: m.id }).whereNotIn('id', ids).update({ user_id: null });
      if (ids.length) await t('resources').whereIn('id', ids).update({ user_id: m.id });
      await audit(t, { userId: req.user!.id }, { action: 'staff.resources', subjectType: 'user', subjectId: m.id, before: { resources: before }, after: { resources: ids } });
    });
    res.redirect(303, '/admin/staff');
  });

  r.post('/:id/remove', async (req, res) => {
    const revoked = await tx(res, async (t) => {
      const m = await memberFor(req, t, idOf(req));
      const keys = await activeKeysOf(t, m.id);
      await endSessions(t, m.id);
      await t('users').where({ id: m.id }).del();
      await audit(t, { userId: req.user!.id }, {
        action: 'staff.remove', subjectType: 'user', subjectId: m.id, before: { name: m.name, email: m.email, role: m.role }, after: { apiKeysRevoked: keys },
      });
      return keys;
    });
    req.session.flash = `Removed, and signed out everywhere.${keysNote(revoked)}`;
    res.redirect(303, '/admin/staff');
  });

  r.post('/:id/ownership', requireRole('owner'), async (req, res) => {
    await tx(res, async (t) => {
      const m = await memberFor(req, t, idOf(req));
      // Demote first: one owner per tenant is a unique index.
      await t('users').where({ id: req.user!.id }).update({ role: 'admin', updated_at: deps.now() });
      await t('users').where({ id: m.id }).update({ role: 'owner', updated_at: deps.now() });
      await audit(t, { userId: req.user!.id }, { action: 'staff.transfer_ownership', subjectType: 'user', subjectId: m.id, before: { owner: req.user!.id }, after: { owner: m.id } });
    });
    req.session.flash = 'Ownership handed over. You are now an admin.';
    res.redirect(303, '/admin');
  });

  return r;
}
