import { rootOrigin, type Config } from '../config.ts';
import { WEBHOOK_EVENTS } from '../webhooks/service.ts';

/**
 * The OpenAPI 3.1 description of /api/v1. A test validates it and checks
 * that every route the API registers is described here and vice versa.
 */
type Schema = Record<string, unknown>;
const ref = (name: string): Schema => ({ $ref: `#/components/schemas/${name}` });
const str = (extra: Schema = {}): Schema => ({ type: 'string', ...extra });
const int = (extra: Schema = {}): Schema => ({ type: 'integer', ...extra });
const uuid = str({ format: 'uuid' });
const instant = str({ format: 'date-time', description: 'ISO 8601 with an offset' });
const date = str({ format: 'date', description: '1970-01-01 to 2199-12-31' });
const hhmm = str({ pattern: '^([01][0-9]|2[0-3]):[0-5][0-9]$|^24:00$' });
const nullable = (s: Schema): Schema => ({ anyOf: [s, { type: 'null' }] });
const obj = (properties: Record<string, Schema>, required: string[] = [], extra: Schema = {}): Schema => ({
  type: 'object', properties, required, additionalProperties: false, ...extra,
});
const listOf = (item: string): Schema =>
  obj({ object: { const: 'list' }, data: { type: 'array', items: ref(item) }, has_more: { type: 'boolean' } }, ['object', 'data', 'has_more']);

const problem = (description: string) => ({ description, content: { 'application/problem+json': { schema: ref('Problem') } } });
const json = (description: string, schema: Schema) => ({ description, content: { 'application/json': { schema } } });
const body = (schema: Schema) => ({ required: true, content: { 'application/json': { schema } } });
const errors = { '401': problem('Missing, invalid or revoked API key'), '422': problem('Invalid input'), '429': problem('Rate limited; see Retry-After') };
const idPath = (name = 'id') => ({ name, in: 'path', required: true, schema: uuid });
const pageParams = [
  { name: 'limit', in: 'query', schema: int({ minimum: 1, maximum: 100, default: 20 }) },
  { name: 'starting_after', in: 'query', schema: uuid, description: 'The id of the last item of the previous page' },
];
const ifMatchHeader = {
  name: 'If-Match', in: 'header', schema: str(),
  description: 'The ETag of the version you read: a write over a newer version is refused with 412 instead of overwriting it',
};
const etagHeader = { ETag: { description: 'The version of what was returned; send it back in If-Match', schema: str() } };
const versioned = (description: string, schema: Schema) => ({ ...json(description, schema), headers: etagHeader });
const changed = { '412': problem('Changed since the version in If-Match') };
const idempotencyHeader = { name: 'Idempotency-Key', in: 'header', schema: str({ maxLength: 255 }), description: 'Same key and body within 24 h returns the first response' };

const weekly = obj({ day: str({ enum: ['mon', 'tue', 'wed', 'thu', 'fri', 'sat', 'sun'] }), start: hhmm, end: hhmm }, ['day', 'start', 'end']);
const window = obj({ start: hhmm, end: hhmm }, ['start', 'end']);
const override = { oneOf: [obj({ date, windows: { type: 'array', items: window } }, ['date', 'windows']), obj({ date, closed: { const: true } }, ['date', 'closed'])] };

const serviceProps: Record<string, Schema> = {
  name: str({ maxLength: 100 }), description: str({ maxLength: 2000 }), duration_minutes: int({ minimum: 1, maximum: 1440 }),
  interval_minutes: int({ minimum: 1, maximum: 1440 }), buffer_before_minutes: int({ minimum: 0 }), buffer_after_minutes: int({ minimum: 0 }),
  min_notice_minutes: int({ minimum: 0 }), horizon_days: int({ minimum: 1, maximum: 730 }), max_per_day: nullable(int({ minimum: 1 })),
  price: int({ minimum: 0, maximum: 999999999, description: 'minor units' }), deposit: int({ minimum: 0, maximum: 999999999, description: 'minor units' }), currency: str({ pattern: '^[A-Z]{3}$' }),
  payment_mode: str({ enum: ['none', 'deposit', 'full'], description: 'What a booking pays online (through the business\'s Stripe account)' }),
  deposit_amount: nullable(int({ minimum: 0, description: 'A fixed deposit, minor units (the same as deposit)' })),
  deposit_percent: nullable(int({ minimum: 1, maximum: 100, description: 'A deposit as a percentage of the price, instead of deposit_amount' })),
  resource_ids: { type: 'array', items: uuid }, active: { type: 'boolean' },
  requires_approval: { type: 'boolean', description: 'Bookings are requests (status pending) until an owner or admin approves them' },
  approval_hold_hours: int({ minimum: 1, maximum: 720, description: 'How long a request holds its time before it expires (default 24)' }),
  capacity: int({ minimum: 1, maximum: 1000, description: 'Seats per slot (default 1). Above 1 the service is a class: each booking is one seat, and nothing else is booked on the resource during it' }),
  allow_series: { type: 'boolean', description: 'Whether it may be booked as a weekly series (POST /series)' },
};

