-- A booking in two statements.
--
-- Round trips were most of a booking's cost (bench/README.md): 14 per public
-- booking, each a few hundred microseconds of CPU on both sides. The booking
-- path now makes two calls, each a function run as its own transaction:
--
--   booking_context(tenant, …)  the offer and, per resource, the engine
--                               inputs its verdict on the start depends on
--                               and their digest (one snapshot);
--   book(tenant, …)             takes the resource's advisory lock, re-reads
--                               that resource's inputs and compares their
--                               digest with the one the engine decided on,
--                               then inserts the booking under the exclusion
--                               constraint and writes its follow-ups.
--
-- The engine (src/scheduling) is pure and stays in TypeScript: it decides on
-- the snapshot, and `book` proves under the lock that the database still
-- holds exactly that snapshot's inputs for the resource, so the verdict is
-- the one the engine would give now (DESIGN "Booking", step 3). If they
-- differ, nothing is written and the caller decides again on fresh inputs.
--
-- Every function here plans its statements once per connection
-- (plan_cache_mode = force_generic_plan): left to choose, the plan cache
-- kept planning the engine-input read afresh for each call's values, which
-- cost more than running it (0.8 ms against 0.25 ms per call).
--
-- Both functions are SECURITY INVOKER: they set app.tenant_id for their own
-- transaction, as withTenant does, and every row they touch is behind the
-- same row-level-security wall. The statements shared with the one-at-a-time
-- code (engine inputs, the resource lock, queueing notifications, emitting a
-- webhook event) live here once, and the TypeScript calls them too.

-- Active bookings by start: with the bounds on starts_at below, the
-- engine-input read scans the few days of a resource's calendar that can
-- overlap the range, not its whole past and future. (The GiST index cannot
-- serve `blocked &&` under RLS: the operator is not leakproof, so it is not
-- used as an index condition.) The bounds hold because a booking's blocked
-- range starts at most a day before its start (the longest buffer) and ends
-- at most two days after it (the longest service plus the longest buffer);
-- the table now says so, so no writer can break the read.
create index bookings_active_by_start on bookings (tenant_id, resource_id, starts_at) where (status in ('held', 'confirmed'));
alter table bookings add constraint bookings_blocked_near_start
  check (starts_at - lower(blocked) <= interval '1 day' and upper(blocked) - starts_at <= interval '2 days');
-- Superseded: no query can use its range part under RLS, the exclusion
-- constraint has its own index on the same columns, and each booking paid
-- for one more GiST insert (and, before statistics existed, foreign-key
-- checks chose it over the primary key and read a tenant's every booking).
drop index bookings_by_resource_blocked;
-- The engine-input read asks for `resource_id = any(…)`, which GiST indexes
-- cannot answer: without these it read every weekly window and busy block
-- of the tenant, for every booking.
create index weekly_hours_by_resource on weekly_hours (tenant_id, resource_id);
create index busy_blocks_by_resource on busy_blocks (tenant_id, resource_id);

-- Every input of the engine for resources `p_ids` around a range: weekly
-- hours, date overrides with their windows and holidays for the local dates
-- [p_from_day, p_to_day]; blocking bookings (but p_exclude, a booking being
-- moved) and busy blocks overlapping [p_from, p_to). Instants as epoch
-- milliseconds; every aggregate ordered, so equal inputs give equal text
-- (book compares digests of it). blocked && [from, to) implies a start in
-- (from - 2 days, to + 1 day): see bookings_blocked_near_start.
create function slot_inputs(p_ids uuid[], p_from timestamptz, p_to timestamptz, p_from_day date, p_to_day date, p_exclude uuid)
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
                 cross join lateral (select * from bookings b
                                      where b.resource_id = r.id and b.status in ('held', 'confirmed')
                                        and b.starts_at > p_from - interval '2 days' and b.starts_at < p_to + interval '1 day'
                                        and b.blocked && tstzrange(p_from, p_to, '[)')
                                        and b.id is distinct from p_exclude offset 0) b),
    'busy', (select coalesce(json_agg(json_build_array(bb.resource_id, (extract(epoch from lower(bb.during)) * 1000)::float8,
               (extract(epoch from upper(bb.during)) * 1000)::float8)
               order by bb.resource_id, lower(bb.during), upper(bb.during)), '[]')
             from unnest(p_ids) as r (id)
             cross join lateral (select * from busy_blocks bb
                                  where bb.resource_id = r.id and bb.during && tstzrange(p_from, p_to, '[)') offset 0) bb))
$$;

-- The advisory lock that serializes every writer of one resource's calendar
-- (DESIGN "Booking", step 2), for the rest of the transaction.
create function lock_resource(p_resource uuid) returns void
  language sql volatile
  as $$ select pg_advisory_xact_lock(hashtextextended(app_private.current_tenant_id()::text || ':' || p_resource::text, 0)) $$;

