-- Staff: invitations by email (single-use link), one owner per tenant.

create table invitations (
  tenant_id uuid not null references tenants (id) on delete cascade,
  id uuid not null default gen_random_uuid(),
  email text not null check (email = lower(email) and char_length(email) <= 254),
  role text not null check (role in ('admin', 'staff')),
  token_hash text not null,
  invited_by uuid,
  expires_at timestamptz not null,
  accepted_at timestamptz,
  revoked_at timestamptz,
  created_at timestamptz not null default now(),
  primary key (tenant_id, id),
  unique (tenant_id, token_hash)
);
comment on table invitations is 'An invitation to join a tenant''s staff; the link works once, until expires_at.';
select app_private.protect_tenant_table('invitations');
grant select, insert, update (accepted_at, revoked_at) on invitations to slotwise_app;

-- Exactly one owner: ownership moves, it is never shared.
create unique index users_one_owner on users (tenant_id) where role = 'owner';

alter table notifications drop constraint notifications_kind_check;
alter table notifications add constraint notifications_kind_check check (kind in (
  'booking_confirmation', 'booking_reminder', 'booking_cancelled', 'booking_rescheduled',
  'staff_booking_created', 'staff_booking_cancelled', 'staff_booking_rescheduled', 'password_reset', 'staff_invite'));
