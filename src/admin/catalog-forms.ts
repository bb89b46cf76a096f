import { DEFAULT_APPROVAL_HOLD_HOURS } from '../catalog/service.ts';
import { isZeroDecimal, pricingErrors } from '../payments/money.ts';
import { z } from 'zod';
import { fieldErrors } from '../http/forms.ts';
import { calendarDate, isBookableDate } from '../http/params.ts';
import { multiLine, singleLine } from '../http/text.ts';
import {
  isValidTimeZone, parseHHMM, validateServiceRules, validateWindows, type DateOverride, type ServiceRules, type WallWindow, type Weekday, type WeeklyWindow,
} from '../scheduling/index.ts';

export const WEEKDAYS = ['Monday', 'Tuesday', 'Wednesday', 'Thursday', 'Friday', 'Saturday', 'Sunday'] as const;

/** "09:00-12:00, 13:00-17:00" → windows; '' → none. Throws a sentence for the form. */
export function parseWindows(text: string): WallWindow[] {
  const parts = text.split(/[,;]+/).map((p) => p.trim()).filter(Boolean);
  return parts.map((p) => {
    const m = /^(\d{1,2}:\d{2})\s*[-–]\s*(\d{1,2}:\d{2})$/.exec(p);
    const pad = (s: string) => s.padStart(5, '0');
    if (!m || parseHHMM(pad(m[1]!)) === null || parseHHMM(pad(m[2]!)) === null) throw new Error(`"${p}" is not a time range like 09:00-12:00.`);
    return { start: pad(m[1]!), end: pad(m[2]!) };
  });
}

export const formatWindows = (ws: WallWindow[]) => ws.map((w) => `${w.start}-${w.end}`).join(', ');

/** Seven text fields (day0 … day6, Monday first) → weekly windows, or errors per day. */
export function parseWeek(body: Record<string, unknown>): { weekly: WeeklyWindow[]; errors: Record<string, string> } {
  const weekly: WeeklyWindow[] = [];
  const errors: Record<string, string> = {};
  WEEKDAYS.forEach((_, i) => {
    const raw = typeof body[`day${i}`] === 'string' ? (body[`day${i}`] as string) : '';
    try {
      const windows = parseWindows(raw);
      const problems = validateWindows(windows);
      if (problems.length) errors[`day${i}`] = problems.join('; ').replace(/Window \d+ /g, '');
      else weekly.push(...windows.map((w) => ({ ...w, weekday: (i + 1) as Weekday })));
    } catch (err) {
      errors[`day${i}`] = (err as Error).message;
    }
  });
  return { weekly, errors };
}

/**
 * Runs a rule over several fields even when other fields are wrong, as long
 * as the fields it reads are right, so a form (and its check as you type)
 * shows every problem at once rather than one round at a time. Zod skips
 * such rules by default as soon as any field has failed.
 */
const whenValid = (...fields: string[]) => ({ when: (p: z.core.ParsePayload) => !p.issues.some((i) => fields.includes(String(i.path?.[0]))) });

const name = (required: string) => singleLine({ max: 100, required });

export const ResourceForm = z.object({
  name: name('Enter a name.'),
  kind: z.enum(['staff', 'room', 'table', 'equipment'], { error: 'Choose a kind.' }),
  timeZone: z.string({ error: 'Choose a time zone from the list.' }).refine(isValidTimeZone, 'Choose a time zone from the list.'),
  position: z.coerce.number({ error: 'Use a whole number.' }).int('Use a whole number.').min(0, 'Use 0 or more.').max(100000, 'Use at most 100000.').default(0),
  active: z.preprocess((v) => v === 'on' || v === true, z.boolean()).default(false),
});

const minutes = (label: string, max: number) =>
  z.coerce.number({ error: `Enter ${label} in minutes.` }).int('Use whole minutes.').min(0, 'Use 0 or more.').max(max, `Use at most ${max}.`);

/** Money typed as "45" or "45.50" → minor units (2 decimals; a zero-decimal currency is typed whole). */
const money = z
  .string()
  .trim()
  .regex(/^\d{1,7}([.,]\d{1,2})?$/, 'Enter an amount like 45 or 45.50.')
  .transform((s) => Math.round(Number(s.replace(',', '.')) * 100));

