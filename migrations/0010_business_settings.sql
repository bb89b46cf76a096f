-- Business settings: default currency, the booking page's intro text, and
-- the cancellation policy (stored now, shown to customers; refunds that
-- apply it arrive with payments).
alter table tenants
  add column currency text not null default 'USD' check (currency ~ '^[A-Z]{3}$'),
  add column booking_intro text not null default '' check (char_length(booking_intro) <= 1000),
  -- {"tiers":[{"hoursBefore":24,"refundPercent":100},…],"sameDayRefundPercent":0|null}
  add column cancellation_policy jsonb not null default '{"tiers":[],"sameDayRefundPercent":null}';
grant update (currency, booking_intro, cancellation_policy) on tenants to slotwise_app;
