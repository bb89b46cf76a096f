-- Calendar sync (issue 17): a resource's connection to a provider's
-- calendars, the calendars it reads busy time from and writes bookings to,
-- the events it wrote for bookings, single-use OAuth states and secret ICS
-- feed tokens. Every table is a tenant table behind the same wall.

-- One provider account linked to one resource. The grant (refresh token)
-- is stored encrypted (AES-256-GCM with ENCRYPTION_KEY, src/calendars/crypto.ts)
-- and deleted on disconnect with the row.
create table calendar_connections (
  tenant_id uuid not null references tenants (id) on delete cascade,
  id uuid not null default gen_random_uuid(),
  resource_id uuid not null,
  provider text not null check (provider in ('google', 'outlook')),
  account text not null default '' check (char_length(account) <= 254),
  grant_sealed text not null,
  status text not null default 'active' check (status in ('active', 'broken')),
  last_synced_at timestamptz,
  last_error text check (last_error is null or char_length(last_error) <= 1000),
  broken_at timestamptz,
  events_imported integer not null default 0,
  -- Whether the business lets the customer be an attendee of the event.
  invite_customer boolean not null default false,
  created_by uuid,
  created_at timestamptz not null default now(),
  primary key (tenant_id, id),
  unique (tenant_id, resource_id, provider),
  foreign key (tenant_id, resource_id) references resources (tenant_id, id) on delete cascade
);
comment on table calendar_connections is 'A resource''s link to a provider account; its grant is encrypted at rest.';
select app_private.protect_tenant_table('calendar_connections');
grant select, insert, delete, update (account, grant_sealed, status, last_synced_at, last_error, broken_at, events_imported, invite_customer)
  on calendar_connections to slotwise_app;

-- A calendar of a connection: whether its events block the resource, whether
-- it receives the bookings (at most one per connection), the incremental
-- sync token, and the push channel watching it.
create table calendar_calendars (
  tenant_id uuid not null,
  connection_id uuid not null,
  calendar_id text not null check (char_length(calendar_id) between 1 and 500),
  name text not null default '' check (char_length(name) <= 500),
  time_zone text not null default 'UTC',
  blocks boolean not null default false,
  receives boolean not null default false,
  sync_token text,
  channel_id text,
  channel_token text,
  channel_resource_id text,
  channel_expires_at timestamptz,
  primary key (tenant_id, connection_id, calendar_id),
  foreign key (tenant_id, connection_id) references calendar_connections (tenant_id, id) on delete cascade
);
create unique index calendar_calendars_one_receiver on calendar_calendars (tenant_id, connection_id) where receives;
create unique index calendar_calendars_by_channel on calendar_calendars (tenant_id, channel_id) where channel_id is not null;
select app_private.protect_tenant_table('calendar_calendars');
grant select, insert, delete, update (name, time_zone, blocks, receives, sync_token, channel_id, channel_token, channel_resource_id,
  channel_expires_at) on calendar_calendars to slotwise_app;

-- The provider's event that mirrors a booking, and the times we last wrote,
-- so an edit made in the provider is told apart from our own write.
create table calendar_booking_events (
  tenant_id uuid not null,
  booking_id uuid not null,
  connection_id uuid not null,
  calendar_id text not null,
  event_id text not null,
  starts_at timestamptz not null,
  ends_at timestamptz not null,
  conflict text check (conflict is null or char_length(conflict) <= 500),
  updated_at timestamptz not null default now(),
  primary key (tenant_id, booking_id),
  unique (tenant_id, connection_id, event_id),
  foreign key (tenant_id, booking_id) references bookings (tenant_id, id) on delete cascade,
  foreign key (tenant_id, connection_id) references calendar_connections (tenant_id, id) on delete cascade
);
select app_private.protect_tenant_table('calendar_booking_events');
grant select, insert, delete, update (connection_id, calendar_id, event_id, starts_at, ends_at, conflict, updated_at) on calendar_booking_events to slotwise_app;

-- Busy blocks from a synced calendar keep where they came from, so a sync
-- replaces or removes exactly its own. Bounded reads (blocks may overlap
-- one another, so the end alone orders nothing): a B-tree on the start,
-- searched from the start minus the resource's longest block (`span`, its
-- own index answers the max), with leakproof comparisons that row-level
-- security lets the index answer.
alter table busy_blocks drop constraint busy_blocks_source_check;
alter table busy_blocks add constraint busy_blocks_source_check check (source in ('admin', 'google', 'outlook', 'ics'));
alter table busy_blocks add column connection_id uuid;
alter table busy_blocks add column calendar_id text;
alter table busy_blocks add column starts_at timestamptz generated always as (lower(during)) stored;
alter table busy_blocks add column ends_at timestamptz generated always as (upper(during)) stored;
alter table busy_blocks add column span interval generated always as (upper(during) - lower(during)) stored;
alter table busy_blocks add foreign key (tenant_id, connection_id) references calendar_connections (tenant_id, id) on delete cascade;
create unique index busy_blocks_external on busy_blocks (tenant_id, connection_id, calendar_id, external_id) where connection_id is not null;
create index busy_blocks_by_start on busy_blocks (tenant_id, resource_id, starts_at);
create index busy_blocks_by_span on busy_blocks (tenant_id, resource_id, span);
drop index busy_blocks_by_resource;
grant update (label) on busy_blocks to slotwise_app;

-- An OAuth round trip in flight: its nonce, consumed once by the callback.
create table oauth_states (
  tenant_id uuid not null references tenants (id) on delete cascade,
  nonce text not null,
  expires_at timestamptz not null,
  primary key (tenant_id, nonce)
);
select app_private.protect_tenant_table('oauth_states');
grant select, insert, delete on oauth_states to slotwise_app;

-- A secret ICS feed: of one resource, or (resource null) the whole business.
-- Only the HMAC of the token is stored.
create table ics_feeds (
  tenant_id uuid not null references tenants (id) on delete cascade,
  id uuid not null default gen_random_uuid(),
  resource_id uuid,
  token_hash text not null,
  created_at timestamptz not null default now(),
  primary key (tenant_id, id),
  unique (tenant_id, token_hash),
  foreign key (tenant_id, resource_id) references resources (tenant_id, id) on delete cascade
);
create unique index ics_feeds_one_per_scope on ics_feeds (tenant_id, coalesce(resource_id, '00000000-0000-0000-0000-000000000000'));
select app_private.protect_tenant_table('ics_feeds');
grant select, insert, delete on ics_feeds to slotwise_app;

alter table notifications drop constraint notifications_kind_check;
alter table notifications add constraint notifications_kind_check check (kind in (
  'booking_confirmation', 'booking_reminder', 'booking_cancelled', 'booking_rescheduled',
  'staff_booking_created', 'staff_booking_cancelled', 'staff_booking_rescheduled', 'password_reset', 'staff_invite',
  'webhook_endpoint_created', 'webhook_endpoint_disabled', 'email_verification', 'api_key_created',
  'payment_refunded', 'late_payment_refunded', 'calendar_broken'));
