-- "Any available" decided on the inputs of every offered resource, read and
-- hashed (about 4 ms of Postgres time per booking with 32 resources, 0.4
-- with one), although the engine books the first free one in the offer's
-- order and rarely looks further.
--
-- booking_context takes p_first: for a booking at p_start, it then reads
-- the decision inputs of the first p_first offered resources (in the
-- offer's order) that no active booking blocks over the time the new one
-- would block (an overlap the exclusion constraint would refuse, so those
-- are certainly busy), and lists the blocked ones as 'taken'. The caller
-- reads again without p_first when none of those can be booked. Without
-- p_first (null, the default), or with at least as many as are offered, it
-- reads every resource, as before. And the offer is parsed once, as jsonb,
-- rather than again at every -> (the text of 32 resources, many times).
drop function booking_context(uuid, uuid, uuid, timestamptz, timestamptz, date, date, uuid, timestamptz);

create function booking_context(p_tenant uuid, p_service uuid, p_resource uuid, p_from timestamptz, p_to timestamptz,
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
              exists (select from bookings b
                       where b.resource_id = u.id and b.status in ('held', 'confirmed')
                         and b.starts_at > v_from - interval '2 days' and b.starts_at < v_to + interval '1 day'
                         and b.blocked && tstzrange(v_from, v_to, '[)')
                         and b.id is distinct from p_exclude) as taken
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

-- As in 0015, with each request's `first`.
create or replace function booking_contexts(p_tenant uuid, p_requests json) returns json
  language sql volatile
  set plan_cache_mode = force_generic_plan
  as $$
  select json_agg(booking_context(p_tenant, (r ->> 'service')::uuid, (r ->> 'resource')::uuid, (r ->> 'from')::timestamptz,
           (r ->> 'to')::timestamptz, (r ->> 'from_day')::date, (r ->> 'to_day')::date, (r ->> 'exclude')::uuid,
           (r ->> 'start')::timestamptz, (r ->> 'first')::integer) order by n)
  from json_array_elements(p_requests) with ordinality as t (r, n)
$$;
