-- Accounts hardening: secret mail never kept readable, login throttles per
-- account and address, sessions findable by their user, API keys that do not
-- outlive their creator's authority, and a mail budget per business (owner
-- verification before more than a small allowance, a daily cap).
--
-- Some statements below rewrite rows of forced tables. With FORCE ROW LEVEL
-- SECURITY the policies bind the table owner too (unless it is a superuser),
-- and a migration has no tenant: those tables are unforced for the statement
-- and forced again, inside this migration's transaction.

-- Secret mail ------------------------------------------------------------

-- Outbox rows kept before this migration may hold a working reset or
-- invitation link, readable by every admin at /admin/outbox: remove it.
alter table outbox_messages no force row level security;
update outbox_messages
   set text_body = regexp_replace(text_body, 'https?://\S+/(password/reset|invite)/\S+', '[link removed: it was sent to the recipient only]', 'g'),
       html_body = regexp_replace(html_body, 'https?://[^"''<>\s]+/(password/reset|invite)/[^"''<>\s]+', '#link-removed', 'g')
 where kind in ('password_reset', 'staff_invite');
alter table outbox_messages force row level security;

-- Login throttles ----------------------------------------------------------

-- Sign-in attempts per account (tenant + a keyed hash of the email) and per
-- client address (IPv6 by /64), shared by every web process. Not tenant
-- data, like rate_limits: the key names its scope.
create table login_throttles (
  key text primary key,
  -- Failed attempts since window_start (a success clears an account's).
  failures integer not null default 0 check (failures >= 0),
  window_start timestamptz not null,
  -- No attempt is accepted before this instant.
  retry_at timestamptz
);
comment on table login_throttles is 'Failed sign-in attempts of one account or one client address in a window, and until when the next one must wait.';
create index login_throttles_age on login_throttles (window_start);
grant select, insert, update, delete on login_throttles to slotwise_app;

-- Sessions by user -----------------------------------------------------------

-- connect-pg-simple writes only sid, sess and expire. Who a session is
-- signed in as, from passport's part of it, so that a password change can
-- end that user's other sessions with one indexed DELETE. Named signed_in_*
-- rather than tenant_id: this is not a tenant table (no RLS; cookies are
-- host-only and a session deserializes only on its own tenant's host).
alter table http_sessions
  add column signed_in_tenant uuid generated always as ((sess -> 'passport' -> 'user' ->> 'tenantId')::uuid) stored,
  add column signed_in_user uuid generated always as ((sess -> 'passport' -> 'user' ->> 'userId')::uuid) stored;
create index http_sessions_by_user on http_sessions (signed_in_tenant, signed_in_user) where signed_in_user is not null;

-- API keys and their creators -----------------------------------------------

-- A key may act only while the person who created it may manage keys: when
-- they are removed, or become staff, their keys are revoked, whichever code
-- path (dashboard, CLI, a later one) made the change. The trigger needs its
-- function now, so it is created here; its home from now on is
-- migrations/functions/app_private.revoke_api_keys_of_creator.sql.
create function app_private.revoke_api_keys_of_creator() returns trigger
  language plpgsql volatile
  set search_path = pg_catalog, public, pg_temp
  as $$
begin
  update public.api_keys set revoked_at = now()
   where tenant_id = old.tenant_id and created_by = old.id and revoked_at is null;
  return null;
end $$;
revoke all on function app_private.revoke_api_keys_of_creator() from public;
create trigger revoke_api_keys_on_removal after delete on users
  for each row execute function app_private.revoke_api_keys_of_creator();
create trigger revoke_api_keys_on_demotion after update of role on users
  for each row when (new.role = 'staff' and old.role <> 'staff') execute function app_private.revoke_api_keys_of_creator();

-- Keys whose creator is already gone or staff.
alter table api_keys no force row level security;
alter table users no force row level security;
update api_keys k set revoked_at = now()
 where k.revoked_at is null and k.created_by is not null
   and not exists (select 1 from users u where u.tenant_id = k.tenant_id and u.id = k.created_by and u.role in ('owner', 'admin'));
alter table api_keys force row level security;
alter table users force row level security;

-- Mail budget -----------------------------------------------------------------

-- When the owner proved they read the sign-up address. Until then the
-- business may send only MAIL_UNVERIFIED_ALLOWANCE messages; the rest wait.
-- Businesses that existed before this migration have been sending all along:
-- they count as verified.
alter table tenants add column owner_email_verified_at timestamptz;
update tenants set owner_email_verified_at = created_at;
grant update (owner_email_verified_at) on tenants to slotwise_app;

alter table auth_tokens drop constraint auth_tokens_purpose_check;
alter table auth_tokens add constraint auth_tokens_purpose_check
  check (purpose in ('password_reset', 'login_handoff', 'email_verification'));

alter table notifications drop constraint notifications_kind_check;
alter table notifications add constraint notifications_kind_check check (kind in (
  'booking_confirmation', 'booking_reminder', 'booking_cancelled', 'booking_rescheduled',
  'staff_booking_created', 'staff_booking_cancelled', 'staff_booking_rescheduled', 'password_reset', 'staff_invite',
  'webhook_endpoint_created', 'webhook_endpoint_disabled', 'email_verification', 'api_key_created'));
-- held: not sent because of the business's mail budget (see last_error); it
-- goes out after the owner's verification or after the day's cap.
alter table notifications drop constraint notifications_status_check;
alter table notifications add constraint notifications_status_check
  check (status in ('queued', 'sending', 'sent', 'failed', 'skipped', 'held'));
-- When a worker took the message to send it: what the budget counts.
alter table notifications add column claimed_at timestamptz;
create index notifications_claimed on notifications (tenant_id, claimed_at) where claimed_at is not null;
grant update (claimed_at) on notifications to slotwise_app;