const schemas: Record<string, Schema> = {
  Problem: {
    type: 'object',
    properties: { type: str({ format: 'uri' }), title: str(), status: int(), detail: str(), errors: { type: 'object', additionalProperties: str() } },
    required: ['type', 'title', 'status'],
  },
  Resource: obj({ id: uuid, object: { const: 'resource' }, name: str(), kind: str({ enum: ['staff', 'room', 'table', 'equipment'] }), time_zone: str(), position: int(), active: { type: 'boolean' } }, ['id', 'object', 'name', 'kind', 'time_zone']),
  ResourceCreate: obj({ name: str({ maxLength: 100 }), kind: str({ enum: ['staff', 'room', 'table', 'equipment'] }), time_zone: str({ description: 'IANA zone' }), position: int({ minimum: 0 }) }, ['name', 'time_zone']),
  ResourcePatch: obj({ name: str(), kind: str({ enum: ['staff', 'room', 'table', 'equipment'] }), time_zone: str(), position: int({ minimum: 0 }), active: { type: 'boolean' } }),
  Schedule: obj({ object: { const: 'schedule' }, resource_id: uuid, weekly: { type: 'array', items: weekly }, overrides: { type: 'array', items: override } }, ['weekly', 'overrides']),
  ScheduleInput: obj({ weekly: { type: 'array', items: weekly }, overrides: { type: 'array', items: override } }, ['weekly']),
  Service: obj({ id: uuid, object: { const: 'service' }, ...serviceProps }, ['id', 'object', 'name', 'duration_minutes', 'resource_ids']),
  ServiceCreate: obj(serviceProps, ['name', 'duration_minutes', 'resource_ids']),
  ServicePatch: obj(serviceProps),
  Holiday: obj({ id: uuid, object: { const: 'holiday' }, name: str(), start_date: date, end_date: date }, ['id', 'name', 'start_date', 'end_date']),
  HolidayCreate: obj({ name: str(), start_date: date, end_date: date }, ['name', 'start_date']),
  Availability: obj(
    {
      object: { const: 'availability' }, service_id: uuid, time_zone: str(),
      slots: { type: 'array', items: obj({ start: instant, end: instant, resource_id: uuid, resource_ids: { type: 'array', items: uuid }, seats_left: int({ minimum: 1, description: 'Classes only (capacity above 1): seats left at that time' }) }, ['start', 'end', 'resource_id']) },
    },
    ['time_zone', 'slots'],
  ),
  Customer: obj({ name: str({ maxLength: 200 }), email: str({ format: 'email' }), phone: nullable(str({ maxLength: 40 })), time_zone: str({ description: 'IANA zone' }) }, ['name', 'email', 'time_zone']),
  Booking: obj(
    {
      id: uuid, object: { const: 'booking' }, status: str({ enum: ['pending', 'held', 'confirmed', 'cancelled', 'completed', 'no_show'] }), service_id: uuid,
      resource_id: uuid, start: instant, end: instant, time_zone: str(), customer: ref('Customer'), notes: nullable(str()),
      source: str(), price: int(), deposit: int(), currency: str(), sequence: int(), created_at: instant,
      hold_expires_at: nullable(instant), payment: ref('Payment'),
      series_id: nullable(str({ format: 'uuid', description: 'The series this booking is an occurrence of' })),
    },
    ['id', 'object', 'status', 'service_id', 'resource_id', 'start', 'end', 'customer'],
  ),
  Payment: obj(
    {
      mode: str({ enum: ['none', 'deposit', 'full'] }),
      status: str({ enum: ['not_required', 'pending', 'paid', 'partially_refunded', 'refunded', 'failed'] }),
      amount_due: int({ description: 'minor units, paid online' }), amount_paid: int(), amount_refunded: int(), currency: str(),
      checkout_url: nullable(str({ format: 'uri', description: 'Stripe Checkout, while the booking is held' })),
    },
    ['mode', 'status', 'amount_due', 'amount_paid', 'amount_refunded', 'currency', 'checkout_url'],
  ),
  Refund: obj(
    { object: { const: 'refund' }, booking_id: uuid, number: int(), amount: int(), currency: str(), reason: str(), status: str({ enum: ['queued', 'pending', 'succeeded', 'failed', 'canceled'] }), stripe_refund_id: nullable(str()), created_at: instant },
    ['object', 'booking_id', 'number', 'amount', 'status'],
  ),
  CancellationPolicy: obj(
    {
      object: { const: 'cancellation_policy' },
      tiers: { type: 'array', maxItems: 10, items: obj({ hours_before: { type: 'number', minimum: 0, maximum: 8760 }, refund_percent: int({ minimum: 0, maximum: 100 }) }, ['hours_before', 'refund_percent']) },
      same_day_refund_percent: nullable(int({ minimum: 0, maximum: 100 })),
    },
    ['tiers', 'same_day_refund_percent'],
  ),
  BookingCreate: obj({ service_id: uuid, resource_id: nullable(uuid), start: instant, customer: ref('Customer'), notes: nullable(str()) }, ['service_id', 'start', 'customer']),
  Recurrence: obj(
    {
      frequency: { const: 'weekly' }, interval: int({ minimum: 1, maximum: 12, default: 1, description: 'Every N weeks' }),
      count: int({ minimum: 2, maximum: 52, description: 'How many occurrences, the first included' }),
      until: str({ format: 'date', description: 'The last local date (inclusive, in the resource\'s zone); capped at the service\'s horizon' }),
    },
    ['frequency'],
    { description: 'The same wall-clock time in the resource\'s zone each time (across a DST change 10:00 stays 10:00). Give count or until, not both; at most 52 occurrences.' },
  ),
  SeriesCreate: obj(
    {
      service_id: uuid, resource_id: uuid, start: instant, recurrence: ref('Recurrence'),
      on_conflict: str({ enum: ['fail', 'skip'], default: 'fail', description: 'fail: all or nothing (409 naming the occurrences that cannot be booked); skip: book the free ones' }),
      customer: ref('Customer'), notes: nullable(str()),
    },
    ['service_id', 'resource_id', 'start', 'recurrence', 'customer'],
  ),
  Series: obj(
    {
      id: uuid, object: { const: 'series' }, service_id: uuid, resource_id: uuid, time_zone: str(), recurrence: ref('Recurrence'), customer: ref('Customer'),
      created_at: instant, bookings: { type: 'array', items: ref('Booking'), description: 'Its occurrences, by start' },
      skipped: {
        type: 'array', description: 'Only when created: the occurrences not booked',
        items: obj({ start: str({ description: 'ISO 8601 with the resource\'s offset, or the local date-time when that time does not exist that day' }), reason: str({ enum: ['unknown_resource', 'past', 'min_notice', 'beyond_horizon', 'closed', 'off_grid', 'max_per_day', 'busy', 'nonexistent_local_time', 'customer_day_full'] }) }, ['start', 'reason']),
      },
      cancelled: { type: 'array', items: uuid, description: 'Only when cancelling: the bookings cancelled now' },
    },
    ['id', 'object', 'service_id', 'resource_id', 'recurrence', 'bookings'],
  ),
  SeriesCancel: obj(
    {
      scope: str({ enum: ['all', 'following'], description: 'all: every occurrence not started; following: from_booking_id and those after it' }),
      from_booking_id: uuid, reason: str({ maxLength: 500 }),
    },
    ['scope'],
  ),
  WebhookEndpoint: obj(
    { id: uuid, object: { const: 'webhook_endpoint' }, url: str({ format: 'uri' }), events: { type: 'array', items: ref('WebhookEvent') }, description: str(), active: { type: 'boolean' }, created_at: instant, secret: str({ description: 'Only in the creation response' }) },
    ['id', 'url', 'events'],
  ),
  WebhookEndpointCreate: obj({ url: str({ format: 'uri' }), events: { type: 'array', items: ref('WebhookEvent'), minItems: 1 }, description: str() }, ['url', 'events']),
  WebhookEvent: str({ enum: [...WEBHOOK_EVENTS] }),
};
schemas.WaitlistEntry = obj({
  id: uuid, object: { const: 'waitlist_entry' }, service_id: uuid, resource_id: nullable(uuid), from_date: date, to_date: date,
  window: nullable(obj({ start: hhmm, end: hhmm }, ['start', 'end'])),
  customer: obj({ name: str(), email: str({ format: 'email' }), phone: nullable(str()), time_zone: str() }, ['name', 'email', 'time_zone']),
  status: str({ enum: ['waiting', 'offered', 'booked', 'passed', 'left', 'expired'], description: 'passed: it was offered a time and declined it or let it lapse' }),
  created_at: instant,
}, ['id', 'object', 'service_id', 'from_date', 'to_date', 'status']);
schemas.WaitlistCreate = obj({
  service_id: uuid, resource_id: nullable(uuid), from_date: date, to_date: date,
  window: nullable(obj({ start: hhmm, end: hhmm }, ['start', 'end'])),
  customer: obj({ name: str({ maxLength: 200 }), email: str({ format: 'email' }), phone: nullable(str({ maxLength: 40 })), time_zone: str() }, ['name', 'email', 'time_zone']),
}, ['service_id', 'from_date', 'to_date', 'customer']);
for (const item of ['Resource', 'Service', 'Holiday', 'Booking', 'WebhookEndpoint', 'WaitlistEntry']) schemas[`${item}List`] = listOf(item);

