import { z } from 'zod';
import { Email } from '../tenancy/commands.ts';
import { instantText } from '../http/params.ts';
import { multiLine, singleLine } from '../http/text.ts';
import { isValidTimeZone } from '../scheduling/index.ts';

export const CustomerTimeZone = z.string().trim().refine(isValidTimeZone, 'Choose a time zone from the list.');

/** An instant with an explicit offset or Z, e.g. 2026-03-09T14:00:00-04:00. */
export const Instant = instantText('Choose one of the offered times.');

const uuid = z.uuid('Choose one of the offered options.');

/** What a customer (or staff on their behalf) types about themselves. */
export const CustomerName = singleLine({ max: 200, required: 'Enter your name.' });
export const CustomerPhone = singleLine({ max: 40 })
  .refine((s) => s === '' || /^\+?[0-9 ()./-]{5,}$/.test(s), 'Enter a phone number with digits, like +1 555 010 9999.')
  .transform((s) => (s === '' ? null : s));
export const BookingNotes = multiLine({ max: 2000 }).transform((s) => (s === '' ? null : s));

export const CreateBooking = z.object({
  serviceId: uuid,
  /** null: "any available". */
  resourceId: uuid.nullable(),
  start: Instant,
  customer: z.object({
    name: CustomerName,
    email: Email,
    phone: CustomerPhone,
    timeZone: CustomerTimeZone,
  }),
  notes: BookingNotes,
});
export type CreateBooking = z.infer<typeof CreateBooking>;

/** A customer's reason for cancelling through their link; optional, one line. */
export const CustomerCancel = z.object({ reason: singleLine({ max: 500 }).default('') });
