-- Slotwise foundation: roles, the tenant wall, accounts, sessions.
--
-- Conventions for every later migration (see README "Database"):
--   * a tenant table has `tenant_id uuid not null` leading its primary key and
--     every UNIQUE/EXCLUDE constraint (constraint checks ignore RLS), composite
--     foreign keys (tenant_id, x_id), RLS enabled AND forced, and the policy
--     `tenant_isolation` below, defined before any grant;
--   * the runtime role gets only the privileges it needs, column lists for UPDATE;
--   * no TRUNCATE for the runtime role (it ignores RLS).

create extension if not exists btree_gist;

-- The runtime role: what every request and job body queries as. It owns
-- nothing, is not superuser and cannot bypass RLS. Production logs in as a
-- member of it (APP_DATABASE_URL); one-URL deploys switch to it at connect time.
do $$
begin
  if not exists (select 1 from pg_roles where rolname = 'slotwise_app') then
    create role slotwise_app nologin nosuperuser nobypassrls nocreatedb nocreaterole;
  end if;
  begin
    execute format('grant slotwise_app to %I', current_user);
  exception when others then
    raise notice 'could not grant slotwise_app to %: %', current_user, sqlerrm;
  end;
end $$;

grant usage on schema public to slotwise_app;
grant select on knex_migrations to slotwise_app;

create schema app_private;
revoke all on schema app_private from public;
grant usage on schema app_private to slotwise_app;

-- The tenant of the current transaction, or null. `nullif` because a
-- connection that once ran set_config(…, true) reads back '' afterwards.
create function app_private.current_tenant_id() returns uuid
  language sql stable parallel safe
  as $$ select nullif(current_setting('app.tenant_id', true), '')::uuid $$;
grant execute on function app_private.current_tenant_id() to slotwise_app;

-- A business. Its id is the tenant id of every row it owns.
create table tenants (
  id uuid primary key,
  slug text not null unique check (slug ~ '^[a-z0-9][a-z0-9-]{1,38}[a-z0-9]$'),
  name text not null check (char_length(name) between 1 and 100),
  time_zone text not null,
  logo_url text check (logo_url is null or logo_url ~ '^https?://'),
  accent_color text not null default '#2563eb' check (accent_color ~ '^#[0-9a-f]{6}$'),
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now()
);
comment on table tenants is 'A business using Slotwise, reachable at {slug}.{BASE_DOMAIN}.';
-- Enabled but not forced: the owner's SECURITY DEFINER functions below
-- resolve a host name to a tenant across tenants; the runtime role sees
-- only the tenant of its transaction.
alter table tenants enable row level security;
create policy tenant_isolation on tenants
  using (id = (select app_private.current_tenant_id()))
  with check (id = (select app_private.current_tenant_id()));
grant select, insert, update (name, time_zone, logo_url, accent_color, updated_at) on tenants to slotwise_app;

-- A person who can sign in to a tenant's dashboard.
create table users (
  tenant_id uuid not null references tenants (id) on delete cascade,
  id uuid not null default gen_random_uuid(),
  email text not null check (email = lower(email) and char_length(email) <= 254),
  name text not null,
  password_hash text not null,
  role text not null check (role in ('owner', 'admin', 'staff')),
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now(),
  primary key (tenant_id, id),
  unique (tenant_id, email)
);
comment on table users is 'A member of a tenant''s staff with a dashboard login and a role.';
alter table users enable row level security;
alter table users force row level security;
create policy tenant_isolation on users
  using (tenant_id = (select app_private.current_tenant_id()))
  with check (tenant_id = (select app_private.current_tenant_id()));
grant select, insert, delete, update (name, email, password_hash, role, updated_at) on users to slotwise_app;

-- Single-use secrets sent by email or handed across hosts. Only a keyed hash
-- (HMAC with SESSION_SECRET) is stored.
create table auth_tokens (
  tenant_id uuid not null references tenants (id) on delete cascade,
  id uuid not null default gen_random_uuid(),
  user_id uuid not null,
  purpose text not null check (purpose in ('password_reset', 'login_handoff')),
  token_hash text not null,
  expires_at timestamptz not null,
  used_at timestamptz,
  created_at timestamptz not null default now(),
  primary key (tenant_id, id),
  unique (tenant_id, token_hash),
  foreign key (tenant_id, user_id) references users (tenant_id, id) on delete cascade
);
comment on table auth_tokens is 'A password-reset link or a sign-up login handoff; valid once, until expires_at.';
create index auth_tokens_expiry on auth_tokens (tenant_id, expires_at);
alter table auth_tokens enable row level security;
alter table auth_tokens force row level security;
create policy tenant_isolation on auth_tokens
  using (tenant_id = (select app_private.current_tenant_id()))
  with check (tenant_id = (select app_private.current_tenant_id()));
