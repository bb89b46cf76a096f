-- When each synced calendar was last read in full. Incremental reads (a
-- Google sync token, a Graph delta link) report changes only, and the first
-- full read kept only what fell inside the import horizon (a recurring
-- event's later instances, Graph's delta window): a full read every week
-- brings in what time has moved inside the horizon since.
alter table calendar_calendars add column full_read_at timestamptz;
grant update (full_read_at) on calendar_calendars to slotwise_app;
