import type { TenantTx } from '../db/tenant.ts';
import type { Customer } from '../bookings/model.ts';

export type EntryStatus = 'waiting' | 'offered' | 'booked' | 'passed' | 'left' | 'expired';
export type OfferStatus = 'open' | 'claimed' | 'declined' | 'expired';

export interface WaitlistEntry {
  id: string;
  serviceId: string;
  /** null: any resource that offers the service. */
  resourceId: string | null;
  fromDate: string;
  toDate: string;
  /** Minutes after local midnight in the customer's zone, or null for any time of day. */
  window: { start: number; end: number } | null;
  customer: Customer;
  linkNonce: string;
  status: EntryStatus;
  source: 'public' | 'api';
  createdAt: Date;
}

interface EntryRow {
  id: string;
  service_id: string;
  resource_id: string | null;
  from_date: string;
  to_date: string;
  window_start_min: number | null;
  window_end_min: number | null;
  customer_name: string;
  customer_email: string;
  customer_phone: string | null;
  customer_time_zone: string;
  link_nonce: string;
  status: EntryStatus;
  source: 'public' | 'api';
  created_at: Date;
}

/** Dates as the YYYY-MM-DD text they are, never a Date at some zone's midnight. */
const ENTRY_COLUMNS = `id, service_id, resource_id, to_char(from_date, 'YYYY-MM-DD') as from_date, to_char(to_date, 'YYYY-MM-DD') as to_date,
  window_start_min, window_end_min, customer_name, customer_email, customer_phone, customer_time_zone, link_nonce, status, source, created_at`;

const toEntry = (r: EntryRow): WaitlistEntry => ({
  id: r.id,
  serviceId: r.service_id,
  resourceId: r.resource_id,
  fromDate: r.from_date,
  toDate: r.to_date,
  window: r.window_start_min === null || r.window_end_min === null ? null : { start: r.window_start_min, end: r.window_end_min },
  customer: { name: r.customer_name, email: r.customer_email, phone: r.customer_phone, timeZone: r.customer_time_zone },
  linkNonce: r.link_nonce,
  status: r.status,
  source: r.source,
  createdAt: r.created_at,
});

export interface NewEntry extends Omit<WaitlistEntry, 'status' | 'createdAt'> {
  linkDigest: string;
}

export async function insertEntry(tx: TenantTx, e: NewEntry, now: Date): Promise<WaitlistEntry> {
  const { rows } = await tx.raw<{ rows: EntryRow[] }>(
    `insert into waitlist_entries (tenant_id, id, service_id, resource_id, from_date, to_date, window_start_min, window_end_min,
       customer_name, customer_email, customer_phone, customer_time_zone, link_nonce, link_token_hash, source, created_at, updated_at)
     values (?, ?, ?, ?, ?::date, ?::date, ?, ?, ?, lower(?), ?, ?, ?, ?, ?, ?, ?) returning ${ENTRY_COLUMNS}`,
    [tx.tenantId, e.id, e.serviceId, e.resourceId, e.fromDate, e.toDate, e.window?.start ?? null, e.window?.end ?? null,
      e.customer.name, e.customer.email, e.customer.phone, e.customer.timeZone, e.linkNonce, e.linkDigest, e.source, now, now],
  );
  return toEntry(rows[0]!);
}

export async function entryById(tx: TenantTx, id: string, opts: { lock?: boolean } = {}): Promise<WaitlistEntry | undefined> {
  const { rows } = await tx.raw<{ rows: EntryRow[] }>(`select ${ENTRY_COLUMNS} from waitlist_entries where id = ?${opts.lock ? ' for update' : ''}`, [id]);
  return rows[0] && toEntry(rows[0]);
}

export async function entryByDigest(tx: TenantTx, digest: string): Promise<WaitlistEntry | undefined> {
  const { rows } = await tx.raw<{ rows: EntryRow[] }>(`select ${ENTRY_COLUMNS} from waitlist_entries where link_token_hash = ?`, [digest]);
  return rows[0] && toEntry(rows[0]);
}

/**
 * The entries still waiting that a free time on `resourceId` could serve:
 * of a service it offers, for it or for any resource, in order of joining.
 */
/** The first `limit` entries waiting for `resourceId` (or any resource of their service), in order of joining. */
export async function waitingFor(tx: TenantTx, resourceId: string, limit: number): Promise<WaitlistEntry[]> {
  const { rows } = await tx.raw<{ rows: EntryRow[] }>(
    `select ${ENTRY_COLUMNS}
       from waitlist_entries e
      where e.status = 'waiting' and (e.resource_id is null or e.resource_id = ?)
        and exists (select 1 from service_resources sr where sr.service_id = e.service_id and sr.resource_id = ?)
      order by e.seq limit ?`,
    [resourceId, resourceId, limit],
  );
  return rows.map(toEntry);
}

