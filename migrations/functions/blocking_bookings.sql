-- The active bookings of p_resource, but p_exclude (a booking being moved),
-- whose blocked range overlaps [p_from, p_to). A plain SQL function, so the
-- planner inlines it into its callers (and their generic plans).
--
-- Under row-level security the exclusion constraint's GiST index cannot
-- serve `blocked &&` (the operator is not leakproof). Active bookings of one
-- resource never overlap, but for the seats of one class (one share_key),
-- so ordered by the end of their blocked range (blocked_to) they are
-- ordered by its start too: those overlapping [from, to) are exactly the
-- ones ending in (from, to], and the first one ending after `to`, if it
-- starts before `to`, with the other seats of its class that end after
-- `to` (their blocked ranges differ when the service's buffers changed
-- after they were booked; a class at one start is the only thing that can
-- straddle `to`). All are plain comparisons of a timestamptz column, which
-- bookings_active_by_end answers under RLS, and of share_key, which
-- bookings_active_by_share_key does.
create or replace function blocking_bookings(p_resource uuid, p_from timestamptz, p_to timestamptz, p_exclude uuid)
  returns setof bookings language sql stable
  as $$
  with straddling as (
    select * from bookings b
     where b.resource_id = p_resource and b.status in ('pending', 'held', 'confirmed')
       and b.blocked_to > p_to and b.id is distinct from p_exclude
     order by b.blocked_to limit 1
  )
  select * from bookings b
   where b.resource_id = p_resource and b.status in ('pending', 'held', 'confirmed')
     and b.blocked_to > p_from and b.blocked_to <= p_to and b.id is distinct from p_exclude
  union all
  select * from straddling s where lower(s.blocked) < p_to
  union all
  select b.* from straddling s
    join bookings b on b.resource_id = s.resource_id and b.share_key = s.share_key and b.id <> s.id
   where lower(s.blocked) < p_to and s.share_key is not null and b.share_key is not null
     and b.status in ('pending', 'held', 'confirmed') and b.blocked_to > p_to and b.id is distinct from p_exclude
$$;
