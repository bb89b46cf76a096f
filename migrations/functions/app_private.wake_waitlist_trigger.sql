-- After a statement that may free time other than through a booking — hours
-- widened, an override's windows added or the override removed, a block
-- removed or moved (an admin's, or a synced calendar's event deleted or
-- moved), a resource added to a service, a holiday removed — wake the
-- waitlist of the resources it touched (migrations/0041 lists the
-- triggers), whichever code path made the change. Statement-level: the
-- rows are in the transition table `changed`; an import that rewrites a
-- thousand blocks enqueues one job per resource. With the argument
-- 'tenant', every resource of the tenant (a holiday is the tenant's); with
-- 'service', the resources offering the services changed (a rule relaxed:
-- shorter notice, a longer horizon, a higher daily cap, more seats).
-- Outside a tenant transaction (an operator's maintenance, a tenant being
-- deleted) there is no waitlist to serve.
create or replace function app_private.wake_waitlist_trigger() returns trigger
  language plpgsql volatile
  set search_path = pg_catalog, public, pg_temp
  as $$
begin
  if app_private.current_tenant_id() is null then
    return null;
  end if;
  if tg_nargs > 0 and tg_argv[0] = 'tenant' then
    perform app_private.wake_waitlist(array(select id from public.resources));
  elsif tg_nargs > 0 and tg_argv[0] = 'service' then
    perform app_private.wake_waitlist(array(
      select distinct sr.resource_id from public.service_resources sr where sr.service_id in (select id from changed)));
  else
    perform app_private.wake_waitlist(array(select distinct resource_id from changed));
  end if;
  return null;
end $$;
revoke all on function app_private.wake_waitlist_trigger() from public;
