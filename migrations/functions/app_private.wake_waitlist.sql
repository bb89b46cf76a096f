-- Time may have freed up on these resources: in the changing transaction,
-- enqueue the job that offers it to the waitlist (`waitlist__offer`,
-- src/waitlist/tasks.ts), one per resource, keyed per resource so a burst
-- of changes runs it once, and none when nobody waits. Called by the
-- booking service for booking changes (`wakeWaitlist`) and by the triggers
-- of app_private.wake_waitlist_trigger for hours, blocks and holidays.
-- Runs as the caller, behind its policies: only the tenant's resources.
create or replace function app_private.wake_waitlist(resource_ids uuid[]) returns void
  language sql volatile
  set search_path = pg_catalog, public, pg_temp
  as $$
  select app_private.add_job('waitlist__offer', jsonb_build_object('resourceId', r.id::text), null, 'waitlist:' || r.id::text)
    from public.resources r
   where r.id = any(resource_ids)
     and exists (select 1 from public.waitlist_entries where status = 'waiting');
$$;
revoke all on function app_private.wake_waitlist(uuid[]) from public;
grant execute on function app_private.wake_waitlist(uuid[]) to slotwise_app;
