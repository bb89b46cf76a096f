/**
 * A refusal by the domain: the request was understood and the answer is no,
 * for a reason the user can act on. Domain code throws these and knows
 * nothing of HTTP; src/http/errors.ts maps each kind to a status, an HTML
 * page or a problem+json, in one place.
 *
 * - not_found: what was named does not exist (or is not offered).
 * - conflict: the state of things refuses it now (taken, no longer active).
 * - invalid: the request itself can never succeed as asked (not a slot).
 */
export type RefusalKind = 'not_found' | 'conflict' | 'invalid';

export class DomainError extends Error {
  readonly kind: RefusalKind;
  /** A stable slug for the API's problem type. */
  readonly type: string;
  /** A short user-safe title; the message is the detail. */
  readonly title: string;
  /** The input field the refusal is about, for forms and the API's `errors`. */
  readonly field: string | undefined;

  constructor(kind: RefusalKind, type: string, title: string, detail: string, field?: string) {
    super(detail);
    this.kind = kind;
    this.type = type;
    this.title = title;
    this.field = field;
  }
}
