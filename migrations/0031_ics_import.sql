-- ICS import (issue 17): a resource subscribed to an ICS URL (iCloud,
-- Fastmail, a school timetable), polled as busy time through the guarded
-- outbound client. Each poll replaces the subscription's busy blocks.
create table ics_subscriptions (
  tenant_id uuid not null,
  id uuid not null default gen_random_uuid(),
  resource_id uuid not null,
  url text not null check (char_length(url) between 1 and 2000),
  last_fetched_at timestamptz,
  last_error text check (last_error is null or char_length(last_error) <= 500),
  events_imported integer not null default 0,
  created_by uuid,
  created_at timestamptz not null default now(),
  primary key (tenant_id, id),
  unique (tenant_id, resource_id, url),
  foreign key (tenant_id, resource_id) references resources (tenant_id, id) on delete cascade
);
comment on table ics_subscriptions is 'A resource''s subscription to an ICS URL whose events block its time.';
select app_private.protect_tenant_table('ics_subscriptions');
grant select, insert, delete, update (last_fetched_at, last_error, events_imported) on ics_subscriptions to slotwise_app;

alter table busy_blocks add column ics_subscription_id uuid;
alter table busy_blocks add foreign key (tenant_id, ics_subscription_id) references ics_subscriptions (tenant_id, id) on delete cascade;
create index busy_blocks_by_ics on busy_blocks (tenant_id, ics_subscription_id) where ics_subscription_id is not null;
