-- Dashboard: what happened to each booking, internal notes, and the audit
-- log of admin actions.

-- Every status change of a booking, by whom (the customer, staff, the API
-- or the system), in order. The booking's status history.
create table booking_history (
  tenant_id uuid not null,
  id uuid not null default gen_random_uuid(),
  booking_id uuid not null,
  event text not null check (event in ('created', 'cancelled', 'rescheduled', 'completed', 'no_show')),
  status text not null,
  actor text not null check (actor in ('customer', 'staff', 'api', 'system')),
  actor_user_id uuid,
  detail text,
  starts_at timestamptz not null,
  created_at timestamptz not null default now(),
  primary key (tenant_id, id),
  foreign key (tenant_id, booking_id) references bookings (tenant_id, id) on delete cascade
);
create index booking_history_by_booking on booking_history (tenant_id, booking_id, created_at);
select app_private.protect_tenant_table('booking_history');
grant select, insert on booking_history to slotwise_app;

-- Staff-only notes on a booking; the customer never sees them.
create table booking_notes (
  tenant_id uuid not null,
  id uuid not null default gen_random_uuid(),
  booking_id uuid not null,
  author_user_id uuid,
  body text not null check (char_length(body) between 1 and 2000),
  created_at timestamptz not null default now(),
  primary key (tenant_id, id),
  foreign key (tenant_id, booking_id) references bookings (tenant_id, id) on delete cascade
);
create index booking_notes_by_booking on booking_notes (tenant_id, booking_id, created_at);
select app_private.protect_tenant_table('booking_notes');
grant select, insert on booking_notes to slotwise_app;

-- Who did what in the dashboard, with the subject before and after.
create table audit_log (
  tenant_id uuid not null references tenants (id) on delete cascade,
  id uuid not null default gen_random_uuid(),
  actor_user_id uuid,
  actor_email text,
  action text not null,
  subject_type text not null,
  subject_id uuid,
  before jsonb,
  after jsonb,
  created_at timestamptz not null default now(),
  primary key (tenant_id, id)
);
create index audit_log_recent on audit_log (tenant_id, created_at desc);
select app_private.protect_tenant_table('audit_log');
-- Append-only for the app: no update, no delete.
grant select, insert on audit_log to slotwise_app;
