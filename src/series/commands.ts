import { z } from 'zod';
import { calendarDate } from '../http/params.ts';
import { MAX_INTERVAL_WEEKS, MAX_OCCURRENCES, type Recurrence } from './recurrence.ts';

/**
 * The "Repeat weekly" part of the public booking form (and of the preview
 * page's hidden fields): every N weeks, ending after a number of times or
 * on a date. Field names are the form's; errors are keyed by them.
 */
export const RepeatForm = z
  .object({
    interval: z.coerce.number('Enter a number of weeks.').int('Use whole weeks.').min(1, `Every 1 to ${MAX_INTERVAL_WEEKS} weeks.`).max(MAX_INTERVAL_WEEKS, `Every 1 to ${MAX_INTERVAL_WEEKS} weeks.`),
    ends: z.enum(['count', 'until'], 'Choose when the series ends.'),
    count: z.string().trim().default(''),
    until: z.string().trim().default(''),
  })
  .superRefine((f, ctx) => {
    if (f.ends === 'count') {
      const n = Number(f.count);
      if (!/^\d+$/.test(f.count) || n < 2 || n > MAX_OCCURRENCES) ctx.addIssue({ code: 'custom', path: ['count'], message: `Enter a number of times from 2 to ${MAX_OCCURRENCES}.` });
    } else if (!calendarDate('Choose the last date.').safeParse(f.until).success) {
      ctx.addIssue({ code: 'custom', path: ['until'], message: 'Choose the last date.' });
    }
  })
  .transform((f): Recurrence => (f.ends === 'count' ? { frequency: 'weekly', interval: f.interval, count: Number(f.count) } : { frequency: 'weekly', interval: f.interval, until: f.until }));

/** Which occurrences a customer or staff member cancels together. */
export const SeriesCancelForm = z.object({
  scope: z.enum(['all', 'following'], 'Choose which occurrences to cancel.'),
});