export async function setEntryStatus(tx: TenantTx, id: string, status: EntryStatus, now: Date): Promise<void> {
  await tx('waitlist_entries').where({ id }).update({ status, updated_at: now });
}

export async function listEntries(tx: TenantTx, f: { serviceId?: string | undefined; status?: EntryStatus | undefined; limit: number; startingAfter?: string | undefined }) {
  const q = tx<EntryRow>('waitlist_entries').select(tx.raw(ENTRY_COLUMNS)).orderBy('seq').limit(f.limit + 1);
  if (f.serviceId) q.where({ service_id: f.serviceId });
  if (f.status) q.where({ status: f.status });
  if (f.startingAfter) q.whereRaw('seq > (select seq from waitlist_entries where id = ?)', [f.startingAfter]);
  const rows = (await q) as unknown as EntryRow[];
  return { data: rows.slice(0, f.limit).map(toEntry), hasMore: rows.length > f.limit };
}

export interface Offer {
  id: string;
  entryId: string;
  bookingId: string;
  status: OfferStatus;
  expiresAt: Date;
  createdAt: Date;
}

interface OfferRow {
  id: string;
  entry_id: string;
  booking_id: string;
  status: OfferStatus;
  expires_at: Date;
  created_at: Date;
}

const toOffer = (r: OfferRow): Offer => ({ id: r.id, entryId: r.entry_id, bookingId: r.booking_id, status: r.status, expiresAt: r.expires_at, createdAt: r.created_at });

export async function insertOffer(tx: TenantTx, o: { entryId: string; bookingId: string; expiresAt: Date; now: Date }): Promise<Offer> {
  const [row] = await tx('waitlist_offers')
    .insert({ tenant_id: tx.tenantId, entry_id: o.entryId, booking_id: o.bookingId, expires_at: o.expiresAt, created_at: o.now })
    .returning<OfferRow[]>(['id', 'entry_id', 'booking_id', 'status', 'expires_at', 'created_at']);
  return toOffer(row!);
}

/** The entry's latest offer, if it had one. */
export async function offerOfEntry(tx: TenantTx, entryId: string): Promise<Offer | undefined> {
  const row = await tx<OfferRow>('waitlist_offers').where({ entry_id: entryId }).orderBy('created_at', 'desc').first();
  return row && toOffer(row);
}

/**
 * The offer behind a held booking ends (claimed, declined, expired), in the
 * booking change's transaction; its entry is then booked, or has had its
 * turn. Nothing for a booking that is no offer.
 */
export async function closeOffer(tx: TenantTx, bookingId: string, outcome: Exclude<OfferStatus, 'open'>, now: Date): Promise<void> {
  await tx.raw(
    `with closed as (
       update waitlist_offers set status = ?, answered_at = ? where booking_id = ? and status = 'open' returning entry_id
     )
     update waitlist_entries e set status = ?, updated_at = ? from closed where e.id = closed.entry_id`,
    [outcome, now, bookingId, outcome === 'claimed' ? 'booked' : 'passed', now],
  );
}

/**
 * Time may have freed up on `resourceId` (a booking cancelled, moved,
 * expired, declined): in that change's transaction, enqueue the job that
 * offers it to the waitlist — one statement, and no job when nobody waits.
 * Keyed per resource, so a burst of changes runs it once. Hours, blocks
 * and holidays wake it by triggers (migrations/0041), through the same
 * SQL function.
 */
export async function wakeWaitlist(tx: TenantTx, resourceId: string): Promise<void> {
  await tx.raw('select app_private.wake_waitlist(array[?::uuid])', [resourceId]);
}

/** This month's offers by outcome, and what the claimed ones were worth (minor units per currency). */
export async function offerStats(tx: TenantTx, since: Date): Promise<{ made: number; claimed: number; declined: number; expired: number; open: number; recovered: { currency: string; amount: number }[] }> {
  const { rows } = await tx.raw<{ rows: { status: OfferStatus; n: number }[] }>(
    'select status, count(*)::int as n from waitlist_offers where created_at >= ? group by status', [since]);
  const { rows: money } = await tx.raw<{ rows: { currency: string; amount: number }[] }>(
    `select s.currency, sum(s.price_minor)::int as amount
       from waitlist_offers o join bookings b on b.tenant_id = o.tenant_id and b.id = o.booking_id
       join services s on s.tenant_id = b.tenant_id and s.id = b.service_id
      where o.status = 'claimed' and o.answered_at >= ? group by s.currency order by s.currency`, [since]);
  const count = (s: OfferStatus) => rows.find((r) => r.status === s)?.n ?? 0;
  return { made: rows.reduce((n, r) => n + r.n, 0), claimed: count('claimed'), declined: count('declined'), expired: count('expired'), open: count('open'), recovered: money };
}
