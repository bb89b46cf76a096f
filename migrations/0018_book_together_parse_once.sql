-- book_together (as in 0016) read its items, a json argument, with seven
-- json_array_elements calls, and each one parsed the whole text again (and
-- json_populate_record each booking twice): with the messages and history
-- of several bookings that is tens of kilobytes of JSON parsed per
-- statement. The items are now parsed once, into jsonb.
create or replace function book_together(p_tenant uuid, p_items json) returns json
  language plpgsql volatile
  set plan_cache_mode = force_generic_plan
  as $$
declare
  v_items jsonb := p_items::jsonb; -- parsed once, not at every json_array_elements below
  v_ok boolean[];
begin
  perform set_config('app.tenant_id', p_tenant::text, true);
  -- The messages are queued by one call, with one task and one number of attempts for all.
  if (select count(distinct (i -> 'notify' ->> 'task', i -> 'notify' ->> 'max_attempts')) from jsonb_array_elements(v_items) i) > 1 then
    raise exception 'book_together: the items queue their messages differently' using errcode = '22023';
  end if;
  perform lock_resource(r.id)
    from (select distinct (i -> 'booking' ->> 'resource_id')::uuid as id from jsonb_array_elements(v_items) i order by 1) r;
  select array_agg(x.ok order by x.n) into v_ok
    from (select y.n,
            y.n = min(y.n) over (partition by y.resource_id)
            and md5((select x.inputs from resource_inputs(array[y.resource_id], (y.i -> 'range' ->> 'from')::timestamptz,
                  (y.i -> 'range' ->> 'to')::timestamptz, (y.i -> 'range' ->> 'from_day')::date, (y.i -> 'range' ->> 'to_day')::date, null) x)::text)
                is not distinct from y.i ->> 'digest' as ok
          from (select i, n, (i -> 'booking' ->> 'resource_id')::uuid as resource_id
                  from jsonb_array_elements(v_items) with ordinality as t (i, n)) y
          offset 0) x;
  insert into bookings (tenant_id, id, service_id, resource_id, starts_at, ends_at, blocked, status, customer_name, customer_email,
    customer_phone, customer_time_zone, notes, manage_nonce, manage_token_hash, source, created_by, created_at, updated_at)
  select p_tenant, b.id, b.service_id, b.resource_id, b.starts_at, b.ends_at, b.blocked, b.status, b.customer_name, b.customer_email,
    b.customer_phone, b.customer_time_zone, b.notes, b.manage_nonce, b.manage_token_hash, b.source, b.created_by, b.created_at, b.created_at
  from jsonb_array_elements(v_items) with ordinality as t (i, n)
  cross join lateral jsonb_populate_record(null::bookings, t.i -> 'booking') b
  where v_ok[t.n];
  insert into booking_history (tenant_id, booking_id, event, status, actor, actor_user_id, detail, starts_at)
  select p_tenant, b.id, t.i -> 'history' ->> 'event', b.status, t.i -> 'history' ->> 'actor',
    (t.i -> 'history' ->> 'actor_user_id')::uuid, t.i -> 'history' ->> 'detail', b.starts_at
  from jsonb_array_elements(v_items) with ordinality as t (i, n)
  cross join lateral jsonb_populate_record(null::bookings, t.i -> 'booking') b
  where v_ok[t.n];
  -- One queue_notifications call for all messages.
  perform queue_notifications(
    (select coalesce(jsonb_agg(m order by t.n, k), '[]')
       from jsonb_array_elements(v_items) with ordinality as t (i, n)
       cross join lateral jsonb_array_elements(t.i -> 'notify' -> 'input') with ordinality as u (m, k)
      where v_ok[t.n]),
    v_items -> 0 -> 'notify' ->> 'task', (v_items -> 0 -> 'notify' ->> 'max_attempts')::integer);
  perform emit_event((t.i -> 'event' ->> 'id')::uuid, t.i -> 'event' ->> 'type', t.i -> 'event' -> 'payload',
      t.i -> 'event' ->> 'task', (t.i -> 'event' ->> 'max_attempts')::integer)
    from jsonb_array_elements(v_items) with ordinality as t (i, n)
   where v_ok[t.n];
  return to_json(v_ok);
end $$;
