-- Webhooks that cannot hurt the platform or another tenant.
--
-- * An endpoint remembers who added it (a dashboard user, or the API key and
--   the user who made that key), and its health: failed attempts in a row
--   (reset by a success), the last failure in short words, and when it was
--   turned off. The worker turns an endpoint off after 50 failures in a row
--   (src/webhooks/health.ts); the owner turns it back on in the dashboard.
-- * Deliveries run in one graphile-worker queue per tenant
--   (`webhooks:<tenant id>`): jobs of a queue run one at a time, so one
--   tenant's slow endpoints hold at most one worker slot, and notifications,
--   which have no queue, never wait behind them.
-- * Two staff messages to the owner: an endpoint was added, an endpoint was
--   turned off.

alter table webhook_endpoints
  add column created_by uuid,
  add column created_by_api_key uuid,
  add column consecutive_failures integer not null default 0 check (consecutive_failures >= 0),
  add column last_error text check (char_length(last_error) <= 200),
  add column disabled_at timestamptz,
  add constraint webhook_endpoints_created_by_fkey
    foreign key (tenant_id, created_by) references users (tenant_id, id) on delete set null (created_by),
  add constraint webhook_endpoints_created_by_api_key_fkey
    foreign key (tenant_id, created_by_api_key) references api_keys (tenant_id, id) on delete set null (created_by_api_key);
comment on column webhook_endpoints.last_error is 'The last failed attempt in short words (e.g. "timed out", "HTTP 500"): shown to the tenant, so never a raw socket error.';
comment on column webhook_endpoints.disabled_at is 'When the worker turned the endpoint off after too many failures in a row; null while it is on.';
grant update (consecutive_failures, last_error, disabled_at) on webhook_endpoints to slotwise_app;

-- Failures were recorded as raw error messages ("connect ECONNREFUSED
-- 10.0.0.5:8080"), which named internal addresses on the dashboard. Keep
-- only the HTTP status ones; the rest become the generic word.
update webhook_deliveries set last_error = 'connection failed'
  where last_error is not null and last_error !~ '^HTTP [0-9]{3}$';

alter table notifications drop constraint notifications_kind_check;
alter table notifications add constraint notifications_kind_check check (kind in (
  'booking_confirmation', 'booking_reminder', 'booking_cancelled', 'booking_rescheduled',
  'staff_booking_created', 'staff_booking_cancelled', 'staff_booking_rescheduled', 'password_reset', 'staff_invite',
  'webhook_endpoint_created', 'webhook_endpoint_disabled'));

-- app_private.add_jobs gains `tenant_queue` (its file,
-- migrations/functions/app_private.add_jobs.sql): the old signature goes.
-- emit_event (its file) sends its jobs to the tenant's `webhooks` queue.
drop function if exists app_private.add_jobs(text, jsonb[], timestamptz[], text[], integer);
