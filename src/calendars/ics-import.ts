import ICAL from 'ical.js';
import { Temporal } from 'temporal-polyfill';
import type { AppDeps } from '../deps.ts';
import { withTenant, type TenantTx } from '../db/tenant.ts';
import { outbound, OutboundError, type Outbound } from '../http/outbound.ts';
import { isValidTimeZone } from '../scheduling/index.ts';

/**
 * ICS import (issue 17): a resource subscribed to an ICS URL, polled as busy
 * time. The URL is a tenant's, so it is fetched only through the guarded
 * outbound client (src/http/outbound.ts: no private or loopback
 * destinations unless the operator allows them, no redirects, time and size
 * limits), checked when added and again at every fetch (DNS may change).
 * Each poll replaces the subscription's blocks with the feed's events from a
 * day ago to the import horizon: recurring ones expanded, free (TRANSP:
 * TRANSPARENT) and cancelled ones left out, all-day ones as whole days in
 * the resource's zone. Failures are shown on the sync panel in short words;
 * the blocks already known stay until a poll succeeds.
 */
export const ICS_MAX_BYTES = 2 * 1024 * 1024;
export const ICS_TIMEOUT_MS = 15_000;
const LOOKBACK_MS = 24 * 3600_000;
const HORIZON_MS = 400 * 24 * 3600_000;
/** A runaway rule (FREQ=MINUTELY) must not fill the table. */
const MAX_OCCURRENCES = 5000;

export interface IcsBusy {
  uid: string;
  start: number;
  end: number;
  label: string;
}

/** What a tenant is told when a feed address cannot be used. */
export function icsUrlProblem(client: Outbound, url: string): string | null {
  const checked = client.checkUrl(url);
  if (checked.ok) return null;
  if (checked.reason === 'refused: private address') return 'That address is on a private network or this server: only public internet addresses can be subscribed to.';
  if (checked.reason === 'refused: not https') return 'Use an https:// address.';
  return 'Enter the full address of the calendar feed, starting with https://.';
}

export async function addIcsSubscription(tx: TenantTx, s: { resourceId: string; url: string; createdBy: string | null }): Promise<string> {
  const [row] = await tx('ics_subscriptions')
    .insert({ tenant_id: tx.tenantId, resource_id: s.resourceId, url: s.url, created_by: s.createdBy })
    .onConflict(['tenant_id', 'resource_id', 'url']).merge({ last_error: null })
    .returning('id');
  return row.id;
}

export async function enqueueIcsPoll(tx: TenantTx, subscriptionId: string): Promise<void> {
  await tx.raw('select app_private.add_job(?, ?::jsonb, null, ?)', ['calendars__ics_poll', JSON.stringify({ subscriptionId }), `ics-poll:${subscriptionId}`]);
}

/** Fetch one subscription and replace its busy blocks; the outcome goes on the sync panel. */
export async function pollIcs(deps: AppDeps, tenantId: string, subscriptionId: string, client: Outbound = outbound(deps.config)): Promise<void> {
  const sub = await withTenant(deps.db, tenantId, (tx) =>
    tx('ics_subscriptions as s').join('resources as r', function () {
      this.on('r.tenant_id', 's.tenant_id').andOn('r.id', 's.resource_id');
    }).where('s.id', subscriptionId).first('s.id', 's.url', 's.resource_id', 'r.time_zone'));
  if (!sub) return;
  const now = deps.now();
  let events: IcsBusy[];
  try {
    const res = await client.fetch(sub.url, { headers: { Accept: 'text/calendar', 'User-Agent': 'Slotwise-Calendar/1' }, timeoutMs: ICS_TIMEOUT_MS, maxBytes: ICS_MAX_BYTES });
    if (res.status >= 300 && res.status < 400) throw new FeedError(`The feed answered with a redirect (HTTP ${res.status}); enter the address it points to.`);
    if (res.status !== 200) throw new FeedError(`The feed answered HTTP ${res.status}.`);
    if (res.truncated) throw new FeedError(`The feed is larger than ${ICS_MAX_BYTES / 1024 / 1024} MB.`);
    events = busyFromIcs(res.body.toString('utf8'), sub.time_zone, now);
  } catch (err) {
    const message = err instanceof FeedError ? err.message : err instanceof OutboundError ? `Could not fetch the feed: ${err.reason}.` : 'The feed could not be read as a calendar (ICS).';
    await withTenant(deps.db, tenantId, (tx) => tx('ics_subscriptions').where({ id: subscriptionId }).update({ last_error: message }));
    return;
  }
  // Only what changed is written: a block that stays is left alone, so a re-read of an unchanged feed deletes
  // nothing and wakes no waitlist (migrations/0041); one that went, or moved, is deleted, and wakes it.
  const incoming = JSON.stringify(events.map((e) => ({
    external_id: e.uid.slice(0, 500), label: e.label.slice(0, 200), starts: new Date(e.start).toISOString(), ends: new Date(e.end).toISOString(),
  })));
  await withTenant(deps.db, tenantId, async (tx) => {
    const feed = `select x.external_id, x.label, tstzrange(x.starts, x.ends, '[)') as during
                    from jsonb_to_recordset(?::jsonb) as x(external_id text, label text, starts timestamptz, ends timestamptz)`;
    await tx.raw(
      `delete from busy_blocks b where b.ics_subscription_id = ?
         and not exists (select 1 from (${feed}) f where f.external_id = b.external_id and f.during = b.during and f.label = b.label)`,
      [subscriptionId, incoming],
    );
    await tx.raw(
      `insert into busy_blocks (tenant_id, resource_id, ics_subscription_id, source, external_id, label, during)
       select ?::uuid, ?::uuid, ?::uuid, 'ics', f.external_id, f.label, f.during from (${feed}) f
        where not exists (select 1 from busy_blocks b where b.ics_subscription_id = ?
                            and b.external_id = f.external_id and b.during = f.during and b.label = f.label)`,
      [tx.tenantId, sub.resource_id, subscriptionId, incoming, subscriptionId],
    );
    await tx('ics_subscriptions').where({ id: subscriptionId }).update({ last_fetched_at: now, last_error: null, events_imported: events.length });
  });
}

