-- Public API v1: per-tenant API keys, idempotent POSTs, outgoing webhooks.

-- A bearer key of one tenant. Only an HMAC of the key is stored; the prefix
-- lets people tell keys apart in lists.
create table api_keys (
  tenant_id uuid not null references tenants (id) on delete cascade,
  id uuid not null default gen_random_uuid(),
  name text not null check (char_length(name) between 1 and 100),
  prefix text not null,
  key_hash text not null,
  created_by uuid,
  created_at timestamptz not null default now(),
  last_used_at timestamptz,
  revoked_at timestamptz,
  primary key (tenant_id, id),
  unique (tenant_id, key_hash)
);
comment on table api_keys is 'A tenant''s API key: shown once at creation, stored as an HMAC, revocable.';
create unique index api_keys_hash on api_keys (key_hash);

-- The first response to a POST with an Idempotency-Key, replayed for 24 h.
create table idempotency_keys (
  tenant_id uuid not null references tenants (id) on delete cascade,
  api_key_id uuid not null,
  key text not null check (char_length(key) between 1 and 255),
  request_hash text not null,
  method text not null,
  path text not null,
  response_status integer,
  response_body jsonb,
  created_at timestamptz not null default now(),
  primary key (tenant_id, api_key_id, key),
  foreign key (tenant_id, api_key_id) references api_keys (tenant_id, id) on delete cascade
);
create index idempotency_keys_age on idempotency_keys (tenant_id, created_at);

-- Where a tenant wants booking events POSTed, signed with its secret.
create table webhook_endpoints (
  tenant_id uuid not null references tenants (id) on delete cascade,
  id uuid not null default gen_random_uuid(),
  url text not null check (url ~ '^https?://' and char_length(url) <= 2000),
  secret text not null,
  events text[] not null check (events <@ array['booking.created', 'booking.cancelled', 'booking.rescheduled']::text[] and cardinality(events) > 0),
  description text not null default '',
  active boolean not null default true,
  created_at timestamptz not null default now(),
  primary key (tenant_id, id)
);
comment on table webhook_endpoints is 'A receiver of booking events; `secret` signs deliveries (HMAC-SHA256) and must be readable to sign.';

-- One event to one endpoint, with what happened to it.
create table webhook_deliveries (
  tenant_id uuid not null,
  id uuid not null default gen_random_uuid(),
  endpoint_id uuid not null,
  event_id uuid not null,
  event_type text not null,
  payload jsonb not null,
  status text not null default 'pending' check (status in ('pending', 'succeeded', 'failed')),
  attempts integer not null default 0,
  last_status_code integer,
  last_error text,
  delivered_at timestamptz,
  created_at timestamptz not null default now(),
  primary key (tenant_id, id),
  unique (tenant_id, endpoint_id, event_id),
  foreign key (tenant_id, endpoint_id) references webhook_endpoints (tenant_id, id) on delete cascade
);
create index webhook_deliveries_recent on webhook_deliveries (tenant_id, created_at desc);

-- The tenant wall of 0001/0002 as one call, for this and every later migration.
create function app_private.protect_tenant_table(t regclass) returns void
  language plpgsql
  as $$
begin
  execute format('alter table %s enable row level security', t);
  execute format('alter table %s force row level security', t);
  execute format($p$create policy tenant_isolation on %s
    using (tenant_id = (select app_private.current_tenant_id()))
    with check (tenant_id = (select app_private.current_tenant_id()))$p$, t);
end $$;
revoke all on function app_private.protect_tenant_table(regclass) from public;

select app_private.protect_tenant_table(t)
  from unnest(array['api_keys', 'idempotency_keys', 'webhook_endpoints', 'webhook_deliveries']::regclass[]) as t;

grant select, insert, update (name, last_used_at, revoked_at) on api_keys to slotwise_app;
grant select, insert, delete, update (response_status, response_body) on idempotency_keys to slotwise_app;
grant select, insert, delete, update (url, events, description, active) on webhook_endpoints to slotwise_app;
grant select, insert, update (status, attempts, last_status_code, last_error, delivered_at) on webhook_deliveries to slotwise_app;

-- API key → tenant, before any tenant is known (the key decides the tenant,
-- not the Host header). Revoked keys resolve to nothing.
create function app_private.api_key_owner(p_key_hash text) returns table (tenant_id uuid, key_id uuid)
  language sql stable security definer
  set search_path = pg_catalog, public, pg_temp
  as $$ select tenant_id, id from public.api_keys where key_hash = p_key_hash and revoked_at is null $$;
revoke all on function app_private.api_key_owner(text) from public;
grant execute on function app_private.api_key_owner(text) to slotwise_app;
