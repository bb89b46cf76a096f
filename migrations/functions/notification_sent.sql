-- The provider accepted a message (src/notifications/tasks.ts): mark it
-- sent and clear its payload, in one statement that is its own transaction
-- (src/db/tenant.ts, tenantCall) rather than four round trips (begin, the
-- tenant, the update, commit) per message sent. Returns whether the row
-- was there.
create or replace function notification_sent(p_tenant uuid, p_id uuid, p_provider text, p_message_id text, p_sent_at timestamptz) returns boolean
  language plpgsql volatile
  as $$
begin
  perform set_config('app.tenant_id', p_tenant::text, true);
  update notifications
     set status = 'sent', provider = p_provider, provider_message_id = p_message_id, sent_at = p_sent_at, last_error = null, payload = '{}'
   where id = p_id;
  return found;
end $$;
