-- The service and the resources that may be booked for it (one, or all
-- active ones when p_resource is null), as rows of their tables.
create or replace function service_offer(p_service uuid, p_resource uuid) returns json
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
