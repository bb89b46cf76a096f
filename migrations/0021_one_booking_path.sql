-- One booking path (DESIGN "Booking"): every booking change is one tenant
-- transaction that takes the resource's lock, reads the engine's inputs,
-- lets the engine decide and inserts under the exclusion constraint. The
-- decision on a snapshot checked by digest under the lock (booking_context's
-- decisions, resource_inputs, book) and the group commit (book_together,
-- booking_contexts) go: every rule they mirrored in SQL is the engine's alone.
drop function book_together(uuid, json);
drop function booking_contexts(uuid, json);
drop function book(uuid, json, text, json, json, jsonb, jsonb);
drop function booking_context(uuid, uuid, uuid, timestamptz, timestamptz, date, date, uuid, timestamptz, integer);
drop function resource_inputs(uuid[], timestamptz, timestamptz, date, date, uuid);

-- As lock_resource, without waiting: false when another transaction holds it.
create function try_lock_resource(p_resource uuid) returns boolean
  language sql volatile
  as $$ select pg_try_advisory_xact_lock(hashtextextended(app_private.current_tenant_id()::text || ':' || p_resource::text, 0)) $$;

-- A list of free times in one statement that is its own transaction: the
-- tenant set for it, the offer (the service and the resource, or all
-- resources offering it, in their stable order) and the engine's inputs for
-- them around [p_from, p_to).
create function availability_context(p_tenant uuid, p_service uuid, p_resource uuid, p_from timestamptz, p_to timestamptz,
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
