import { z } from 'zod';
import { passwordProblem } from '../auth/passwords.ts';
import { multiLine, singleLine } from '../http/text.ts';
import { isValidTimeZoneName } from './timezones.ts';

/** Subdomains that belong to Slotwise itself or would confuse customers. */
export const RESERVED_SLUGS = new Set([
  'www', 'api', 'admin', 'app', 'apps', 'mail', 'email', 'smtp', 'imap', 'static', 'assets', 'cdn', 'media', 'img',
  'images', 'files', 'docs', 'help', 'support', 'status', 'blog', 'dev', 'staging', 'test', 'demo-admin', 'dashboard',
  'login', 'signup', 'auth', 'oauth', 'sso', 'billing', 'pay', 'payments', 'stripe', 'webhooks', 'hooks', 'ftp', 'ns1',
  'ns2', 'mx', 'root', 'system', 'slotwise', 'internal', 'public', 'secure', 'account', 'accounts', 'calendar',
]);

export const Email = z
  .string()
  .trim()
  .toLowerCase()
  .max(254, 'Use at most 254 characters.')
  .pipe(z.email('Enter an email address like name@example.com.'));

export const TimeZoneName = z
  .string()
  .trim()
  .refine(isValidTimeZoneName, 'Choose a time zone from the list.');

export const Slug = z
  .string()
  .trim()
  .toLowerCase()
  .min(3, 'Use at least 3 characters.')
  .max(40, 'Use at most 40 characters.')
  .regex(/^[a-z0-9-]+$/, 'Use only lowercase letters, digits and hyphens.')
  .regex(/^[a-z0-9].*[a-z0-9]$/, 'Start and end with a letter or digit.')
  .refine((s) => !RESERVED_SLUGS.has(s), 'This subdomain is reserved. Choose another.');

export const BusinessName = singleLine({ max: 100, required: 'Enter your business name.' });

export const SignUp = z
  .object({
    businessName: BusinessName,
    slug: Slug,
    email: Email,
    password: z.string(),
    timeZone: TimeZoneName,
  })
  .superRefine((v, ctx) => {
    const problem = passwordProblem(v.password, [v.email.split('@')[0] ?? '', v.slug, v.businessName]);
    if (problem) ctx.addIssue({ code: 'custom', path: ['password'], message: problem });
  });
export type SignUp = z.infer<typeof SignUp>;

export const Branding = z.object({
  name: BusinessName,
  logoUrl: singleLine({ max: 500 })
    .transform((s) => (s === '' ? null : s))
    .refine((s) => s === null || /^https?:\/\/[^\s"'<>]+$/.test(s), 'Enter a full http(s):// address, or leave it empty.'),
  accentColor: z
    .string()
    .trim()
    .toLowerCase()
    .regex(/^#[0-9a-f]{6}$/, 'Use a colour like #2563eb.'),
  timeZone: TimeZoneName,
});
export type Branding = z.infer<typeof Branding>;

/** The booking page's currency and the text shown above its services. */
export const BookingPageForm = z.object({
  currency: z.string({ error: 'Use a 3-letter code like USD.' }).trim().toUpperCase().regex(/^[A-Z]{3}$/, 'Use a 3-letter code like USD.'),
  bookingIntro: multiLine({ max: 1000 }).default(''),
});

const checkbox = z.preprocess((v) => v === 'on' || v === 'true' || v === true, z.boolean());

/** Reminder times are typed as hours ("24, 1", "0.5") and stored as minutes. */
export const NotificationSettingsForm = z.object({
  reminderHours: z
    .string()
    .trim()
    .transform((s, ctx) => {
      const parts = s === '' ? [] : s.split(/[,\s]+/).filter(Boolean);
      const minutes = parts.map((p) => Math.round(Number(p) * 60));
      if (parts.length > 5 || minutes.some((m) => !Number.isFinite(m) || m < 1 || m > 43200)) {
        ctx.addIssue({ code: 'custom', message: 'List up to 5 numbers of hours between 0.1 and 720, e.g. "24, 1".' });
        return z.NEVER;
      }
      return [...new Set(minutes)].sort((a, b) => b - a);
    }),
  notificationEmail: z
    .string()
    .trim()
    .toLowerCase()
    .transform((s) => (s === '' ? null : s))
    .refine((s) => s === null || z.email().safeParse(s).success, 'Enter an email address, or leave it empty.'),
  cutoffHours: z.coerce.number({ error: 'Enter a number of hours.' }).min(0, 'Use 0 or more hours.').max(720, 'Use at most 720 hours.').transform((h) => Math.round(h * 60)),
  customersMayCancel: checkbox,
  customersMayReschedule: checkbox,
});
