-- Scheduling model: what is booked (resources), what is offered (services),
-- when (weekly hours, date overrides, holidays), and the bookings themselves
-- under the exclusion constraint that makes double booking impossible.
--
-- Wall-clock rules are stored as minutes after local midnight plus the
-- resource's IANA zone; instants are timestamptz; ranges are '[)' tstzrange.

-- Something customers book: a staff member, a room, a table.
create table resources (
  tenant_id uuid not null references tenants (id) on delete cascade,
  id uuid not null default gen_random_uuid(),
  name text not null check (char_length(name) between 1 and 100),
  kind text not null default 'staff' check (kind in ('staff', 'room', 'table', 'equipment')),
  time_zone text not null,
  user_id uuid,
  position integer not null default 0,
  active boolean not null default true,
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now(),
  primary key (tenant_id, id),
  foreign key (tenant_id, user_id) references users (tenant_id, id) on delete set null (user_id)
);
comment on table resources is 'Something customers book, with its own time zone; "any available" tries them by position, then name.';

-- Something customers book a resource for, with its rules.
create table services (
  tenant_id uuid not null references tenants (id) on delete cascade,
  id uuid not null default gen_random_uuid(),
  name text not null check (char_length(name) between 1 and 100),
  description text not null default '' check (char_length(description) <= 2000),
  duration_min integer not null check (duration_min between 1 and 1440),
  interval_min integer not null check (interval_min between 1 and 1440),
  buffer_before_min integer not null default 0 check (buffer_before_min between 0 and 1440),
  buffer_after_min integer not null default 0 check (buffer_after_min between 0 and 1440),
  min_notice_min integer not null default 0 check (min_notice_min between 0 and 525600),
  horizon_days integer not null default 60 check (horizon_days between 1 and 730),
  max_per_day integer check (max_per_day is null or max_per_day between 1 and 1000),
  price_minor integer not null default 0 check (price_minor >= 0),
  deposit_minor integer not null default 0 check (deposit_minor >= 0 and deposit_minor <= price_minor),
  currency text not null default 'USD' check (currency ~ '^[A-Z]{3}$'),
  position integer not null default 0,
  active boolean not null default true,
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now(),
  primary key (tenant_id, id)
);
comment on table services is 'A bookable offering: duration, slot grid, buffers, notice, horizon, daily cap, price (minor units).';

create table service_resources (
  tenant_id uuid not null,
  service_id uuid not null,
  resource_id uuid not null,
  primary key (tenant_id, service_id, resource_id),
  foreign key (tenant_id, service_id) references services (tenant_id, id) on delete cascade,
  foreign key (tenant_id, resource_id) references resources (tenant_id, id) on delete cascade
);
comment on table service_resources is 'Which resources offer which service.';

-- Weekly opening windows, in the resource's local wall-clock time. Several
-- per weekday; a lunch break is the gap between two. ISO weekday, Monday = 1.
create table weekly_hours (
  tenant_id uuid not null,
  id uuid not null default gen_random_uuid(),
  resource_id uuid not null,
  weekday smallint not null check (weekday between 1 and 7),
  start_minute smallint not null check (start_minute between 0 and 1439),
  end_minute smallint not null check (end_minute between 1 and 1440),
  check (start_minute < end_minute),
  primary key (tenant_id, id),
  foreign key (tenant_id, resource_id) references resources (tenant_id, id) on delete cascade,
  constraint weekly_hours_no_overlap exclude using gist (
    tenant_id with =, resource_id with =, weekday with =, int4range(start_minute, end_minute) with &&)
);

-- A date with other hours than the weekly ones; no windows means closed.
create table date_overrides (
  tenant_id uuid not null,
  resource_id uuid not null,
  date date not null,
  primary key (tenant_id, resource_id, date),
  foreign key (tenant_id, resource_id) references resources (tenant_id, id) on delete cascade
);
create table date_override_windows (
  tenant_id uuid not null,
  id uuid not null default gen_random_uuid(),
  resource_id uuid not null,
  date date not null,
  start_minute smallint not null check (start_minute between 0 and 1439),
  end_minute smallint not null check (end_minute between 1 and 1440),
  check (start_minute < end_minute),
  primary key (tenant_id, id),
  foreign key (tenant_id, resource_id, date) references date_overrides (tenant_id, resource_id, date) on delete cascade,
  constraint date_override_windows_no_overlap exclude using gist (
    tenant_id with =, resource_id with =, date with =, int4range(start_minute, end_minute) with &&)
);

-- Tenant-wide closures, inclusive dates, read in each resource's own zone.
create table holidays (
  tenant_id uuid not null references tenants (id) on delete cascade,
  id uuid not null default gen_random_uuid(),
  name text not null check (char_length(name) between 1 and 100),
  start_date date not null,
  end_date date not null,
  check (end_date >= start_date),
  primary key (tenant_id, id)
);