-- Record messages and enqueue their send jobs, in one statement whatever
-- their number. Each input element: booking_id, kind, to_address,
-- scheduled_for, payload, job_key. Re-planning the same (booking, kind,
-- recipient, instant) revives a skipped row and nothing else: a row in any
-- other state stays as it is and gets no job, so nothing is sent twice.
-- Within one call the first of such duplicates wins. Each job runs at its
-- row's time, keyed job_key if given (reminders), else notify:<id>.
create function queue_notifications(p_input jsonb, p_task text, p_max_attempts integer) returns uuid[]
  language sql volatile
  set plan_cache_mode = force_generic_plan
  as $$
  with input as (
    select (x ->> 'booking_id')::uuid as booking_id, x ->> 'kind' as kind, x ->> 'to_address' as to_address,
      (x ->> 'scheduled_for')::timestamptz as scheduled_for, x -> 'payload' as payload, x ->> 'job_key' as job_key, ord
    from jsonb_array_elements(p_input) with ordinality as i (x, ord)
  ), written as (
    insert into notifications as n (tenant_id, booking_id, kind, to_address, scheduled_for, payload)
    select distinct on (booking_id, kind, to_address, scheduled_for) app_private.current_tenant_id(), booking_id, kind, to_address, scheduled_for, payload
      from input order by booking_id, kind, to_address, scheduled_for, ord
    on conflict (tenant_id, booking_id, kind, to_address, scheduled_for)
      do update set status = 'queued', attempts = 0, last_error = null, payload = excluded.payload
      where n.status = 'skipped'
    returning n.id, n.booking_id, n.kind, n.to_address, n.scheduled_for
  ), jobs as (
    -- The job key of the input row each written row came from.
    select distinct on (w.id) w.id, w.scheduled_for, coalesce(i.job_key, 'notify:' || w.id) as job_key
      from written w
      join input i on i.booking_id is not distinct from w.booking_id and i.kind = w.kind
        and i.to_address = w.to_address and i.scheduled_for = w.scheduled_for
      order by w.id, i.ord
  )
  -- One add_jobs call for the whole batch; its count is tested only so the call cannot be planned away.
  select coalesce(q.ids, '{}')
  from (select array_agg(id) as ids,
          app_private.add_jobs(p_task, array_agg(jsonb_build_object('notificationId', id)), array_agg(scheduled_for), array_agg(job_key), p_max_attempts) as added
        from jobs) q
  where q.added is not null
$$;

-- Record a webhook event for every active endpoint subscribed to its type
-- and enqueue one delivery job each.
create function emit_event(p_event_id uuid, p_type text, p_payload jsonb, p_task text, p_max_attempts integer) returns integer
  language sql volatile
  set plan_cache_mode = force_generic_plan
  as $$
  with delivery as (
    insert into webhook_deliveries (tenant_id, endpoint_id, event_id, event_type, payload)
    select app_private.current_tenant_id(), e.id, p_event_id, p_type, p_payload
      from webhook_endpoints e where e.active and p_type = any(e.events)
    returning id
  )
  select app_private.add_jobs(p_task, array_agg(jsonb_build_object('deliveryId', id)), null, array_agg('webhook:' || id), p_max_attempts)
  from delivery
$$;

-- The service and the resources that may be booked for it (one, or all
-- active ones when p_resource is null), as rows of their tables.
create function service_offer(p_service uuid, p_resource uuid) returns json
  language sql stable
  set plan_cache_mode = force_generic_plan
  as $$
  -- Two branches rather than `p_resource is null or r.id = p_resource`,
  -- which no index answers: one resource is a key lookup.
  select json_build_object('service', (select row_to_json(s) from services s where s.id = p_service),
    'resources', case
      when p_resource is null then
        (select coalesce(json_agg(r order by r.position, r.name, r.id), '[]')
           from resources r join service_resources sr on sr.tenant_id = r.tenant_id and sr.resource_id = r.id
          where sr.service_id = p_service and r.active)
      else
        (select coalesce(json_agg(r), '[]')
           from resources r join service_resources sr on sr.tenant_id = r.tenant_id and sr.resource_id = r.id
          where sr.service_id = p_service and sr.resource_id = p_resource and r.id = p_resource and r.active)
    end)
$$;

