-- Record messages and enqueue their send jobs, in one statement whatever
-- their number. Each input element: booking_id, kind, to_address,
-- scheduled_for, payload, job_key. Re-planning the same (booking, kind,
-- recipient, instant) revives a skipped row and nothing else: a row in any
-- other state stays as it is and gets no job, so nothing is sent twice.
-- Within one call the first of such duplicates wins. Each job runs at its
-- row's time, keyed job_key if given (reminders), else notify:<id>.
create or replace function queue_notifications(p_input jsonb, p_task text, p_max_attempts integer) returns uuid[]
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
