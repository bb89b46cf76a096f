-- A service's rules relaxed (shorter notice, a longer horizon, a higher
-- daily cap, more seats in a class, shorter buffers, back to active) free
-- time too: wake the waitlist of the resources offering it, as
-- migrations/0041 does for hours and blocks. Every update of a service
-- wakes it (a trigger with a transition table takes no column list); a job
-- that finds nothing new offers nothing.
create trigger wake_waitlist_on_update after update on services
  referencing new table as changed for each statement execute function app_private.wake_waitlist_trigger('service');
