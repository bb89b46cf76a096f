-- Several bookings of one tenant written by one statement, one transaction:
-- what `book` (0012) does for one, done for concurrent bookings together,
-- so the per-statement and per-transaction work (and one graphile-worker
-- NOTIFY) is paid once for all of them. Each item keeps every guarantee of
-- `book`: its resource's advisory lock (taken in resource-id order, the
-- order every writer holding more than one takes them, so batches cannot
-- deadlock each other or a reschedule), its digest re-read under that lock,
-- the INSERT under the exclusion constraint, and its history, messages and
-- webhook event in the same transaction.
--
-- p_items: a JSON array of {booking, digest, range, history, notify, event},
-- each as `book` takes them. The result is a JSON array of booleans, one per
-- item: written, or not (its inputs changed since its decision, or an
-- earlier item of the batch has the same resource: two bookings of one
-- resource are never decided together, so the later one must decide again).
-- Any error (an exclusion violation from a writer that takes no lock, a
-- foreign key) aborts the whole statement: the caller then writes the items
-- one by one, so each gets its own answer.
create function book_together(p_tenant uuid, p_items json) returns json
  language plpgsql volatile
  set plan_cache_mode = force_generic_plan
  as $$
declare
  v_ok boolean[];
begin
  perform set_config('app.tenant_id', p_tenant::text, true);
  -- The messages are queued by one call, with one task and one number of attempts for all.
  if (select count(distinct (i -> 'notify' ->> 'task', i -> 'notify' ->> 'max_attempts')) from json_array_elements(p_items) i) > 1 then
    raise exception 'book_together: the items queue their messages differently' using errcode = '22023';
  end if;
  perform lock_resource(r.id)
    from (select distinct (i -> 'booking' ->> 'resource_id')::uuid as id from json_array_elements(p_items) i order by 1) r;
  select array_agg(x.ok order by x.n) into v_ok
    from (select y.n,
            y.n = min(y.n) over (partition by y.resource_id)
            and md5(slot_inputs(array[y.resource_id], (y.i -> 'range' ->> 'from')::timestamptz, (y.i -> 'range' ->> 'to')::timestamptz,
                  (y.i -> 'range' ->> 'from_day')::date, (y.i -> 'range' ->> 'to_day')::date, null)::text) is not distinct from y.i ->> 'digest' as ok
          from (select i, n, (i -> 'booking' ->> 'resource_id')::uuid as resource_id
                  from json_array_elements(p_items) with ordinality as t (i, n)) y
          offset 0) x;
  insert into bookings (tenant_id, id, service_id, resource_id, starts_at, ends_at, blocked, status, customer_name, customer_email,
    customer_phone, customer_time_zone, notes, manage_nonce, manage_token_hash, source, created_by, created_at, updated_at)
  select p_tenant, b.id, b.service_id, b.resource_id, b.starts_at, b.ends_at, b.blocked, b.status, b.customer_name, b.customer_email,
    b.customer_phone, b.customer_time_zone, b.notes, b.manage_nonce, b.manage_token_hash, b.source, b.created_by, b.created_at, b.created_at
  from json_array_elements(p_items) with ordinality as t (i, n)
  cross join lateral json_populate_record(null::bookings, t.i -> 'booking') b
  where v_ok[t.n];
  insert into booking_history (tenant_id, booking_id, event, status, actor, actor_user_id, detail, starts_at)
  select p_tenant, b.id, t.i -> 'history' ->> 'event', b.status, t.i -> 'history' ->> 'actor',
    (t.i -> 'history' ->> 'actor_user_id')::uuid, t.i -> 'history' ->> 'detail', b.starts_at
  from json_array_elements(p_items) with ordinality as t (i, n)
  cross join lateral json_populate_record(null::bookings, t.i -> 'booking') b
  where v_ok[t.n];
  -- One queue_notifications call for all messages.
  perform queue_notifications(
    (select coalesce(jsonb_agg(m order by t.n, k), '[]')
       from json_array_elements(p_items) with ordinality as t (i, n)
       cross join lateral jsonb_array_elements((t.i -> 'notify' -> 'input')::jsonb) with ordinality as u (m, k)
      where v_ok[t.n]),
    p_items -> 0 -> 'notify' ->> 'task', (p_items -> 0 -> 'notify' ->> 'max_attempts')::integer);
  perform emit_event((t.i -> 'event' ->> 'id')::uuid, t.i -> 'event' ->> 'type', (t.i -> 'event' -> 'payload')::jsonb,
      t.i -> 'event' ->> 'task', (t.i -> 'event' ->> 'max_attempts')::integer)
    from json_array_elements(p_items) with ordinality as t (i, n)
   where v_ok[t.n];
  return to_json(v_ok);
end $$;

-- Several booking_context reads of one tenant in one statement (the same
-- coalescing, for the decisions before the writes). One result per request,
-- in order; each exactly what booking_context returns for it.
create function booking_contexts(p_tenant uuid, p_requests json) returns json
  language sql volatile
  set plan_cache_mode = force_generic_plan
  as $$
  select json_agg(booking_context(p_tenant, (r ->> 'service')::uuid, (r ->> 'resource')::uuid, (r ->> 'from')::timestamptz,
           (r ->> 'to')::timestamptz, (r ->> 'from_day')::date, (r ->> 'to_day')::date, (r ->> 'exclude')::uuid,
           (r ->> 'start')::timestamptz) order by n)
  from json_array_elements(p_requests) with ordinality as t (r, n)
$$;
