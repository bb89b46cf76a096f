import type { Holiday, Resource, Service } from '../catalog/queries.ts';
import type { Schedule } from '../catalog/service.ts';
import type { WebhookEndpoint } from '../webhooks/service.ts';
import { DAYS } from './schemas.ts';

export const resourceJson = (r: Resource) => ({
  id: r.id, object: 'resource', name: r.name, kind: r.kind, time_zone: r.timeZone, position: r.position, active: r.active,
});

export const serviceJson = (s: Service, resourceIds: string[]) => ({
  id: s.id,
  object: 'service',
  name: s.name,
  description: s.description,
  duration_minutes: s.durationMin,
  interval_minutes: s.intervalMin,
  buffer_before_minutes: s.bufferBeforeMin,
  buffer_after_minutes: s.bufferAfterMin,
  min_notice_minutes: s.minNoticeMin,
  horizon_days: s.horizonDays,
  max_per_day: s.maxPerDay,
  price: s.priceMinor,
  deposit: s.depositMinor,
  currency: s.currency,
  payment_mode: s.paymentMode,
  deposit_amount: s.paymentMode === 'deposit' && s.depositPercent === null ? s.depositMinor : null,
  deposit_percent: s.depositPercent,
  resource_ids: resourceIds,
  active: s.active,
  requires_approval: s.requiresApproval,
  approval_hold_hours: s.approvalHoldHours,
  capacity: s.capacity,
  allow_series: s.allowSeries,
});

export const holidayJson = (h: Holiday) => ({ id: h.id, object: 'holiday', name: h.name, start_date: h.start, end_date: h.end });

export const scheduleJson = (resourceId: string, s: Schedule) => ({
  object: 'schedule',
  resource_id: resourceId,
  weekly: s.weekly.map((w) => ({ day: DAYS[w.weekday - 1], start: w.start, end: w.end })),
  overrides: s.overrides.map((o) => (o.windows.length ? { date: o.date, windows: o.windows } : { date: o.date, closed: true })),
});

export const webhookEndpointJson = (e: WebhookEndpoint) => ({
  id: e.id, object: 'webhook_endpoint', url: e.url, events: e.events, description: e.description, active: e.active, created_at: e.createdAt.toISOString(),
});

export const list = <T>(data: T[], hasMore: boolean) => ({ object: 'list', data, has_more: hasMore });
