-- One booking path (DESIGN "Booking"): every booking change is one tenant
-- transaction that takes the resource's lock, reads the engine's inputs,
-- lets the engine decide and inserts under the exclusion constraint. The
-- decision on a snapshot checked by digest under the lock (booking_context's
-- decisions, resource_inputs, book) and the group commit (book_together,
-- booking_contexts) go: every rule they mirrored in SQL is the engine's
-- alone. Their successors, try_lock_resource and availability_context, live
-- in migrations/functions/. (`if exists`: a fresh database runs this before
-- any function file.)
drop function if exists book_together(uuid, json);
drop function if exists booking_contexts(uuid, json);
drop function if exists book(uuid, json, text, json, json, jsonb, jsonb);
drop function if exists booking_context(uuid, uuid, uuid, timestamptz, timestamptz, date, date, uuid, timestamptz, integer);
drop function if exists resource_inputs(uuid[], timestamptz, timestamptz, date, date, uuid);
