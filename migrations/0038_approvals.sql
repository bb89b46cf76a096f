-- Bookings the business approves. A service that requires approval books
-- `pending`: the request takes its time (it blocks, as held and confirmed
-- bookings do, so nobody else books it meanwhile) until an owner or admin
-- approves it (confirmed) or declines it, or it expires after the
-- service's approval_hold_hours (both cancel it and free the time).
alter table services add column requires_approval boolean not null default false;
alter table services add column approval_hold_hours integer not null default 24
  check (approval_hold_hours between 1 and 720);
grant update (requires_approval, approval_hold_hours) on services to slotwise_app;

alter table bookings drop constraint bookings_status_check;
alter table bookings add constraint bookings_status_check
  check (status in ('pending', 'held', 'confirmed', 'cancelled', 'completed', 'no_show'));

-- Every partial index and the exclusion constraint over the bookings that
-- block their time now count pending ones too.
alter table bookings drop constraint bookings_no_overlap;
alter table bookings add constraint bookings_no_overlap exclude using gist (
  tenant_id with =, resource_id with =, blocked with &&) where (status in ('pending', 'held', 'confirmed'));
drop index bookings_active_by_end;
create index bookings_active_by_end on bookings (tenant_id, resource_id, blocked_to) where (status in ('pending', 'held', 'confirmed'));
drop index bookings_by_customer_start;
create index bookings_by_customer_start on bookings (tenant_id, customer_email, starts_at) where (status in ('pending', 'held', 'confirmed'));

-- A request's history: approved (confirmed) or declined.
alter table booking_history drop constraint booking_history_event_check;
alter table booking_history add constraint booking_history_event_check
  check (event in ('created', 'cancelled', 'rescheduled', 'completed', 'no_show', 'confirmed', 'requested', 'declined'));

alter table notifications drop constraint notifications_kind_check;
alter table notifications add constraint notifications_kind_check check (kind in (
  'booking_confirmation', 'booking_reminder', 'booking_cancelled', 'booking_rescheduled',
  'staff_booking_created', 'staff_booking_cancelled', 'staff_booking_rescheduled', 'password_reset', 'staff_invite',
  'webhook_endpoint_created', 'webhook_endpoint_disabled', 'email_verification', 'api_key_created',
  'payment_refunded', 'late_payment_refunded', 'calendar_broken',
  'series_confirmation', 'staff_series_created', 'series_cancelled', 'staff_series_cancelled',
  'booking_requested', 'staff_booking_requested', 'booking_declined'));
