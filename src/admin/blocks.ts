import { Router, type Request, type Response } from 'express';
import { z } from 'zod';
import type { AppDeps } from '../deps.ts';
import { calendarDate, queryDate, uuidParam } from '../http/params.ts';
import { singleLine } from '../http/text.ts';
import { withTenant, type TenantTx } from '../db/tenant.ts';
import { lockResource } from '../bookings/queries.ts';
import { notFound } from '../http/errors.ts';
import { fieldErrors, formValues } from '../http/forms.ts';
import { audit } from '../audit/log.ts';
import { formatInZoneWithName, parseHHMM, wallTimeToInstant } from '../scheduling/index.ts';
import { longDate } from '../bookings/present.ts';
import type { Tenant } from '../tenancy/queries.ts';
import { scopeResources, type Viewer } from './scope.ts';
import { visibleResources } from './booking-queries.ts';

const BlockForm = z
  .object({
    resourceId: z.uuid('Choose a resource.'),
    date: calendarDate('Choose a date.'),
    start: z.string({ error: 'Enter a time like 12:30.' }).refine((s) => parseHHMM(s) !== null, 'Enter a time like 12:30.'),
    end: z.string({ error: 'Enter a time like 13:30.' }).refine((s) => parseHHMM(s) !== null, 'Enter a time like 13:30.'),
    label: singleLine({ max: 100 }).default(''),
  })
  .refine((f) => parseHHMM(f.start)! < parseHHMM(f.end)!, { path: ['end'], message: 'End after the start.' });

/**
 * Blocking time on a resource (a break, a meeting, a day off): a busy block
 * that the engine subtracts from availability like a booking. Staff block
 * their own resources only.
 */
export function blockRoutes(deps: AppDeps): Router {
  const r = Router();
  const tenantOf = (res: Response) => res.locals.tenant as Tenant;
  const viewerOf = (req: Request): Viewer => ({ id: req.user!.id, role: req.user!.role });

  async function page(req: Request, res: Response, status: number, values: Record<string, string> = {}, errors: Record<string, string> = {}) {
    const data = await withTenant(deps.db, tenantOf(res).id, async (tx) => {
      const resources = await visibleResources(tx, viewerOf(req));
      const blocks = await tx('busy_blocks as k')
        .join('resources as r', function () {
          this.on('r.tenant_id', 'k.tenant_id').andOn('r.id', 'k.resource_id');
        })
        .whereIn('k.resource_id', resources.map((x: { id: string }) => x.id))
        .where('k.source', 'admin')
        .whereRaw('upper(k.during) > ?', [deps.now()])
        .orderByRaw('lower(k.during)')
        .select('k.id', 'k.label', 'r.name as resource_name', 'r.time_zone', tx.raw('(extract(epoch from lower(k.during)) * 1000)::float8 as s'), tx.raw('(extract(epoch from upper(k.during)) * 1000)::float8 as e'));
      return { resources, blocks };
    });
    res.status(status).render('admin/blocks', {
      title: 'Blocked time',
      resources: data.resources,
      blocks: data.blocks.map((b: { s: number; e: number; time_zone: string }) => ({ ...b, when: `${longDate(b.s, b.time_zone)}, ${formatInZoneWithName(b.s, b.time_zone)} – ${formatInZoneWithName(b.e, b.time_zone)}` })),
      values,
      errors,
    });
  }

  async function visibleResource(tx: TenantTx, viewer: Viewer, id: string) {
    return scopeResources(tx, viewer).where({ id }).first('id', 'name', 'time_zone');
  }

  r.get('/blocks', (req, res) => page(req, res, 200, { date: queryDate(req, 'date') ?? '' }));

  r.post('/blocks', async (req, res) => {
    const parsed = BlockForm.safeParse(req.body ?? {});
    if (!parsed.success) return page(req, res, 422, formValues(req.body), fieldErrors(parsed.error));
    const f = parsed.data;
    const saved = await withTenant(deps.db, tenantOf(res).id, async (tx) => {
      const resource = await visibleResource(tx, viewerOf(req), f.resourceId);
      if (!resource) return false;
      // The bookings' lock: a booking being written now commits first (and
      // the block lands beside it), or sees the block and is refused; never
      // a booking inside the block once the page says it is blocked.
      await lockResource(tx, resource.id);
      const start = wallTimeToInstant(f.date, f.start, resource.time_zone);
      const end = wallTimeToInstant(f.date, f.end, resource.time_zone);
      const [row] = await tx('busy_blocks')
        .insert({ tenant_id: tx.tenantId, resource_id: resource.id, during: tx.raw(`tstzrange(?::timestamptz, ?::timestamptz, '[)')`, [new Date(start).toISOString(), new Date(end).toISOString()]), source: 'admin', label: f.label })
        .returning('id');
      await audit(tx, { userId: req.user!.id }, { action: 'block.create', subjectType: 'busy_block', subjectId: row.id, after: { resource: resource.name, start: new Date(start).toISOString(), end: new Date(end).toISOString(), label: f.label } });
      return true;
    });
    if (!saved) return page(req, res, 422, formValues(req.body), { resourceId: 'Choose a resource.' });
    req.session.flash = 'Time blocked. No one can book it now.';
    res.redirect(303, '/admin/blocks');
  });

  r.post('/blocks/:id/delete', async (req, res) => {
    const id = uuidParam(req.params.id);
    const done = await withTenant(deps.db, tenantOf(res).id, async (tx) => {
      const block = await tx('busy_blocks').where({ id, source: 'admin' }).whereIn('resource_id', scopeResources(tx, viewerOf(req)).select('id')).first();
      if (!block) return false;
      await tx('busy_blocks').where({ id }).del();
      await audit(tx, { userId: req.user!.id }, { action: 'block.delete', subjectType: 'busy_block', subjectId: id, before: { resource_id: block.resource_id, during: block.during, label: block.label } });
      return true;
    });
    if (!done) throw notFound('No such block.');
    req.session.flash = 'The block is removed.';
    res.redirect(303, '/admin/blocks');
  });
  return r;
}
