import { z } from 'zod';

/**
 * Free text that people type: every form and API schema takes its text
 * fields through one of these two types, so that what is stored is text and
 * nothing else.
 *
 * Why it matters: PostgreSQL refuses a NUL in a text value (a 500 if it got
 * that far), and a line break in a name travels into places that are lines
 * by definition: an email subject, an .ics property, a CSV row, a log line.
 * Control characters (C0, DEL, C1) have no business in any of them.
 *
 * - `singleLine`: a name, a label, a reason. No control characters at all,
 *   line breaks and tabs included.
 * - `multiLine`: a description, notes, an intro. Line breaks and tabs are
 *   allowed (CRLF and CR become LF); no other control characters.
 *
 * Both trim, then cap the length per field. The messages are sentences that
 * a form shows beside the field and the API returns under the field's name.
 */

/** C0 controls, DEL and C1 controls, and the Unicode line and paragraph separators. */
const ANY_CONTROL = /[\u0000-\u001f\u007f-\u009f\u2028\u2029]/;
/** The same, minus tab and line feed (what a multi-line field may hold once CRs are normalised). */
const CONTROL_BUT_TAB_LF = /[\u0000-\u0008\u000b-\u001f\u007f-\u009f\u2028\u2029]/;

export const hasControlCharacters = (s: string) => ANY_CONTROL.test(s);

export const SINGLE_LINE_MESSAGE = 'Use plain text on one line: no line breaks or control characters.';
export const MULTI_LINE_MESSAGE = 'Use plain text: no control characters.';

interface TextOptions {
  max: number;
  /** The message when it is empty or missing; leave out for an optional field (empty is fine). */
  required?: string;
}

const notText = (required?: string) => (issue: { input?: unknown }) => (issue.input === undefined && required ? required : 'Enter text.');

export function singleLine(opts: TextOptions) {
  const s = z
    .string({ error: notText(opts.required) })
    .trim()
    .refine((v) => !ANY_CONTROL.test(v), { message: SINGLE_LINE_MESSAGE, abort: true })
    .max(opts.max, `Use at most ${opts.max} characters.`);
  return opts.required ? s.min(1, opts.required) : s;
}

export function multiLine(opts: TextOptions) {
  const s = z
    .string({ error: notText(opts.required) })
    .overwrite((v) => v.replace(/\r\n?/g, '\n'))
    .trim()
    .refine((v) => !CONTROL_BUT_TAB_LF.test(v), { message: MULTI_LINE_MESSAGE, abort: true })
    .max(opts.max, `Use at most ${opts.max} characters.`);
  return opts.required ? s.min(1, opts.required) : s;
}

/**
 * Text for a place that is one line by definition (an email subject or
 * header): every run of line breaks and control characters becomes one
 * space, so nothing typed can start a new header. Stored text is already
 * clean; this holds for text from anywhere else too (configuration, older
 * rows).
 */
export function oneLine(text: string, max = 250): string {
  const flat = text.replace(/[\u0000-\u001f\u007f-\u009f\u2028\u2029]+/g, ' ').replace(/ {2,}/g, ' ').trim();
  return flat.length > max ? `${flat.slice(0, max - 1).trimEnd()}…` : flat;
}
