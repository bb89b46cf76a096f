-- What the messages of a booking change depend on (resourceMessageSettings
-- in src/notifications/queries.ts, for every booking change). The tenant's
-- reminder offsets and front-desk address, and the e-mail of each given
-- resource's staff member (resources without one are left out).
create or replace function message_settings(p_resources uuid[]) returns json
  language sql stable
  set plan_cache_mode = force_generic_plan
  as $$
  select json_build_object('reminder_offsets', t.reminder_offsets_minutes, 'notification_email', t.notification_email,
    'staff_emails', (select coalesce(json_object_agg(r.id, u.email), '{}') from resources r join users u on u.id = r.user_id
                      where r.id = any(p_resources)))
  from tenants t where t.id = app_private.current_tenant_id()
$$;
