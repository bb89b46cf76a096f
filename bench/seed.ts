/**
 * The benchmark's businesses, made with the project's own functions
 * (signUp, createResource, createService, createApiKey), except the big
 * tenant's history: its ~100 000 bookings and 40 000 busy blocks are one
 * INSERT … SELECT each, as the owner. test/integration/bench-seed.test.ts
 * checks what these produce.
 */
import type { AppDeps } from '../src/deps.ts';
import { signUp } from '../src/tenancy/service.ts';
import { createResource, createService } from '../src/catalog/service.ts';
import { createApiKey } from '../src/api/keys.ts';
import type { WeeklyWindow } from '../src/scheduling/index.ts';

export const ZONE = 'Europe/London';
export const SLOT_MIN = 15;
const ALL_WEEK: WeeklyWindow[] = ([1, 2, 3, 4, 5, 6, 7] as const).map((weekday) => ({ weekday, start: '00:00', end: '24:00' }));
/** The big tenant keeps shop hours: Monday to Saturday, 08:00–20:00. */
const SHOP_HOURS: WeeklyWindow[] = ([1, 2, 3, 4, 5, 6] as const).map((weekday) => ({ weekday, start: '08:00', end: '20:00' }));

export interface SeededTenant {
  slug: string;
  tenantId: string;
  serviceId: string;
  resourceIds: string[];
  apiKey: string;
}

/** A business with `resources` resources and one service over all of them. */
export async function seedTenant(
  deps: AppDeps,
  slug: string,
  resources: number,
  service: { durationMin: number; intervalMin: number; horizonDays: number } = { durationMin: SLOT_MIN, intervalMin: SLOT_MIN, horizonDays: 365 },
  weekly: WeeklyWindow[] = ALL_WEEK,
): Promise<SeededTenant> {
  const { tenant } = await signUp(deps, { slug, businessName: `Bench ${slug}`, email: `owner@${slug}.bench.test`, password: 'bench-password-0123456789', timeZone: ZONE });
  const resourceIds: string[] = [];
  for (let i = 0; i < resources; i++) {
    resourceIds.push((await createResource(deps, tenant.id, { name: `Resource ${i + 1}`, kind: 'staff', timeZone: ZONE, position: i, weekly })).id);
  }
  const svc = await createService(deps, tenant.id, {
    name: 'Appointment',
    ...service,
    bufferBeforeMin: 0,
    bufferAfterMin: 0,
    minNoticeMin: 0,
    maxPerDay: null,
    priceMinor: 0,
    currency: 'GBP',
    resourceIds,
  });
  const { key } = await createApiKey(deps, tenant.id, 'bench');
  // As if the owner had opened the verification link: a new business's mail allowance does not apply.
  await deps.db.owner('tenants').where({ id: tenant.id }).update({ owner_email_verified_at: deps.now() });
  return { slug, tenantId: tenant.id, serviceId: svc.id, resourceIds, apiKey: key };
}

/** `count` businesses of 2–4 resources each, open around the clock. Sign-ups hash a password (argon2), so a few at a time. */
export async function seedLoadTenants(deps: AppDeps, count: number): Promise<SeededTenant[]> {
  const out: SeededTenant[] = [];
  for (let i = 0; i < count; i += 4) {
    const batch = Array.from({ length: Math.min(4, count - i) }, (_, j) => seedTenant(deps, `t${String(i + j).padStart(3, '0')}`, 2 + ((i + j) % 3)));
    out.push(...(await Promise.all(batch)));
  }
  return out;
}

export interface BigTenant extends SeededTenant {
  /** The service over the first 8 resources, 30 minutes on a 15-minute grid. */
  availabilityServiceId: string;
  bookings: number;
  busyBlocks: number;
}

/**
 * The big tenant: 20 resources in shop hours; a 30-minute service on a
 * 15-minute grid over 8 of them. History: 4 bookings a day per resource
 * (5 every fifth day) from `pastDays` ago to 90 days ahead, of which the
 * past ones are 85 % still "confirmed" (nothing marks them completed but
 * an admin) and 15 % "completed"; and `busyPerResource` one-hour busy
 * blocks per resource spread evenly over the same span. With pastDays 1095
 * and 2 000 blocks: about 100 000 bookings and 40 000 blocks.
 */
export async function seedBigTenant(deps: AppDeps, pastDays: number, busyPerResource: number): Promise<BigTenant> {
  const t = await seedTenant(deps, 'big', 20, { durationMin: 30, intervalMin: 15, horizonDays: 120 }, SHOP_HOURS);
  const offered = t.resourceIds.slice(0, 8);
  const avail = await createService(deps, t.tenantId, {
    name: 'Consultation', durationMin: 30, intervalMin: 15, horizonDays: 120, bufferBeforeMin: 0, bufferAfterMin: 0,
    minNoticeMin: 0, maxPerDay: null, priceMinor: 0, currency: 'GBP', resourceIds: offered,
  });
  const owner = deps.db.owner;
  const { rowCount: bookings } = await owner.raw(
    `insert into bookings (tenant_id, service_id, resource_id, starts_at, ends_at, blocked, status, customer_name,
                           customer_email, customer_time_zone, manage_nonce, manage_token_hash, source, created_at)
     select ?, ?, r.id, s.t, s.t + interval '30 minutes', tstzrange(s.t, s.t + interval '30 minutes'),
            case when s.t < now() and random() < 0.15 then 'completed' else 'confirmed' end,
            'Past Customer', 'customer' || (random() * 5000)::int || '@bench.test', ?, md5(random()::text), md5(gen_random_uuid()::text), 'public',
            least(now(), s.t - interval '3 days')
       from unnest(?::uuid[]) r(id)
       cross join lateral (
         select d + at as t
           from generate_series(date_trunc('day', now()) - make_interval(days => ?), date_trunc('day', now()) + interval '90 days', interval '1 day') d
          cross join unnest(array[interval '9 hours', interval '10 hours 30 minutes', interval '13 hours', interval '15 hours 30 minutes', interval '17 hours']) at
          where at < interval '17 hours' or extract(doy from d)::int % 5 = 0
       ) s`,
    [t.tenantId, t.serviceId, ZONE, t.resourceIds, pastDays],
  );
  const { rowCount: busyBlocks } = await owner.raw(
    `insert into busy_blocks (tenant_id, resource_id, during, source, label, external_id)
     select ?, r.id, tstzrange(b.t, b.t + interval '1 hour'), 'google', 'Busy', r.n || ':' || k
       from unnest(?::uuid[]) with ordinality r(id, n)
       cross join generate_series(0, ? - 1) k
       cross join lateral (
         select date_trunc('day', now()) - make_interval(days => ?) + (k * make_interval(days => ? + 90)) / ? + r.n * interval '37 minutes' as t
       ) b`,
    [t.tenantId, t.resourceIds, busyPerResource, pastDays, pastDays, busyPerResource],
  );
  return { ...t, availabilityServiceId: avail.id, bookings: bookings ?? 0, busyBlocks: busyBlocks ?? 0 };
}