-- One snapshot of everything a booking decision needs: the offer, and
-- either (p_start null) the engine's inputs for all offered resources
-- around [p_from, p_to), all a list of free times needs; or, for a booking
-- at p_start, per resource the inputs its verdict on p_start depends on,
-- their digest (for book) and the range they were read for, and the
-- message settings (reminder offsets, the front-desk address, each
-- resource's staff member's address).
--
-- The verdict on a start depends on the windows of its local date (weekly
-- hours, that date's override, holidays), on what overlaps the time the
-- booking would block, and, when the service caps bookings per day, on the
-- bookings of that local date (widened by an hour each side, in case the
-- zone's midnight is itself a transition). Reading no more than that keeps
-- bookings of other times and days from invalidating each other's digests,
-- and the engine decides on exactly what book will compare.
create function booking_context(p_tenant uuid, p_service uuid, p_resource uuid, p_from timestamptz, p_to timestamptz,
    p_from_day date, p_to_day date, p_exclude uuid, p_start timestamptz) returns json
  language plpgsql volatile
  set plan_cache_mode = force_generic_plan
  as $$
declare
  v_offer json;
  v_ids uuid[];
  v_service json;
begin
  perform set_config('app.tenant_id', p_tenant::text, true);
  v_offer := service_offer(p_service, p_resource);
  v_service := v_offer -> 'service';
  select coalesce(array_agg((r ->> 'id')::uuid), '{}') into v_ids from json_array_elements(v_offer -> 'resources') r;
  return json_build_object(
    'offer', v_offer,
    'inputs', case when p_start is null then slot_inputs(v_ids, p_from, p_to, p_from_day, p_to_day, p_exclude) end,
    'decisions', case when p_start is not null and v_service is not null then
      (select coalesce(json_object_agg(x.id, json_build_object(
                'inputs', x.inputs, 'digest', md5(x.inputs::text), 'from', x.range_from, 'to', x.range_to, 'day', x.day)), '{}')
         from (select y.*, slot_inputs(array[y.id], y.range_from, y.range_to, y.day, y.day, p_exclude) as inputs
               from (select w.id, w.day,
                       case when v_service ->> 'max_per_day' is null then w.blocked_from
                            else least(w.blocked_from, (w.day::timestamp at time zone w.tz) - interval '1 hour') end as range_from,
                       case when v_service ->> 'max_per_day' is null then w.blocked_to
                            else greatest(w.blocked_to, ((w.day + 1)::timestamp at time zone w.tz) + interval '1 hour') end as range_to
                     from (select (r ->> 'id')::uuid as id, r ->> 'time_zone' as tz, (p_start at time zone (r ->> 'time_zone'))::date as day,
                             p_start - make_interval(mins => (v_service ->> 'buffer_before_min')::int) as blocked_from,
                             p_start + make_interval(mins => (v_service ->> 'duration_min')::int + (v_service ->> 'buffer_after_min')::int) as blocked_to
                           from json_array_elements(v_offer -> 'resources') r) w) y) x)
    end,
    'settings', case when p_start is not null then
      (select json_build_object('reminder_offsets', t.reminder_offsets_minutes, 'notification_email', t.notification_email,
         'staff_emails', (select coalesce(json_object_agg(r.id, u.email), '{}') from resources r join users u on u.id = r.user_id
                           where r.id = any(v_ids)))
       from tenants t where t.id = p_tenant)
    end);
end $$;

-- Write a booking decided on booking_context's snapshot. Takes the
-- resource's lock, then compares the digest of the resource's engine inputs
-- (read again, now) with p_digest: different means something changed since
-- the decision; nothing is written and the result is false. Otherwise the
-- booking (a bookings row as JSON) is inserted — an overlap still raises
-- 23P01 from the exclusion constraint — with its history line, its messages
-- and its webhook event, and the result is true.
--   p_range:   {from, to, from_day, to_day}: the range booking_context read
--              the resource's digest for
--   p_history: {event, actor, actor_user_id, detail}
--   p_notify:  {task, max_attempts, input} for queue_notifications
--   p_event:   {task, max_attempts, id, type, payload} for emit_event
create function book(p_tenant uuid, p_booking json, p_digest text, p_range json, p_history json, p_notify jsonb, p_event jsonb)
  returns boolean
  language plpgsql volatile
  set plan_cache_mode = force_generic_plan
  as $$
declare
  b bookings;
begin
  perform set_config('app.tenant_id', p_tenant::text, true);
  b := json_populate_record(null::bookings, p_booking);
  b.tenant_id := p_tenant;
  perform lock_resource(b.resource_id);
  if md5(slot_inputs(array[b.resource_id], (p_range ->> 'from')::timestamptz, (p_range ->> 'to')::timestamptz,
         (p_range ->> 'from_day')::date, (p_range ->> 'to_day')::date, null)::text) is distinct from p_digest then
    return false;
  end if;
  insert into bookings (tenant_id, id, service_id, resource_id, starts_at, ends_at, blocked, status, customer_name, customer_email,
    customer_phone, customer_time_zone, notes, manage_nonce, manage_token_hash, source, created_by, created_at, updated_at)
  values (b.tenant_id, b.id, b.service_id, b.resource_id, b.starts_at, b.ends_at, b.blocked, b.status, b.customer_name, b.customer_email,
    b.customer_phone, b.customer_time_zone, b.notes, b.manage_nonce, b.manage_token_hash, b.source, b.created_by, b.created_at, b.created_at);
  insert into booking_history (tenant_id, booking_id, event, status, actor, actor_user_id, detail, starts_at)
  values (b.tenant_id, b.id, p_history ->> 'event', b.status, p_history ->> 'actor', (p_history ->> 'actor_user_id')::uuid,
    p_history ->> 'detail', b.starts_at);
  perform queue_notifications(p_notify -> 'input', p_notify ->> 'task', (p_notify ->> 'max_attempts')::integer);
  perform emit_event((p_event ->> 'id')::uuid, p_event ->> 'type', p_event -> 'payload', p_event ->> 'task', (p_event ->> 'max_attempts')::integer);
  return true;
end $$;
