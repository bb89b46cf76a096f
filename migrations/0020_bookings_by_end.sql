-- "Any available" slowed down as the calendar filled: every read of a
-- resource's blocking bookings (the engine's inputs, and the check of which
-- offered resources are taken at a start) scanned all of that resource's
-- bookings starting within three days of the range, the window
-- bookings_blocked_near_start guarantees, because under row-level security
-- the exclusion constraint's GiST index cannot serve `blocked &&` (the
-- operator is not leakproof). With a resource booked every quarter hour
-- that is some 200 rows per resource read, for one or two that matter:
-- 1 100 rows of `bookings` per "any available" booking at first, 6 600
-- after 3 000 bookings, and Postgres's time per booking tripled.
--
-- Active bookings of one resource never overlap (the exclusion
-- constraint), so ordered by the end of their blocked range they are
-- ordered by its start too. Those overlapping [from, to) are then exactly
-- the ones ending in (from, to], and the first one ending after `to`, if it
-- starts before `to`. Both are plain comparisons of a timestamptz column,
-- which are leakproof: an index on the range's end answers them under RLS,
-- reading only rows that overlap, plus at most one.
--
-- bookings_active_by_end replaces bookings_active_by_start, which only
-- these reads used. bookings_blocked_near_start stays, as a bound on what a
-- booking may block, but no read relies on it any more.
alter table bookings add column blocked_to timestamptz generated always as (upper(blocked)) stored;
create index bookings_active_by_end on bookings (tenant_id, resource_id, blocked_to) where (status in ('held', 'confirmed'));
drop index bookings_active_by_start;

-- The active bookings of p_resource, but p_exclude (a booking being moved),
-- whose blocked range overlaps [p_from, p_to). A plain SQL function, so the
-- planner inlines it into its callers (and their generic plans).
create function blocking_bookings(p_resource uuid, p_from timestamptz, p_to timestamptz, p_exclude uuid)
  returns setof bookings language sql stable
  as $$
  select * from bookings b
   where b.resource_id = p_resource and b.status in ('held', 'confirmed')
     and b.blocked_to > p_from and b.blocked_to <= p_to and b.id is distinct from p_exclude
  union all
  select * from (select * from bookings b
                  where b.resource_id = p_resource and b.status in ('held', 'confirmed')
                    and b.blocked_to > p_to and b.id is distinct from p_exclude
                  order by b.blocked_to limit 1) b
   where lower(b.blocked) < p_to
$$;