export const ServiceForm = z
  .object({
    name: name('Enter a name.'),
    description: multiLine({ max: 2000 }).default(''),
    durationMin: minutes('the duration', 1440).refine((n) => n >= 1, 'The duration must be at least 1 minute.'),
    intervalMin: minutes('the interval', 1440).refine((n) => n >= 1, 'The interval must be at least 1 minute.'),
    bufferBeforeMin: minutes('the buffer', 1440),
    bufferAfterMin: minutes('the buffer', 1440),
    minNoticeMin: minutes('the notice', 525600),
    horizonDays: z.coerce.number().int('Use whole days.').min(1, 'Use at least 1 day.').max(730, 'Use at most 730 days.'),
    maxPerDay: z.string({ error: 'Leave empty, or a whole number from 1 to 1000.' }).trim().transform((s, ctx) => {
      if (s === '') return null;
      const n = Number(s);
      if (!Number.isInteger(n) || n < 1 || n > 1000) {
        ctx.addIssue({ code: 'custom', message: 'Leave empty, or a whole number from 1 to 1000.' });
        return z.NEVER;
      }
      return n;
    }),
    price: money,
    deposit: money,
    currency: z.string({ error: 'Use a 3-letter code like USD.' }).trim().toUpperCase().regex(/^[A-Z]{3}$/, 'Use a 3-letter code like USD.'),
    paymentMode: z.enum(['none', 'deposit', 'full'], 'Choose how customers pay.').default('none'),
    depositPercent: z.string().trim().default('').transform((s, ctx) => {
      if (s === '') return null;
      const n = Number(s);
      if (!Number.isInteger(n) || n < 1 || n > 100) {
        ctx.addIssue({ code: 'custom', message: 'Leave empty, or a whole percent from 1 to 100.' });
        return z.NEVER;
      }
      return n;
    }),
    resourceIds: z.preprocess((v) => (v === undefined ? [] : [v].flat()), z.array(z.uuid())),
    active: z.preprocess((v) => v === 'on' || v === true, z.boolean()).default(false),
    capacity: z.coerce.number({ error: 'Enter the seats, 1 to 1000.' }).int('Use a whole number.').min(1, 'Use at least 1.').max(1000, 'Use at most 1000.').default(1),
    requiresApproval: z.preprocess((v) => v === 'on' || v === true, z.boolean()).default(false),
    approvalHoldHours: z.coerce.number({ error: 'Enter the hours, 1 to 720.' }).int('Use whole hours.').min(1, 'Use at least 1 hour.').max(720, 'Use at most 720 hours (30 days).').default(DEFAULT_APPROVAL_HOLD_HOURS),
    allowSeries: z.preprocess((v) => v === 'on' || v === true, z.boolean()).default(false),
    version: z.string().optional(),
  })
  .refine((s) => s.deposit <= s.price, { path: ['deposit'], message: 'The deposit cannot be more than the price.', ...whenValid('price', 'deposit') });

/** Hours on one date, or closed all day (then whatever is typed in the hours is ignored). */
export const OverrideForm = z
  .object({
    date: calendarDate('Choose a date.'),
    windows: singleLine({ max: 500 }).default(''),
    closed: z.preprocess((v) => v === 'on', z.boolean()),
  })
  .superRefine((f, ctx) => {
    if (f.closed) return;
    try {
      const windows = parseWindows(f.windows);
      const problems = validateWindows(windows);
      if (!windows.length) ctx.addIssue({ code: 'custom', path: ['windows'], message: 'Enter hours like 10:00-14:00, or tick "Closed".' });
      if (problems.length) ctx.addIssue({ code: 'custom', path: ['windows'], message: problems.join('; ') });
    } catch (err) {
      ctx.addIssue({ code: 'custom', path: ['windows'], message: (err as Error).message });
    }
  }, whenValid('windows', 'closed'))
  .transform((f): DateOverride => ({ date: f.date, windows: f.closed ? [] : parseWindows(f.windows) }));

/** A closure of one or more days; a missing or unreadable last day means the first day only. */
export const HolidayForm = z
  .object({
    name: name('Name it, e.g. "Christmas Day".'),
    start: calendarDate('Choose a date.'),
    end: z.unknown().optional().transform((v) => (typeof v === 'string' ? v : undefined)),
  })
  .superRefine((h, ctx) => {
    if (h.end && isBookableDate(h.end) && h.end < h.start) ctx.addIssue({ code: 'custom', path: ['end'], message: 'The last day cannot be before the first.' });
  }, whenValid('start', 'end'))
  .transform((h) => ({ ...h, end: h.end && isBookableDate(h.end) ? h.end : h.start }));

