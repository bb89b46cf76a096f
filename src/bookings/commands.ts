import { z } from 'zod';
import { Email } from '../tenancy/commands.ts';
import { isValidTimeZone } from '../scheduling/index.ts';

export const CustomerTimeZone = z.string().trim().refine(isValidTimeZone, 'Choose a time zone from the list.');

/** An instant with an explicit offset or Z, e.g. 2026-03-09T14:00:00-04:00. */
export const Instant = z
  .string()
  .trim()
  .regex(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d{1,3})?)?(Z|[+-]\d{2}:\d{2})$/, 'Choose one of the offered times.')
  .transform((s) => Date.parse(s))
  .refine((ms) => Number.isFinite(ms), 'Choose one of the offered times.');

const uuid = z.uuid('Choose one of the offered options.');

export const CreateBooking = z.object({
  serviceId: uuid,
  /** null: "any available". */
  resourceId: uuid.nullable(),
  start: Instant,
  customer: z.object({
    name: z.string().trim().min(1, 'Enter your name.').max(200, 'Use at most 200 characters.'),
    email: Email,
    phone: z
      .string()
      .trim()
      .max(40, 'Use at most 40 characters.')
      .refine((s) => s === '' || /^\+?[0-9 ()./-]{5,}$/.test(s), 'Enter a phone number with digits, like +1 555 010 9999.')
      .transform((s) => (s === '' ? null : s)),
    timeZone: CustomerTimeZone,
  }),
  notes: z
    .string()
    .trim()
    .max(2000, 'Use at most 2000 characters.')
    .transform((s) => (s === '' ? null : s)),
});
export type CreateBooking = z.infer<typeof CreateBooking>;
