-- A list of free times in one statement that is its own transaction
-- (src/db/tenant.ts, tenantCall): the tenant set for it, the offer (the
-- service and the resource, or every active resource offering it, in their
-- stable order) and the engine's inputs for them around [p_from, p_to). A
-- list takes no lock: booking decides again under the resource's.
create or replace function availability_context(p_tenant uuid, p_service uuid, p_resource uuid, p_from timestamptz, p_to timestamptz,
    p_from_day date, p_to_day date, p_exclude uuid) returns json
  language plpgsql volatile
  set plan_cache_mode = force_generic_plan
  as $$
declare
  v_offer json;
begin
  perform set_config('app.tenant_id', p_tenant::text, true);
  v_offer := service_offer(p_service, p_resource);
  return json_build_object(
    'offer', v_offer,
    'inputs', slot_inputs(
      (select coalesce(array_agg((r ->> 'id')::uuid), '{}') from json_array_elements(v_offer -> 'resources') r),
      p_from, p_to, p_from_day, p_to_day, p_exclude));
end $$;
