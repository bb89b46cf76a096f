-- Repair: the migration runner used to hand SQL to knex.raw unescaped, which
-- read the `?` of `https?` in 0001 as a bind placeholder and stored the
-- check as `https$1://`, refusing every logo URL. Fresh databases get the
-- right check from 0001 now; this puts it right where 0001 ran before.
alter table tenants drop constraint tenants_logo_url_check;
alter table tenants add constraint tenants_logo_url_check check (logo_url is null or logo_url ~ '^https?://');
