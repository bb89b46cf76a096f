-- Payments (issue 16): each business is paid into its own Stripe account
-- (Connect, Standard accounts, direct charges). Money is integer minor
-- units plus an ISO currency everywhere.

-- The business's connected account and how long an unpaid booking holds
-- its time. Checkout Sessions live 30 minutes at least, and the hold is the
-- session's expires_at, so the hold never goes below that.
alter table tenants
  add column stripe_account_id text check (stripe_account_id is null or stripe_account_id ~ '^acct_[A-Za-z0-9]{1,64}$'),
  add column stripe_charges_enabled boolean not null default false,
  add column stripe_details_submitted boolean not null default false,
  add column hold_minutes integer not null default 30 check (hold_minutes between 30 and 1440);
-- An account pays one business: the webhook finds the business by it.
create unique index tenants_by_stripe_account on tenants (stripe_account_id) where stripe_account_id is not null;
grant update (stripe_account_id, stripe_charges_enabled, stripe_details_submitted, hold_minutes) on tenants to slotwise_app;

-- What a service asks for online: nothing, a deposit (deposit_minor, or a
-- percentage of the price), or the full price.
alter table services
  add column payment_mode text not null default 'none' check (payment_mode in ('none', 'deposit', 'full')),
  add column deposit_percent integer check (deposit_percent is null or deposit_percent between 1 and 100),
  add constraint services_deposit_one_way check (payment_mode <> 'deposit' or (deposit_percent is null) <> (deposit_minor = 0));
grant update (payment_mode, deposit_percent) on services to slotwise_app;

-- One payment per booking that takes one online. amount_due is what the
-- customer pays online; price_minor − amount_due is paid at the venue.
-- amount_refunded is the sum of the succeeded refunds.
create table payments (
  tenant_id uuid not null,
  booking_id uuid not null,
  mode text not null check (mode in ('deposit', 'full')),
  currency text not null check (currency ~ '^[A-Z]{3}$'),
  price_minor integer not null check (price_minor >= 0),
  amount_due integer not null check (amount_due > 0 and amount_due <= price_minor),
  amount_paid integer not null default 0 check (amount_paid >= 0),
  amount_refunded integer not null default 0 check (amount_refunded >= 0 and amount_refunded <= amount_paid),
  status text not null default 'pending' check (status in ('pending', 'paid', 'partially_refunded', 'refunded', 'failed')),
  stripe_account_id text not null,
  checkout_session_id text,
  checkout_url text,
  payment_intent_id text,
  paid_at timestamptz,
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now(),
  primary key (tenant_id, booking_id),
  foreign key (tenant_id, booking_id) references bookings (tenant_id, id) on delete cascade
);
create unique index payments_by_session on payments (tenant_id, checkout_session_id) where checkout_session_id is not null;
select app_private.protect_tenant_table('payments');
grant select, insert, update (amount_paid, amount_refunded, status, checkout_session_id, checkout_url, payment_intent_id, paid_at, updated_at)
  on payments to slotwise_app;

-- Refunds, numbered per booking: n makes the Stripe idempotency key
-- refund:<booking>:<n>, so a retried job cannot refund twice.
create table refunds (
  tenant_id uuid not null,
  booking_id uuid not null,
  n integer not null check (n >= 1),
  amount integer not null check (amount > 0),
  currency text not null check (currency ~ '^[A-Z]{3}$'),
  reason text not null check (char_length(reason) between 1 and 500),
  status text not null default 'queued' check (status in ('queued', 'pending', 'succeeded', 'failed', 'canceled')),
  stripe_refund_id text,
  last_error text,
  requested_by text not null check (requested_by in ('customer', 'staff', 'api', 'system')),
  requested_by_user_id uuid,
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now(),
  primary key (tenant_id, booking_id, n),
  foreign key (tenant_id, booking_id) references payments (tenant_id, booking_id) on delete cascade
);
create unique index refunds_by_stripe_id on refunds (tenant_id, stripe_refund_id) where stripe_refund_id is not null;
select app_private.protect_tenant_table('refunds');
grant select, insert, update (status, stripe_refund_id, last_error, updated_at) on refunds to slotwise_app;

-- A payment's timeline, as the booking's dashboard page shows it.
create table payment_events (
  tenant_id uuid not null,
  id uuid not null default gen_random_uuid(),
  booking_id uuid not null,
  kind text not null check (kind in ('session_created', 'paid', 'late_paid', 'hold_expired', 'refund_requested', 'refund_succeeded',
    'refund_failed', 'payment_failed')),
  amount integer,
  detail text,
  created_at timestamptz not null default now(),
  primary key (tenant_id, id),
  foreign key (tenant_id, booking_id) references payments (tenant_id, booking_id) on delete cascade
);
create index payment_events_by_booking on payment_events (tenant_id, booking_id, created_at);
select app_private.protect_tenant_table('payment_events');
grant select, insert on payment_events to slotwise_app;

-- Stripe events applied, by id: Stripe retries for days and out of order,
-- and an event is applied once.
create table stripe_events (
  tenant_id uuid not null,
  event_id text not null,
  type text not null,
  received_at timestamptz not null default now(),
  primary key (tenant_id, event_id)
);
select app_private.protect_tenant_table('stripe_events');
grant select, insert on stripe_events to slotwise_app;

-- Messages about money.
alter table notifications drop constraint notifications_kind_check;
alter table notifications add constraint notifications_kind_check check (kind in (
  'booking_confirmation', 'booking_reminder', 'booking_cancelled', 'booking_rescheduled',
  'staff_booking_created', 'staff_booking_cancelled', 'staff_booking_rescheduled', 'password_reset', 'staff_invite',
  'webhook_endpoint_created', 'webhook_endpoint_disabled', 'email_verification', 'api_key_created',
  'payment_refunded', 'late_payment_refunded'));

-- A held booking that is paid becomes confirmed: its history says so.
alter table booking_history drop constraint booking_history_event_check;
alter table booking_history add constraint booking_history_event_check
  check (event in ('created', 'cancelled', 'rescheduled', 'completed', 'no_show', 'confirmed'));

