import { DEFAULT_APPROVAL_HOLD_HOURS } from '../catalog/service.ts';
import { z } from 'zod';
import { validationFailed } from '../http/errors.ts';
import { fieldErrors } from '../http/forms.ts';
import { calendarDate, instantText } from '../http/params.ts';
import { hasControlCharacters, multiLine, singleLine } from '../http/text.ts';
import { isValidTimeZone, parseHHMM } from '../scheduling/index.ts';
import { Email } from '../tenancy/commands.ts';
import { MAX_INTERVAL_WEEKS, MAX_OCCURRENCES } from '../series/recurrence.ts';
import { WEBHOOK_EVENTS } from '../webhooks/service.ts';

/** Parse or answer 422 problem+json with an `errors` entry per field (snake_case paths). */
export function parse<T extends z.ZodType>(schema: T, value: unknown): z.infer<T> {
  const r = schema.safeParse(value ?? {});
  if (!r.success) throw validationFailed(fieldErrors(r.error), 'The request has invalid or unknown fields.');
  return r.data;
}

export const Id = z.uuid('must be an id');
const zone = z.string().refine(isValidTimeZone, 'must be an IANA time zone such as America/New_York');
const date = calendarDate('must be a date as YYYY-MM-DD, from 1970 to 2199');
const hhmm = z.string().refine((s) => parseHHMM(s) !== null, 'must be a time as HH:MM (24:00 allowed as an end)');
const minutes = (max: number) => z.number().int('must be a whole number').min(0).max(max);
export const instant = instantText('must be an ISO 8601 instant with an offset, e.g. 2026-03-09T14:00:00-04:00, from 1970 to 2199');
/** Money in minor units, up to what the dashboard's form accepts (9 999 999.99). */
const money = z.number().int('must be a whole number of minor units').min(0).max(999_999_999);
const name = (max: number) => singleLine({ max, required: 'must not be empty' });

export const ListQuery = z.strictObject({
  limit: z.coerce.number().int().min(1).max(100).default(20),
  starting_after: Id.optional(),
});

const KIND = z.enum(['staff', 'room', 'table', 'equipment']);
export const ResourceCreate = z.strictObject({
  name: name(100),
  kind: KIND.default('staff'),
  time_zone: zone,
  position: z.number().int().min(0).max(100000).default(0),
});
export const ResourcePatch = z.strictObject({
  name: name(100).optional(),
  kind: KIND.optional(),
  time_zone: zone.optional(),
  position: z.number().int().min(0).max(100000).optional(),
  active: z.boolean().optional(),
});

export const DAYS = ['mon', 'tue', 'wed', 'thu', 'fri', 'sat', 'sun'] as const;
const wallWindow = z.strictObject({ start: hhmm, end: hhmm });
export const ScheduleBody = z.strictObject({
  weekly: z.array(z.strictObject({ day: z.enum(DAYS), start: hhmm, end: hhmm })).max(100),
  overrides: z
    .array(z.union([z.strictObject({ date, windows: z.array(wallWindow).min(1).max(20) }), z.strictObject({ date, closed: z.literal(true) })]))
    .max(1000)
    .default([]),
});

const serviceFields = {
  name: name(100),
  description: multiLine({ max: 2000 }),
  duration_minutes: z.number().int().min(1).max(1440),
  interval_minutes: z.number().int().min(1).max(1440),
  buffer_before_minutes: minutes(1440),
  buffer_after_minutes: minutes(1440),
  min_notice_minutes: minutes(525600),
  horizon_days: z.number().int().min(1).max(730),
  max_per_day: z.number().int().min(1).max(1000).nullable(),
  price: money,
  deposit: money,
  currency: z.string().regex(/^[A-Z]{3}$/, 'must be an ISO 4217 code such as USD'),
  payment_mode: z.enum(['none', 'deposit', 'full']),
  /** The same column as `deposit` (minor units), by the name payments use. */
  deposit_amount: z.number().int().min(0),
  deposit_percent: z.number().int().min(1).max(100).nullable(),
  resource_ids: z.array(Id).max(200),
  active: z.boolean(),
  requires_approval: z.boolean(),
  approval_hold_hours: z.number().int().min(1).max(720),
  capacity: z.number().int().min(1).max(1000),
  allow_series: z.boolean(),
};
export const ServiceCreate = z
  .strictObject({
    ...serviceFields,
    description: serviceFields.description.default(''),
    interval_minutes: serviceFields.interval_minutes.optional(),
    buffer_before_minutes: serviceFields.buffer_before_minutes.default(0),
    buffer_after_minutes: serviceFields.buffer_after_minutes.default(0),
    min_notice_minutes: serviceFields.min_notice_minutes.default(0),
    horizon_days: serviceFields.horizon_days.default(60),
    max_per_day: serviceFields.max_per_day.default(null),
    price: serviceFields.price.default(0),
    deposit: serviceFields.deposit.default(0),
    currency: serviceFields.currency.default('USD'),
    payment_mode: serviceFields.payment_mode.default('none'),
    deposit_amount: serviceFields.deposit_amount.optional(),
    deposit_percent: serviceFields.deposit_percent.default(null),
    active: serviceFields.active.default(true),
    requires_approval: serviceFields.requires_approval.default(false),
    approval_hold_hours: serviceFields.approval_hold_hours.default(DEFAULT_APPROVAL_HOLD_HOURS),
    capacity: serviceFields.capacity.default(1),
    allow_series: serviceFields.allow_series.default(false),
  })
  .refine((s) => s.deposit <= s.price, { path: ['deposit'], message: 'must not exceed price' });