/**
 * A form's fields as what saving needs, or the first message per field.
 * Each form has one check* function below, called both by its save route
 * and by its …/check route (validate as you type), so the two can never
 * disagree about what is valid.
 */
export type Checked<T> = { ok: true; value: T } | { ok: false; errors: Record<string, string> };

const fromZod = <T>(r: { success: true; data: T } | { success: false; error: z.ZodError }): Checked<T> =>
  r.success ? { ok: true, value: r.data } : { ok: false, errors: fieldErrors(r.error) };

export const checkResourceForm = (body: unknown): Checked<z.output<typeof ResourceForm>> => fromZod(ResourceForm.safeParse(body ?? {}));

export function checkWeekForm(body: unknown): Checked<WeeklyWindow[]> {
  const { weekly, errors } = parseWeek((body ?? {}) as Record<string, unknown>);
  return Object.keys(errors).length ? { ok: false, errors } : { ok: true, value: weekly };
}

export const checkOverrideForm = (body: unknown): Checked<DateOverride> => fromZod(OverrideForm.safeParse(body ?? {}));

export const checkHolidayForm = (body: unknown): Checked<z.output<typeof HolidayForm>> => fromZod(HolidayForm.safeParse(body ?? {}));

/** The service form, then the engine's own rules over the numbers (what it would refuse to compute with). */
export function checkServiceForm(body: unknown): Checked<{ form: z.output<typeof ServiceForm>; rules: ServiceRules }> {
  const parsed = ServiceForm.safeParse(body ?? {});
  if (!parsed.success) return { ok: false, errors: fieldErrors(parsed.error) };
  // Amounts are typed in major units; a zero-decimal currency (JPY, KRW) has no minor unit.
  const f = isZeroDecimal(parsed.data.currency)
    ? { ...parsed.data, price: Math.round(parsed.data.price / 100), deposit: Math.round(parsed.data.deposit / 100) }
    : parsed.data;
  const money = pricingErrors({ priceMinor: f.price, currency: f.currency, paymentMode: f.paymentMode, depositMinor: f.deposit, depositPercent: f.depositPercent, requiresApproval: f.requiresApproval });
  if (Object.keys(money).length) {
    const names: Record<string, string> = { priceMinor: 'price', depositMinor: 'deposit', depositPercent: 'depositPercent' };
    return { ok: false, errors: Object.fromEntries(Object.entries(money).map(([k, v]) => [names[k] ?? k, v])) };
  }
  const rules = { durationMin: f.durationMin, intervalMin: f.intervalMin, bufferBeforeMin: f.bufferBeforeMin, bufferAfterMin: f.bufferAfterMin, minNoticeMin: f.minNoticeMin, horizonDays: f.horizonDays, maxPerDay: f.maxPerDay };
  const problems = validateServiceRules(rules);
  if (problems.length) return { ok: false, errors: { durationMin: problems.join('; ') } };
  return { ok: true, value: { form: f, rules } };
}

/** Field names as the forms label them, for the messages of a check (views/admin/catalog/_check.eta). */
export const FORM_LABELS = {
  service: {
    name: 'Name', description: 'Description', durationMin: 'Duration', intervalMin: 'Start times every', bufferBeforeMin: 'Buffer before', bufferAfterMin: 'Buffer after',
    minNoticeMin: 'Minimum notice', horizonDays: 'Bookable up to', requiresApproval: 'Approval', capacity: 'Seats per time', approvalHoldHours: 'Requests wait at most', maxPerDay: 'At most per day', price: 'Price', deposit: 'Deposit', currency: 'Currency', paymentMode: 'Payment', depositPercent: 'Percentage of the price', allowSeries: 'Allow recurring bookings', resourceIds: 'Offered by',
  },
  resource: { name: 'Name', kind: 'Kind', timeZone: 'Time zone', position: 'Order' },
  hours: Object.fromEntries(WEEKDAYS.map((day, i) => [`day${i}`, day])),
  override: { date: 'Date', windows: 'Hours that day' },
  holiday: { name: 'Name', start: 'First day', end: 'Last day' },
} satisfies Record<string, Record<string, string>>;