const crud = (name: string, tag: string, opts: { patch?: boolean; get?: boolean } = {}) => ({
  [`/${tag}`]: {
    get: { operationId: `list_${tag}`, tags: [tag], parameters: pageParams, responses: { '200': json('A page', ref(`${name}List`)), ...errors } },
    post: { operationId: `create_${tag}`, tags: [tag], parameters: [idempotencyHeader], requestBody: body(ref(`${name}Create`)), responses: { '201': json('Created', ref(name)), ...errors } },
  },
  [`/${tag}/{id}`]: {
    parameters: [idPath()],
    ...(opts.get !== false && {
      get: { operationId: `get_${tag}`, tags: [tag], responses: { '200': opts.patch ? versioned('Found', ref(name)) : json('Found', ref(name)), '404': problem('Not found'), ...errors } },
    }),
    ...(opts.patch && {
      patch: {
        operationId: `update_${tag}`, tags: [tag], parameters: [ifMatchHeader], requestBody: body(ref(`${name}Patch`)),
        responses: { '200': versioned('Updated', ref(name)), '404': problem('Not found'), ...changed, ...errors },
      },
    }),
    delete: { operationId: `delete_${tag}`, tags: [tag], responses: { '204': { description: 'Deleted' }, '404': problem('Not found'), '409': problem('In use'), ...errors } },
  },
});