-- As in 0012, with the bookings read by blocking_bookings.
create or replace function slot_inputs(p_ids uuid[], p_from timestamptz, p_to timestamptz, p_from_day date, p_to_day date, p_exclude uuid)
  returns json language sql stable
  set plan_cache_mode = force_generic_plan
  as $$
  -- Per resource, as lateral subqueries fenced with OFFSET 0: each is an
  -- index lookup by (tenant_id, resource_id) whatever the planner believes
  -- about the tables. (`resource_id = any(…)` cannot use the GiST indexes,
  -- and without statistics the planner read a tenant's whole tables.)
  select json_build_object(
    'weekly', (select coalesce(json_agg(json_build_array(w.resource_id, w.weekday, w.start_minute, w.end_minute)
                 order by w.resource_id, w.weekday, w.start_minute, w.end_minute), '[]')
               from unnest(p_ids) as r (id)
               cross join lateral (select * from weekly_hours w where w.resource_id = r.id offset 0) w),
    'overrides', (select coalesce(json_agg(json_build_array(o.resource_id, to_char(o.date, 'YYYY-MM-DD'),
                    (select coalesce(json_agg(json_build_array(ow.start_minute, ow.end_minute) order by ow.start_minute, ow.end_minute), '[]')
                       from date_override_windows ow where ow.resource_id = o.resource_id and ow.date = o.date))
                    order by o.resource_id, o.date), '[]')
                  from unnest(p_ids) as r (id)
                  cross join lateral (select * from date_overrides o
                                       where o.resource_id = r.id and o.date between p_from_day and p_to_day offset 0) o),
    'holidays', (select coalesce(json_agg(json_build_array(to_char(h.start_date, 'YYYY-MM-DD'), to_char(h.end_date, 'YYYY-MM-DD'))
                   order by h.start_date, h.end_date), '[]')
                 from holidays h where h.start_date <= p_to_day and h.end_date >= p_from_day),
    'bookings', (select coalesce(json_agg(json_build_array(b.resource_id, (extract(epoch from b.starts_at) * 1000)::float8,
                   (extract(epoch from lower(b.blocked)) * 1000)::float8, (extract(epoch from upper(b.blocked)) * 1000)::float8)
                   order by b.resource_id, b.starts_at, b.id), '[]')
                 from unnest(p_ids) as r (id)
                 cross join lateral (select * from blocking_bookings(r.id, p_from, p_to, p_exclude) offset 0) b),
    'busy', (select coalesce(json_agg(json_build_array(bb.resource_id, (extract(epoch from lower(bb.during)) * 1000)::float8,
               (extract(epoch from upper(bb.during)) * 1000)::float8)
               order by bb.resource_id, lower(bb.during), upper(bb.during)), '[]')
             from unnest(p_ids) as r (id)
             cross join lateral (select * from busy_blocks bb
                                  where bb.resource_id = r.id and bb.during && tstzrange(p_from, p_to, '[)') offset 0) bb))
$$;

-- As in 0016, with the bookings read by blocking_bookings.
create or replace function resource_inputs(p_ids uuid[], p_from timestamptz, p_to timestamptz, p_from_day date, p_to_day date, p_exclude uuid)
  returns table (resource_id uuid, inputs json) language sql stable
  set plan_cache_mode = force_generic_plan
  as $$
  select r.id, json_build_object(
    'weekly', (select coalesce(json_agg(json_build_array(w.resource_id, w.weekday, w.start_minute, w.end_minute)
                 order by w.weekday, w.start_minute, w.end_minute), '[]')
               from weekly_hours w where w.resource_id = r.id),
    'overrides', (select coalesce(json_agg(json_build_array(o.resource_id, to_char(o.date, 'YYYY-MM-DD'),
                    (select coalesce(json_agg(json_build_array(ow.start_minute, ow.end_minute) order by ow.start_minute, ow.end_minute), '[]')
                       from date_override_windows ow where ow.resource_id = o.resource_id and ow.date = o.date))
                    order by o.date), '[]')
                  from date_overrides o where o.resource_id = r.id and o.date between p_from_day and p_to_day),
    'holidays', h.list,
    'bookings', (select coalesce(json_agg(json_build_array(b.resource_id, (extract(epoch from b.starts_at) * 1000)::float8,
                   (extract(epoch from lower(b.blocked)) * 1000)::float8, (extract(epoch from upper(b.blocked)) * 1000)::float8)
                   order by b.starts_at, b.id), '[]')
                 from blocking_bookings(r.id, p_from, p_to, p_exclude) b),
    'busy', (select coalesce(json_agg(json_build_array(bb.resource_id, (extract(epoch from lower(bb.during)) * 1000)::float8,
               (extract(epoch from upper(bb.during)) * 1000)::float8)
               order by lower(bb.during), upper(bb.during)), '[]')
             from busy_blocks bb where bb.resource_id = r.id and bb.during && tstzrange(p_from, p_to, '[)')))
  from unnest(p_ids) as r (id)
  cross join (select coalesce(json_agg(json_build_array(to_char(hd.start_date, 'YYYY-MM-DD'), to_char(hd.end_date, 'YYYY-MM-DD'))
                order by hd.start_date, hd.end_date), '[]') as list
              from holidays hd where hd.start_date <= p_to_day and hd.end_date >= p_from_day) h
$$;

-- As in 0017, with the taken resources found by blocking_bookings.
create or replace function booking_context(p_tenant uuid, p_service uuid, p_resource uuid, p_from timestamptz, p_to timestamptz,
    p_from_day date, p_to_day date, p_exclude uuid, p_start timestamptz, p_first integer default null) returns json
  language plpgsql volatile
  set plan_cache_mode = force_generic_plan
  as $$
declare
  v_offer jsonb;
  v_service jsonb;
  v_ids uuid[];
  v_taken uuid[] := '{}';
  v_from timestamptz;
  v_to timestamptz;
begin
  perform set_config('app.tenant_id', p_tenant::text, true);
  v_offer := service_offer(p_service, p_resource)::jsonb; -- parsed once, not at every -> below
  v_service := v_offer -> 'service';
  select coalesce(array_agg((r ->> 'id')::uuid order by n), '{}') into v_ids
    from jsonb_array_elements(v_offer -> 'resources') with ordinality as t (r, n);
  if p_start is not null and v_service is not null and p_first < cardinality(v_ids) then
    v_from := p_start - make_interval(mins => (v_service ->> 'buffer_before_min')::int);
    v_to := p_start + make_interval(mins => (v_service ->> 'duration_min')::int + (v_service ->> 'buffer_after_min')::int);
    select coalesce(array_agg(c.id order by c.n) filter (where c.taken), '{}'),
           coalesce((array_agg(c.id order by c.n) filter (where not c.taken))[1:p_first], '{}')
      into v_taken, v_ids
      from (select u.id, u.n,
              exists (select from blocking_bookings(u.id, v_from, v_to, p_exclude)) as taken
            from unnest(v_ids) with ordinality as u (id, n)) c;
  end if;
  return json_build_object(
    'offer', v_offer,
    'inputs', case when p_start is null then slot_inputs(v_ids, p_from, p_to, p_from_day, p_to_day, p_exclude) end,
    'decisions', case when p_start is not null and v_service is not null then
      (select coalesce(json_object_agg(x.resource_id, json_build_object(
                'inputs', x.inputs, 'digest', md5(x.inputs::text), 'from', g.range_from, 'to', g.range_to, 'day', g.day)), '{}')
         from (select y.range_from, y.range_to, y.day, array_agg(y.id) as ids
               from (select w.id, w.day,
                       case when v_service ->> 'max_per_day' is null then w.blocked_from
                            else least(w.blocked_from, (w.day::timestamp at time zone w.tz) - interval '1 hour') end as range_from,
                       case when v_service ->> 'max_per_day' is null then w.blocked_to
                            else greatest(w.blocked_to, ((w.day + 1)::timestamp at time zone w.tz) + interval '1 hour') end as range_to
                     from (select (r ->> 'id')::uuid as id, r ->> 'time_zone' as tz, (p_start at time zone (r ->> 'time_zone'))::date as day,
                             p_start - make_interval(mins => (v_service ->> 'buffer_before_min')::int) as blocked_from,
                             p_start + make_interval(mins => (v_service ->> 'duration_min')::int + (v_service ->> 'buffer_after_min')::int) as blocked_to
                           from jsonb_array_elements(v_offer -> 'resources') r
                          where (r ->> 'id')::uuid = any(v_ids)) w) y
               group by y.range_from, y.range_to, y.day) g
         cross join lateral resource_inputs(g.ids, g.range_from, g.range_to, g.day, g.day, p_exclude) x)
    end,
    'taken', to_json(v_taken),
    'settings', case when p_start is not null then message_settings(v_ids) end);
end $$;
