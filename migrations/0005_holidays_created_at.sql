-- Holidays are listed a page at a time like every other API list, ordered
-- by (created_at, id).
alter table holidays add column created_at timestamptz not null default now();
create index holidays_created on holidays (tenant_id, created_at, id);
