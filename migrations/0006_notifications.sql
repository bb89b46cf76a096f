-- Notifications: every message a booking (or a password reset) causes, one
-- row per (booking, kind, recipient, scheduled instant), recording what was
-- sent, by which provider, with its message id.

alter table tenants
  add column reminder_offsets_minutes integer[] not null default '{1440,60}'
    check (cardinality(reminder_offsets_minutes) <= 5 and 0 < all(reminder_offsets_minutes) and 43200 >= all(reminder_offsets_minutes)),
  add column notification_email text check (notification_email is null or char_length(notification_email) <= 254),
  add column customer_change_cutoff_minutes integer not null default 720 check (customer_change_cutoff_minutes between 0 and 43200),
  add column customers_may_cancel boolean not null default true,
  add column customers_may_reschedule boolean not null default true;
grant update (reminder_offsets_minutes, notification_email, customer_change_cutoff_minutes, customers_may_cancel, customers_may_reschedule)
  on tenants to slotwise_app;

create table notifications (
  tenant_id uuid not null references tenants (id) on delete cascade,
  id uuid not null default gen_random_uuid(),
  booking_id uuid,
  kind text not null check (kind in ('booking_confirmation', 'booking_reminder', 'booking_cancelled', 'booking_rescheduled',
    'staff_booking_created', 'staff_booking_cancelled', 'staff_booking_rescheduled', 'password_reset')),
  to_address text not null,
  scheduled_for timestamptz not null,
  -- What the message needs beyond the booking (e.g. a sealed reset link); cleared once sent.
  payload jsonb not null default '{}',
  status text not null default 'queued' check (status in ('queued', 'sending', 'sent', 'failed', 'skipped')),
  attempts integer not null default 0,
  provider text,
  provider_message_id text,
  last_error text,
  sent_at timestamptz,
  created_at timestamptz not null default now(),
  primary key (tenant_id, id),
  unique (tenant_id, booking_id, kind, to_address, scheduled_for),
  foreign key (tenant_id, booking_id) references bookings (tenant_id, id) on delete cascade
);
comment on table notifications is 'A message to send or sent; status queued → sending → sent | failed, or skipped when it no longer applies.';
create index notifications_by_booking on notifications (tenant_id, booking_id);
create index notifications_recent on notifications (tenant_id, created_at desc);
select app_private.protect_tenant_table('notifications');
grant select, insert, update (status, attempts, provider, provider_message_id, last_error, sent_at, payload) on notifications to slotwise_app;

-- The outbox transport records which notification a stored message came from.
alter table outbox_messages add column notification_id uuid;
