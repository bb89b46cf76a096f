-- How customers reach the business (issue 19): a phone, an email address and
-- a postal address, each optional. Shown in the public footer, on the
-- confirmation and manage pages and in customer mail, so that "contact the
-- business" always says how. The form validates them as text
-- (src/tenancy/contact.ts); the checks here only bound their size.
alter table tenants
  add column contact_phone text check (contact_phone is null or char_length(contact_phone) <= 40),
  add column contact_email text check (contact_email is null or char_length(contact_email) <= 254),
  add column contact_address text check (contact_address is null or char_length(contact_address) <= 300);
grant update (contact_phone, contact_email, contact_address) on tenants to slotwise_app;
