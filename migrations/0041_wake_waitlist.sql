-- Time freed by anything but a booking change also wakes the waitlist
-- (src/waitlist/CONTEXT.md): triggers, so that no code path that widens
-- hours or removes busy time (the dashboard, the API, calendar sync, ICS
-- import, a cascade) can forget it. Narrowing changes (hours removed, a
-- block added) free nothing and have no trigger.
--
-- The triggers need their function to exist now; its body lives in
-- migrations/functions/app_private.wake_waitlist_trigger.sql, which the
-- migrator applies right after this file, in the same transaction.
create function app_private.wake_waitlist_trigger() returns trigger
  language plpgsql as $$ begin return null; end $$;

create trigger wake_waitlist_on_delete after delete on busy_blocks
  referencing old table as changed for each statement execute function app_private.wake_waitlist_trigger();
create trigger wake_waitlist_on_update after update on busy_blocks
  referencing old table as changed for each statement execute function app_private.wake_waitlist_trigger();
create trigger wake_waitlist_on_insert after insert on weekly_hours
  referencing new table as changed for each statement execute function app_private.wake_waitlist_trigger();
create trigger wake_waitlist_on_update after update on weekly_hours
  referencing new table as changed for each statement execute function app_private.wake_waitlist_trigger();
create trigger wake_waitlist_on_insert after insert on date_override_windows
  referencing new table as changed for each statement execute function app_private.wake_waitlist_trigger();
create trigger wake_waitlist_on_delete after delete on date_overrides
  referencing old table as changed for each statement execute function app_private.wake_waitlist_trigger();
create trigger wake_waitlist_on_insert after insert on service_resources
  referencing new table as changed for each statement execute function app_private.wake_waitlist_trigger();
create trigger wake_waitlist_on_delete after delete on holidays
  for each statement execute function app_private.wake_waitlist_trigger('tenant');
create trigger wake_waitlist_on_update after update on holidays
  for each statement execute function app_private.wake_waitlist_trigger('tenant');
