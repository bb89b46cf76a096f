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

/**
 * Input that breaks a domain rule no schema can check (a slug already
 * taken, a price below its deposit): each field named with why, so a form
 * shows them where they belong and the API lists them in `errors`.
 */
export class InvalidFields extends DomainError {
  readonly errors: Record<string, string>;

  constructor(errors: Record<string, string>, detail = 'Some fields need attention.') {
    super('invalid', 'validation_failed', 'Validation failed', detail);
    this.errors = errors;
  }
}

/** It is still used (a resource or service with bookings): it cannot be deleted, only set inactive. */
export class InUse extends DomainError {
  constructor(detail = 'It has bookings and cannot be deleted. Set it inactive instead.') {
    super('conflict', 'in_use', 'In use', detail);
  }
}
