import { z } from 'zod';
import { multiLine, singleLine } from '../http/text.ts';

/**
 * How customers reach the business: a phone, an email address and a postal
 * address, each optional. Wherever a customer is told to "contact the
 * business", these say how (the public footer, the confirmation and manage
 * pages, customer mail).
 */
export interface BusinessContact {
  phone: string | null;
  email: string | null;
  /** May span lines (street, town); shown as typed. */
  address: string | null;
}

const emptyToNull = (s: string) => (s === '' ? null : s);

export const ContactForm = z.object({
  // Digits and the usual separators only: it is printed as a tel: link.
  contactPhone: singleLine({ max: 40 })
    .refine((s) => s === '' || /^\+?[0-9][0-9 ().\-/]{3,38}[0-9)]$/.test(s), 'Enter a phone number like +1 212 555 0100, or leave it empty.')
    .transform(emptyToNull),
  contactEmail: singleLine({ max: 254 })
    .toLowerCase()
    .refine((s) => s === '' || z.email().safeParse(s).success, 'Enter an email address like hello@example.com, or leave it empty.')
    .transform(emptyToNull),
  contactAddress: multiLine({ max: 300 }).transform(emptyToNull),
});
export type ContactForm = z.infer<typeof ContactForm>;

/** The ways to reach the business, one per line, for plain text ("Phone: …"). */
export function contactLines(c: BusinessContact): string[] {
  return [
    ...(c.phone ? [`Phone: ${c.phone}`] : []),
    ...(c.email ? [`Email: ${c.email}`] : []),
    ...(c.address ? [`Address: ${c.address.replace(/\n+/g, ', ')}`] : []),
  ];
}

/** "call 212 555 0100 or write to hello@example.com": how a sentence tells a customer to get in touch. */
export function howToReach(name: string, c: BusinessContact): string {
  const ways = [...(c.phone ? [`call ${c.phone}`] : []), ...(c.email ? [`write to ${c.email}`] : [])];
  if (ways.length) return `Please ${ways.join(' or ')} to reach ${name}.`;
  if (c.address) return `Please contact ${name} at ${c.address.replace(/\n+/g, ', ')}.`;
  return `Please contact ${name} directly.`;
}
