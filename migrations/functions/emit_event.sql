-- Record a webhook event for every active endpoint subscribed to its type
-- and enqueue one delivery job each, in the tenant's `webhooks` queue (one
-- at a time per tenant: src/webhooks/service.ts, emitEvent).
create or replace function emit_event(p_event_id uuid, p_type text, p_payload jsonb, p_task text, p_max_attempts integer) returns integer
  language sql volatile
  set plan_cache_mode = force_generic_plan
  as $$
  with delivery as (
    insert into webhook_deliveries (tenant_id, endpoint_id, event_id, event_type, payload)
    select app_private.current_tenant_id(), e.id, p_event_id, p_type, p_payload
      from webhook_endpoints e where e.active and p_type = any(e.events)
    returning id
  )
  select app_private.add_jobs(p_task, array_agg(jsonb_build_object('deliveryId', id)), null, array_agg('webhook:' || id), p_max_attempts, 'webhooks')
  from delivery
$$;
