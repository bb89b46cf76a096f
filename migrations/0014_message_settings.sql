-- What the messages of a booking change depend on, read by one function for
-- both writers: the booking path (booking_context) and every other change
-- (notificationSettings in src/notifications/queries.ts). The tenant's
-- reminder offsets and front-desk address, and the e-mail of each given
-- resource's staff member (resources without one are left out).
create function message_settings(p_resources uuid[]) returns json
  language sql stable
  set plan_cache_mode = force_generic_plan
  as $$
  select json_build_object('reminder_offsets', t.reminder_offsets_minutes, 'notification_email', t.notification_email,
    'staff_emails', (select coalesce(json_object_agg(r.id, u.email), '{}') from resources r join users u on u.id = r.user_id
                      where r.id = any(p_resources)))
  from tenants t where t.id = app_private.current_tenant_id()
$$;

-- As in 0013, with the settings read by message_settings.
create or replace function booking_context(p_tenant uuid, p_service uuid, p_resource uuid, p_from timestamptz, p_to timestamptz,
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
                           from json_array_elements(v_offer -> 'resources') r) w) y
               offset 0) x)
    end,
    'settings', case when p_start is not null then message_settings(v_ids) end);
end $$;