export function openApiDocument(config: Pick<Config, 'scheme' | 'baseDomain'>) {
  return {
    openapi: '3.1.0',
    info: {
      title: 'Slotwise API',
      version: '1.0.0',
      description:
        'Bookings, availability and catalog of one tenant. Authenticate with `Authorization: Bearer <key>`; the key decides the tenant. ' +
        'Errors are application/problem+json (RFC 9457), with `errors` naming each field. Text is plain text: one-line fields (names, labels, reasons) ' +
        'refuse line breaks and control characters, descriptions and notes allow line breaks and tabs only. Time zones are IANA names, always under `time_zone`. Webhook deliveries carry `Slotwise-Signature: t=<unix>,v1=<hex HMAC-SHA256(secret, "<t>.<body>")>`.',
    },
    servers: [{ url: `${rootOrigin(config)}/api/v1` }],
    security: [{ bearer: [] }],
    components: { securitySchemes: { bearer: { type: 'http', scheme: 'bearer' } }, schemas },
    paths: {
      ...crud('Resource', 'resources', { patch: true }),
      '/resources/{id}/schedule': {
        parameters: [idPath()],
        get: { operationId: 'get_schedule', tags: ['resources'], responses: { '200': versioned('Weekly hours and upcoming overrides (ETag: the resource\'s version)', ref('Schedule')), '404': problem('Not found'), ...errors } },
        put: {
          operationId: 'replace_schedule', tags: ['resources'], parameters: [ifMatchHeader], requestBody: body(ref('ScheduleInput')),
          responses: { '200': versioned('Saved', ref('Schedule')), '404': problem('Not found'), ...changed, ...errors },
        },
      },
      ...crud('Service', 'services', { patch: true }),
      ...crud('Holiday', 'holidays', { get: false }),
      '/availability': {
        get: {
          operationId: 'get_availability',
          tags: ['availability'],
          parameters: [
            { name: 'service_id', in: 'query', required: true, schema: uuid },
            { name: 'resource_id', in: 'query', schema: uuid, description: 'Omit for any available resource' },
            { name: 'from', in: 'query', required: true, schema: date, description: 'First date, in `time_zone`' },
            { name: 'to', in: 'query', required: true, schema: date, description: 'Last date (inclusive), at most 62 days after `from`' },
            { name: 'time_zone', in: 'query', required: true, schema: str(), description: 'IANA zone for the dates and the offsets of the slots' },
          ],
          responses: { '200': json('Free slots', ref('Availability')), '404': problem('Unknown service or resource'), ...errors },
        },
      },
      '/bookings': {
        get: {
          operationId: 'list_bookings',
          tags: ['bookings'],
          parameters: [
            { name: 'from', in: 'query', schema: instant }, { name: 'to', in: 'query', schema: instant },
            { name: 'status', in: 'query', schema: str({ enum: ['pending', 'held', 'confirmed', 'cancelled', 'completed', 'no_show'] }) },
            { name: 'resource_id', in: 'query', schema: uuid }, { name: 'service_id', in: 'query', schema: uuid }, ...pageParams,
          ],
          responses: { '200': json('A page, by start time', ref('BookingList')), ...errors },
        },
        post: {
          operationId: 'create_booking',
          tags: ['bookings'],
          parameters: [idempotencyHeader],
          requestBody: body(ref('BookingCreate')),
          responses: { '201': json('Booked', ref('Booking')), '404': problem('Unknown service or resource'), '409': problem('slot_unavailable: the time was just taken'), ...errors },
        },
      },
      '/bookings/{id}': {
        parameters: [idPath()],
        get: { operationId: 'get_booking', tags: ['bookings'], responses: { '200': json('Found', ref('Booking')), '404': problem('Not found'), ...errors } },
      },
      '/bookings/{id}/cancel': {
        parameters: [idPath()],
        post: {
          operationId: 'cancel_booking', tags: ['bookings'], parameters: [idempotencyHeader],
          requestBody: { content: { 'application/json': { schema: obj({ reason: str({ maxLength: 500 }) }) } } },
          responses: { '200': json('Cancelled', ref('Booking')), '404': problem('Not found'), '409': problem('Not active'), ...errors },
        },
      },
      '/bookings/{id}/approve': {
        parameters: [idPath()],
        post: {
          operationId: 'approve_booking', tags: ['bookings'], parameters: [idempotencyHeader],
          description: 'Confirm a booking that awaits approval (status pending). Of two answers at once, exactly one decides.',
          responses: { '200': json('Confirmed', ref('Booking')), '404': problem('Not found'), '409': problem('booking_not_pending: already answered; request_expired: its hold ran out'), ...errors },
        },
      },
      '/bookings/{id}/decline': {
        parameters: [idPath()],
        post: {
          operationId: 'decline_booking', tags: ['bookings'], parameters: [idempotencyHeader],
          description: 'Decline a booking that awaits approval: it is cancelled, its time freed, the customer told (with the reason, if given).',
          requestBody: { content: { 'application/json': { schema: obj({ reason: str({ maxLength: 500 }) }) } } },
          responses: { '200': json('Declined (cancelled)', ref('Booking')), '404': problem('Not found'), '409': problem('booking_not_pending: already answered'), ...errors },
        },
      },
      '/bookings/{id}/refunds': {
        parameters: [idPath()],
        post: {
          operationId: 'refund_booking', tags: ['bookings'], parameters: [idempotencyHeader],
          requestBody: body(obj({ amount: int({ minimum: 1, description: 'minor units, at most what remains' }), reason: str({ maxLength: 500 }) }, ['amount', 'reason'])),
          responses: { '201': json('Queued; made at Stripe by a job', ref('Refund')), '404': problem('Not found'), ...errors },
        },
      },
      '/settings/cancellation_policy': {
        get: { operationId: 'get_cancellation_policy', tags: ['settings'], responses: { '200': json('The policy', ref('CancellationPolicy')), ...errors } },
        put: { operationId: 'set_cancellation_policy', tags: ['settings'], requestBody: body(ref('CancellationPolicy')), responses: { '200': json('Set', ref('CancellationPolicy')), ...errors } },
      },
      '/bookings/{id}/reschedule': {
        parameters: [idPath()],
        post: {
          operationId: 'reschedule_booking', tags: ['bookings'], parameters: [idempotencyHeader],
          requestBody: body(obj({ start: instant, resource_id: uuid }, ['start'])),
          responses: { '200': json('Moved', ref('Booking')), '404': problem('Not found'), '409': problem('Taken, or not active'), ...errors },
        },
      },
      '/series': {
        post: {
          operationId: 'create_series',
          tags: ['series'],
          parameters: [idempotencyHeader],
          requestBody: body(ref('SeriesCreate')),
          responses: {
            '201': json('Booked: the occurrences booked, and those skipped with why', ref('Series')),
            '404': problem('Unknown service or resource'),
            '409': problem('series_conflict: occurrences that cannot be booked, named in `errors` by start; nothing was booked'),
            ...errors,
          },
        },
      },
      '/series/{id}': {
        parameters: [idPath()],
        get: { operationId: 'get_series', tags: ['series'], responses: { '200': json('Found, with every occurrence', ref('Series')), '404': problem('Not found'), ...errors } },
      },
      '/series/{id}/cancel': {
        parameters: [idPath()],
        post: {
          operationId: 'cancel_series', tags: ['series'], parameters: [idempotencyHeader], requestBody: body(ref('SeriesCancel')),
          responses: { '200': json('Cancelled, each under the cancellation policy', ref('Series')), '404': problem('Not found'), '409': problem('Nothing left to cancel'), ...errors },
        },
      },
      ...crud('WebhookEndpoint', 'webhook_endpoints'),
      '/waitlist': {
        get: {
          operationId: 'list_waitlist', tags: ['waitlist'],
          parameters: [{ name: 'service_id', in: 'query', schema: uuid }, { name: 'status', in: 'query', schema: str({ enum: ['waiting', 'offered', 'booked', 'passed', 'left', 'expired'] }) },
            { name: 'limit', in: 'query', schema: int({ minimum: 1, maximum: 100 }) }, { name: 'starting_after', in: 'query', schema: uuid }],
          responses: { '200': json('A page, in order of joining', ref('WaitlistEntryList')), ...errors },
        },
        post: {
          operationId: 'join_waitlist', tags: ['waitlist'], parameters: [idempotencyHeader],
          description: 'A customer waits for a time of the service (one resource, or any) on local dates from_date–to_date in their zone, optionally within a time of day. When time frees up, the first fitting time is held for the first waiting customer and they are emailed a link to claim it. A service paid online: claiming goes to payment, and the payment books it. 422 no_waitlist: the service needs approval.',
          requestBody: body(ref('WaitlistCreate')),
          responses: { '201': json('Waiting', ref('WaitlistEntry')), '404': problem('Unknown service or resource'), ...errors },
        },
      },
      '/waitlist/{id}': {
        parameters: [idPath()],
        delete: { operationId: 'leave_waitlist', tags: ['waitlist'], description: 'The customer leaves: an open offer is released to the next customer.', responses: { '204': { description: 'Left' }, '404': problem('Not found'), ...errors } },
      },
      '/openapi.json': {
        get: { operationId: 'get_openapi', tags: ['meta'], security: [], responses: { '200': json('This document', { type: 'object' }) } },
      },
    },
  };
}