grant select, insert, delete, update (used_at) on auth_tokens to slotwise_app;

-- Mail that was sent through the outbox transport (no SendGrid key).
create table outbox_messages (
  tenant_id uuid not null references tenants (id) on delete cascade,
  id uuid not null default gen_random_uuid(),
  kind text not null,
  to_address text not null,
  subject text not null,
  text_body text not null,
  html_body text,
  created_at timestamptz not null default now(),
  primary key (tenant_id, id)
);
comment on table outbox_messages is 'An email as it would have been sent, kept for /admin/outbox when no mail provider is configured.';
create index outbox_messages_recent on outbox_messages (tenant_id, created_at desc);
alter table outbox_messages enable row level security;
alter table outbox_messages force row level security;
create policy tenant_isolation on outbox_messages
  using (tenant_id = (select app_private.current_tenant_id()))
  with check (tenant_id = (select app_private.current_tenant_id()));
grant select, insert on outbox_messages to slotwise_app;

-- Browser sessions (connect-pg-simple's layout). Not tenant data: cookies
-- are host-only, and the app checks the session's tenant against the host.
create table http_sessions (
  sid varchar not null primary key,
  sess json not null,
  expire timestamp(6) not null
);
create index http_sessions_expire on http_sessions (expire);
grant select, insert, update, delete on http_sessions to slotwise_app;

-- Fixed-window request counters shared by every web process.
create table rate_limits (
  key text primary key,
  hits integer not null,
  reset_at timestamptz not null
);
create index rate_limits_reset on rate_limits (reset_at);
grant select, insert, update, delete on rate_limits to slotwise_app;

-- Host name → tenant: the one cross-tenant read a request needs.
create function app_private.tenant_by_slug(p_slug text) returns setof tenants
  language sql stable security definer
  set search_path = pg_catalog, public, pg_temp
  as $$ select * from public.tenants where slug = lower(p_slug) $$;
revoke all on function app_private.tenant_by_slug(text) from public;
grant execute on function app_private.tenant_by_slug(text) to slotwise_app;

-- For maintenance jobs that visit every tenant (each inside withTenant).
create function app_private.tenant_ids() returns setof uuid
  language sql stable security definer
  set search_path = pg_catalog, public, pg_temp
  as $$ select id from public.tenants order by id $$;
revoke all on function app_private.tenant_ids() from public;
grant execute on function app_private.tenant_ids() to slotwise_app;

-- Enqueue a graphile-worker job from a tenant transaction, so the job exists
-- only if the transaction commits. The runtime role has no rights on the
-- graphile_worker schema; this wrapper runs as its owner. It stamps the
-- current tenant into the payload and into the job key, so a tenant can
-- neither enqueue work for another tenant nor replace another tenant's job.
create function app_private.add_job(
  identifier text,
  payload jsonb default '{}',
  run_at timestamptz default null,
  job_key text default null,
  job_key_mode text default 'replace',
  max_attempts integer default null,
  priority integer default null,
  queue_name text default null
) returns bigint
  language plpgsql volatile security definer
  set search_path = pg_catalog, pg_temp
  as $$
declare
  v_tenant uuid := app_private.current_tenant_id();
  v_job graphile_worker._private_jobs;
begin
  if v_tenant is null then
    raise exception 'add_job needs a tenant transaction' using errcode = '42501';
  end if;
  v_job := graphile_worker.add_job(
    identifier => identifier,
    payload => (coalesce(payload, '{}'::jsonb) || jsonb_build_object('tenantId', v_tenant))::json,
    queue_name => queue_name,
    run_at => run_at,
    max_attempts => max_attempts,
    job_key => case when job_key is null then null else v_tenant::text || ':' || job_key end,
    priority => priority,
    job_key_mode => job_key_mode
  );
  return v_job.id;
end $$;
revoke all on function app_private.add_job(text, jsonb, timestamptz, text, text, integer, integer, text) from public;
grant execute on function app_private.add_job(text, jsonb, timestamptz, text, text, integer, integer, text) to slotwise_app;

create function app_private.remove_job(job_key text) returns void
  language plpgsql volatile security definer
  set search_path = pg_catalog, pg_temp
  as $$
declare
  v_tenant uuid := app_private.current_tenant_id();
begin
  if v_tenant is null then
    raise exception 'remove_job needs a tenant transaction' using errcode = '42501';
  end if;
  perform graphile_worker.remove_job(v_tenant::text || ':' || job_key);
end $$;
revoke all on function app_private.remove_job(text) from public;
grant execute on function app_private.remove_job(text) to slotwise_app;