-- Time a resource is busy for reasons outside Slotwise bookings: admin
-- blocks, and events from synced calendars.
create table busy_blocks (
  tenant_id uuid not null,
  id uuid not null default gen_random_uuid(),
  resource_id uuid not null,
  during tstzrange not null check (not isempty(during) and lower_inc(during) and not upper_inc(during)),
  source text not null default 'admin' check (source in ('admin', 'google', 'outlook')),
  label text not null default '',
  external_id text,
  created_at timestamptz not null default now(),
  primary key (tenant_id, id),
  foreign key (tenant_id, resource_id) references resources (tenant_id, id) on delete cascade
);
create index busy_blocks_during on busy_blocks using gist (tenant_id, resource_id, during);

-- A customer's claim on a resource for a time. `blocked` is the time the
-- resource is unavailable for it: the appointment widened by the service's
-- buffers. Held and confirmed bookings block; the exclusion constraint makes
-- two blocking bookings of one resource overlapping impossible, whoever
-- writes them.
create table bookings (
  tenant_id uuid not null,
  id uuid not null default gen_random_uuid(),
  service_id uuid not null,
  resource_id uuid not null,
  starts_at timestamptz not null,
  ends_at timestamptz not null,
  blocked tstzrange not null,
  status text not null check (status in ('held', 'confirmed', 'cancelled', 'completed', 'no_show')),
  customer_name text not null check (char_length(customer_name) between 1 and 200),
  customer_email text not null check (char_length(customer_email) <= 254),
  customer_phone text check (customer_phone is null or char_length(customer_phone) <= 40),
  customer_time_zone text not null,
  notes text check (notes is null or char_length(notes) <= 2000),
  -- The manage link's secret is derived, never stored: token =
  -- HMAC(secret, 'manage:' || id || ':' || manage_nonce); lookups use
  -- manage_token_hash = HMAC(secret, token). A new nonce revokes old links.
  manage_nonce text not null,
  manage_token_hash text not null,
  source text not null check (source in ('public', 'admin', 'api', 'waitlist', 'series')),
  created_by uuid,
  hold_expires_at timestamptz,
  cancelled_at timestamptz,
  cancel_reason text,
  sequence integer not null default 0,
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now(),
  primary key (tenant_id, id),
  unique (tenant_id, manage_token_hash),
  check (ends_at > starts_at),
  check (lower_inc(blocked) and not upper_inc(blocked) and lower(blocked) <= starts_at and upper(blocked) >= ends_at),
  foreign key (tenant_id, service_id) references services (tenant_id, id) on delete restrict,
  foreign key (tenant_id, resource_id) references resources (tenant_id, id) on delete restrict,
  constraint bookings_no_overlap exclude using gist (
    tenant_id with =, resource_id with =, blocked with &&) where (status in ('held', 'confirmed'))
);
comment on table bookings is 'A customer''s booking of a resource; held and confirmed bookings block their time, buffers included.';
create index bookings_by_start on bookings (tenant_id, starts_at);
create index bookings_by_resource_blocked on bookings using gist (tenant_id, resource_id, blocked);

-- The same wall for every table above.
do $$
declare t text;
begin
  foreach t in array array['resources', 'services', 'service_resources', 'weekly_hours', 'date_overrides',
                           'date_override_windows', 'holidays', 'busy_blocks', 'bookings'] loop
    execute format('alter table %I enable row level security', t);
    execute format('alter table %I force row level security', t);
    execute format($p$create policy tenant_isolation on %I
      using (tenant_id = (select app_private.current_tenant_id()))
      with check (tenant_id = (select app_private.current_tenant_id()))$p$, t);
  end loop;
end $$;

grant select, insert, delete, update (name, kind, time_zone, user_id, position, active, updated_at) on resources to slotwise_app;
grant select, insert, delete, update (name, description, duration_min, interval_min, buffer_before_min, buffer_after_min,
  min_notice_min, horizon_days, max_per_day, price_minor, deposit_minor, currency, position, active, updated_at) on services to slotwise_app;
grant select, insert, delete on service_resources, weekly_hours, date_overrides, date_override_windows, holidays, busy_blocks to slotwise_app;
grant update (name, start_date, end_date) on holidays to slotwise_app;
grant update (during, label) on busy_blocks to slotwise_app;
-- Bookings are never deleted by the app: they are cancelled.
grant select, insert, update (service_id, resource_id, starts_at, ends_at, blocked, status, customer_name, customer_email,
  customer_phone, customer_time_zone, notes, manage_nonce, manage_token_hash, hold_expires_at, cancelled_at, cancel_reason, sequence, updated_at) on bookings to slotwise_app;
