import type { TenantTx } from '../db/tenant.ts';
import type { BookingSource, Customer } from '../bookings/model.ts';
import type { Recurrence } from './recurrence.ts';

/** A series as its row keeps it: what was asked for. Its occurrences are the bookings pointing at it. */
export interface Series {
  id: string;
  serviceId: string;
  resourceId: string;
  recurrence: Recurrence;
  firstStart: Date;
  timeZone: string;
  customer: Customer;
  source: BookingSource;
  createdAt: Date;
}

interface SeriesRow {
  id: string;
  service_id: string;
  resource_id: string;
  frequency: 'weekly';
  interval_weeks: number;
  occurrence_count: number | null;
  until_date: string | null;
  first_start: Date;
  time_zone: string;
  customer_name: string;
  customer_email: string;
  customer_phone: string | null;
  customer_time_zone: string;
  source: BookingSource;
  created_at: Date;
}

const toSeries = (r: SeriesRow): Series => ({
  id: r.id,
  serviceId: r.service_id,
  resourceId: r.resource_id,
  recurrence: { frequency: r.frequency, interval: r.interval_weeks, ...(r.occurrence_count !== null ? { count: r.occurrence_count } : { until: String(r.until_date) }) },
  firstStart: r.first_start,
  timeZone: r.time_zone,
  customer: { name: r.customer_name, email: r.customer_email, phone: r.customer_phone, timeZone: r.customer_time_zone },
  source: r.source,
  createdAt: r.created_at,
});

/** `until_date` is a date: read it back as the text it was written as, whatever node-pg's date parsing. */
const COLUMNS = `id, service_id, resource_id, frequency, interval_weeks, occurrence_count, to_char(until_date, 'YYYY-MM-DD') as until_date, first_start,
  time_zone, customer_name, customer_email, customer_phone, customer_time_zone, source, created_at`;

export async function insertSeries(
  tx: TenantTx,
  s: { id: string; serviceId: string; resourceId: string; recurrence: Recurrence; firstStart: number; timeZone: string; customer: Customer; source: BookingSource; createdBy: string | null; now: Date },
): Promise<Series> {
  const { rows } = await tx.raw<{ rows: SeriesRow[] }>(
    `insert into series (tenant_id, id, service_id, resource_id, frequency, interval_weeks, occurrence_count, until_date, first_start, time_zone,
       customer_name, customer_email, customer_phone, customer_time_zone, source, created_by, created_at)
     values (?::uuid, ?::uuid, ?::uuid, ?::uuid, 'weekly', ?, ?, ?::date, ?::timestamptz, ?, ?, ?, ?, ?, ?, ?::uuid, ?::timestamptz)
     returning ${COLUMNS}`,
    [tx.tenantId, s.id, s.serviceId, s.resourceId, s.recurrence.interval, s.recurrence.count ?? null, s.recurrence.until ?? null, new Date(s.firstStart).toISOString(),
      s.timeZone, s.customer.name, s.customer.email, s.customer.phone, s.customer.timeZone, s.source, s.createdBy, s.now.toISOString()],
  );
  return toSeries(rows[0]!);
}

export async function seriesById(tx: TenantTx, id: string): Promise<Series | undefined> {
  const { rows } = await tx.raw<{ rows: SeriesRow[] }>(`select ${COLUMNS} from series where id = ?::uuid`, [id]);
  return rows[0] && toSeries(rows[0]);
}
