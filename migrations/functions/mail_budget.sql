-- The business's mail budget as it stands (src/notifications/budget.ts), in
-- one statement: first the per-business advisory lock, held until the
-- claiming transaction ends, so two workers cannot both take the last
-- place; then whether the owner has verified their address, the messages
-- claimed since p_day_start and, while unverified, ever. Kinds in
-- p_uncounted (account mail) do not count.
create or replace function mail_budget(p_day_start timestamptz, p_uncounted text[])
  returns table (verified boolean, today integer, ever integer)
  language plpgsql volatile
  as $$
begin
  perform pg_advisory_xact_lock(hashtextextended('mail-budget:' || app_private.current_tenant_id()::text, 0));
  return query
  select t.owner_email_verified_at is not null,
         (select count(*)::int from notifications n where n.claimed_at >= p_day_start and n.kind <> all(p_uncounted)),
         case when t.owner_email_verified_at is null then
           (select count(*)::int from notifications n where n.claimed_at is not null and n.kind <> all(p_uncounted)) end
    from tenants t where t.id = app_private.current_tenant_id();
end $$;