export const ServicePatch = z.strictObject(Object.fromEntries(Object.entries(serviceFields).map(([k, v]) => [k, v.optional()])) as {
  [K in keyof typeof serviceFields]: z.ZodOptional<(typeof serviceFields)[K]>;
});

export const HolidayCreate = z
  .strictObject({ name: name(100), start_date: date, end_date: date.optional() })
  .refine((h) => !h.end_date || h.end_date >= h.start_date, { path: ['end_date'], message: 'must not be before start_date' });

export const MAX_AVAILABILITY_DAYS = 62;
export const AvailabilityQuery = z
  .strictObject({ service_id: Id, resource_id: Id.optional(), from: date, to: date, time_zone: zone })
  .refine((q) => q.to >= q.from, { path: ['to'], message: 'must not be before from' });

export const BookingCreate = z.strictObject({
  service_id: Id,
  resource_id: Id.nullable().optional(),
  start: instant,
  customer: z.strictObject({
    name: name(200),
    email: Email,
    phone: singleLine({ max: 40 }).nullable().optional(),
    time_zone: zone,
  }),
  notes: multiLine({ max: 2000 }).nullable().optional(),
});

export const WaitlistCreate = z.strictObject({
  service_id: Id,
  resource_id: Id.nullable().optional(),
  from_date: date,
  to_date: date,
  /** A time of day in the customer's zone: the booking starts at or after `start` and before `end`. */
  window: z.strictObject({ start: hhmm, end: hhmm }).nullable().optional(),
  customer: BookingCreate.shape.customer,
});

/** `POST /series`: a weekly series of one resource, for a count or until a local date. */
export const SeriesCreate = z.strictObject({
  service_id: Id,
  resource_id: Id,
  start: instant,
  recurrence: z
    .strictObject({
      frequency: z.literal('weekly', 'must be "weekly"'),
      interval: z.number().int('must be a whole number of weeks').min(1).max(MAX_INTERVAL_WEEKS).default(1),
      count: z.number().int('must be a whole number').min(2).max(MAX_OCCURRENCES).optional(),
      until: date.optional(),
    })
    .refine((r) => (r.count === undefined) !== (r.until === undefined), { path: ['count'], message: 'give either count or until' }),
  on_conflict: z.enum(['fail', 'skip']).default('fail'),
  customer: BookingCreate.shape.customer,
  notes: multiLine({ max: 2000 }).nullable().optional(),
});

/** `POST /series/{id}/cancel`: every occurrence not started, or one and those after it. */
export const SeriesCancel = z
  .strictObject({ scope: z.enum(['all', 'following']), from_booking_id: Id.optional(), reason: singleLine({ max: 500 }).optional() })
  .refine((c) => c.scope !== 'following' || c.from_booking_id !== undefined, { path: ['from_booking_id'], message: 'is required with scope "following"' });

export const BookingListQuery = z.strictObject({
  from: instant.optional(),
  to: instant.optional(),
  status: z.enum(['pending', 'held', 'confirmed', 'cancelled', 'completed', 'no_show']).optional(),
  resource_id: Id.optional(),
  service_id: Id.optional(),
  limit: z.coerce.number().int().min(1).max(100).default(20),
  starting_after: Id.optional(),
});

export const CancelBody = z.strictObject({ reason: singleLine({ max: 500 }).optional() });
/** Approving takes nothing (an empty object, or no body). */
export const ApproveBody = z.strictObject({});
export const RescheduleBody = z.strictObject({ start: instant, resource_id: Id.optional() });

export const WebhookCreate = z.strictObject({
  url: z.url({ protocol: /^https?$/ }).max(2000).refine((s) => !hasControlCharacters(s), 'must be an http(s) URL without control characters'),
  events: z.array(z.enum(WEBHOOK_EVENTS)).min(1),
  description: singleLine({ max: 500 }).default(''),
});

/** `PUT /settings/cancellation_policy`: tiers of hours before the start → refund percent, and the same-day rule. */
export const CancellationPolicyBody = z
  .strictObject({
    object: z.literal('cancellation_policy').optional(),
    tiers: z.array(z.strictObject({ hours_before: z.number().min(0).max(8760), refund_percent: z.number().int().min(0).max(100) })).max(10),
    same_day_refund_percent: z.number().int().min(0).max(100).nullable(),
  })
  .refine((p) => new Set(p.tiers.map((t) => t.hours_before)).size === p.tiers.length, { path: ['tiers'], message: 'each tier needs different hours_before' });

/** `POST /bookings/{id}/refunds`. */
export const RefundBody = z.strictObject({ amount: z.number().int().min(1), reason: singleLine({ max: 500, required: 'must say why' }) });