class FeedError extends Error {}

/**
 * The busy time of an ICS text, for a resource in `zone`, between a day ago
 * and the horizon. Throws on text that is not iCalendar.
 */
export function busyFromIcs(text: string, zone: string, now: Date): IcsBusy[] {
  const root = new ICAL.Component(ICAL.parse(text));
  const calendar = root.name === 'vcalendar' ? root : root.getFirstSubcomponent('vcalendar');
  if (!calendar) throw new FeedError('The feed holds no calendar.');
  // The file's own zone definitions, kept to this file (never registered process-wide: another tenant's feed could redefine a zone).
  const zones = new Map<string, ICAL.Timezone>();
  for (const tz of calendar.getAllSubcomponents('vtimezone')) {
    const tzid = tz.getFirstPropertyValue('tzid');
    if (typeof tzid === 'string') zones.set(tzid, new ICAL.Timezone(tz));
  }
  // ical.js forgets a TZID it has no registered zone for: the property's parameter says it.
  const instant = (t: ICAL.Time, tzid: string | null): number => {
    if (t.isDate) return zoned(t, '00:00', isValidTimeZone(zone) ? zone : 'UTC');
    if (t.zone === ICAL.Timezone.utcTimezone) return t.toJSDate().getTime();
    if (tzid && isValidTimeZone(tzid)) return zoned(t, null, tzid);
    const own = tzid ? zones.get(tzid) : undefined;
    const wall = Date.UTC(t.year, t.month - 1, t.day, t.hour, t.minute, t.second);
    if (own) return wall - own.utcOffset(t) * 1000;
    return zoned(t, null, isValidTimeZone(zone) ? zone : 'UTC'); // floating: the resource's wall clock
  };
  const from = now.getTime() - LOOKBACK_MS;
  const to = now.getTime() + HORIZON_MS;
  const out: IcsBusy[] = [];
  const vevents = calendar.getAllSubcomponents('vevent');
  // Occurrences replaced by their own VEVENT (RECURRENCE-ID) are left out of the series.
  const replaced = new Set<string>();
  for (const v of vevents) {
    const rid = v.getFirstPropertyValue('recurrence-id');
    if (rid instanceof ICAL.Time) replaced.add(`${v.getFirstPropertyValue('uid')}@${instant(rid, tzidOf(v, 'recurrence-id'))}`);
  }
  for (const v of vevents) {
    if (String(v.getFirstPropertyValue('transp') ?? '').toUpperCase() === 'TRANSPARENT') continue;
    if (String(v.getFirstPropertyValue('status') ?? '').toUpperCase() === 'CANCELLED') continue;
    const event = new ICAL.Event(v);
    if (!event.startDate) continue;
    const uid = event.uid || 'event';
    const label = event.summary ?? '';
    const startZone = tzidOf(v, 'dtstart');
    const start0 = instant(event.startDate, startZone);
    const end0 = v.hasProperty('dtend') || v.hasProperty('duration') ? instant(event.endDate, v.hasProperty('dtend') ? tzidOf(v, 'dtend') : startZone) : start0 + (event.startDate.isDate ? 24 * 3600_000 : 0);
    const length = end0 - start0;
    if (length <= 0) continue;
    if (!event.isRecurring() || v.hasProperty('recurrence-id')) {
      if (end0 > from && start0 < to) out.push({ uid: v.hasProperty('recurrence-id') ? `${uid}@${start0}` : uid, start: start0, end: end0, label });
      continue;
    }
    const it = event.iterator();
    for (let n = 0, next = it.next(); next && n < MAX_OCCURRENCES; next = it.next(), n++) {
      const s = instant(next, startZone);
      if (s >= to) break;
      if (s + length <= from || replaced.has(`${uid}@${s}`)) continue;
      out.push({ uid: `${uid}@${s}`, start: s, end: s + length, label });
    }
  }
  return out;
}

function tzidOf(v: ICAL.Component, prop: string): string | null {
  const p = v.getFirstProperty(prop)?.getParameter('tzid');
  return typeof p === 'string' ? p : null;
}

/** A wall-clock time of an ICAL.Time in an IANA zone (`hhmm` overrides its time), gaps resolved forward. */
function zoned(t: ICAL.Time, hhmm: string | null, zone: string): number {
  const [hour, minute] = hhmm ? hhmm.split(':').map(Number) as [number, number] : [t.hour, t.minute];
  return Temporal.ZonedDateTime.from({ year: t.year, month: t.month, day: t.day, hour, minute, second: hhmm ? 0 : t.second, timeZone: zone }, { disambiguation: 'compatible' }).epochMilliseconds;
}
