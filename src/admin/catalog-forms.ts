import { z } from 'zod';
import { isValidISODate, isValidTimeZone, parseHHMM, validateWindows, type WallWindow, type Weekday, type WeeklyWindow } from '../scheduling/index.ts';

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

export const ResourceForm = z.object({
  name: z.string().trim().min(1, 'Enter a name.').max(100, 'Use at most 100 characters.'),
  kind: z.enum(['staff', 'room', 'table', 'equipment'], { error: 'Choose a kind.' }),
  timeZone: z.string().refine(isValidTimeZone, 'Choose a time zone from the list.'),
  position: z.coerce.number().int('Use a whole number.').min(0).max(100000).default(0),
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
    name: z.string().trim().min(1, 'Enter a name.').max(100, 'Use at most 100 characters.'),
    description: z.string().trim().max(2000, 'Use at most 2000 characters.').default(''),
    durationMin: minutes('the duration', 1440).refine((n) => n >= 1, 'The duration must be at least 1 minute.'),
    intervalMin: minutes('the interval', 1440).refine((n) => n >= 1, 'The interval must be at least 1 minute.'),
    bufferBeforeMin: minutes('the buffer', 1440),
    bufferAfterMin: minutes('the buffer', 1440),
    minNoticeMin: minutes('the notice', 525600),
    horizonDays: z.coerce.number().int('Use whole days.').min(1, 'Use at least 1 day.').max(730, 'Use at most 730 days.'),
    maxPerDay: z.string().trim().transform((s, ctx) => {
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
    currency: z.string().trim().toUpperCase().regex(/^[A-Z]{3}$/, 'Use a 3-letter code like USD.'),
    resourceIds: z.preprocess((v) => (v === undefined ? [] : [v].flat()), z.array(z.uuid())),
    active: z.preprocess((v) => v === 'on' || v === true, z.boolean()).default(false),
    version: z.string().optional(),
  })
  .refine((s) => s.deposit <= s.price, { path: ['deposit'], message: 'The deposit cannot be more than the price.' });

export const OverrideForm = z
  .object({
    date: z.string().refine(isValidISODate, 'Choose a date.'),
    windows: z.string().default(''),
    closed: z.preprocess((v) => v === 'on', z.boolean()),
  })
  .transform((f, ctx) => {
    if (f.closed) return { date: f.date, windows: [] as WallWindow[] };
    try {
      const windows = parseWindows(f.windows);
      const problems = validateWindows(windows);
      if (!windows.length) ctx.addIssue({ code: 'custom', path: ['windows'], message: 'Enter hours like 10:00-14:00, or tick "Closed".' });
      if (problems.length) ctx.addIssue({ code: 'custom', path: ['windows'], message: problems.join('; ') });
      return { date: f.date, windows };
    } catch (err) {
      ctx.addIssue({ code: 'custom', path: ['windows'], message: (err as Error).message });
      return z.NEVER;
    }
  });

export const HolidayForm = z
  .object({
    name: z.string().trim().min(1, 'Name it, e.g. "Christmas Day".').max(100),
    start: z.string().refine(isValidISODate, 'Choose a date.'),
    end: z.string().optional(),
  })
  .transform((h) => ({ ...h, end: h.end && isValidISODate(h.end) ? h.end : h.start }))
  .refine((h) => h.end >= h.start, { path: ['end'], message: 'The last day cannot be before the first.' });
