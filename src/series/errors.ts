import { DomainError } from '../errors.ts';
import { reasonMessage } from '../bookings/errors.ts';
import type { RejectReason } from '../scheduling/index.ts';

/**
 * Why an occurrence of a series cannot be booked: the engine's reasons,
 * and two of the series' own: the wall time does not exist that day (a
 * spring-forward gap), or the customer has as many bookings that day as
 * the business takes online from one person.
 */
export type OccurrenceReason = RejectReason | 'nonexistent_local_time' | 'customer_day_full';

export function occurrenceMessage(reason: OccurrenceReason): string {
  if (reason === 'nonexistent_local_time') return 'That time does not exist that day (the clocks skip it).';
  if (reason === 'customer_day_full') return 'You already have as many bookings that day as can be made online.';
  return reasonMessage(reason);
}

/** The service is not offered as a series. */
export class SeriesNotAllowed extends DomainError {
  constructor() {
    super('invalid', 'series_not_allowed', 'Not bookable as a series', 'This service cannot be booked as a recurring series.', 'service_id');
  }
}

/**
 * The service is paid online when booking: a series would need one
 * checkout for many occurrences, which is not offered. Staff booking for a
 * customer (paid at the venue) may book it.
 */
export class SeriesNotPayable extends DomainError {
  constructor() {
    super('invalid', 'series_not_payable', 'Not bookable as a series online',
      'This service is paid online when booking, so it cannot be booked as a series online. Book each time on its own, or ask the business.', 'service_id');
  }
}

/** The service's bookings are requests the business approves one by one, and classes are booked by the seat: neither comes as a series. */
export class SeriesNotForService extends DomainError {
  constructor(why: 'approval' | 'class') {
    super('invalid', 'series_not_offered', 'Not bookable as a series',
      why === 'approval'
        ? 'This service takes requests the business approves one by one, so it cannot be booked as a series. Send a request for each time.'
        : 'This service is a class booked by the seat, so it cannot be booked as a series. Book each class on its own.', 'service_id');
  }
}

/** A series names one resource: its occurrences are judged under that resource's lock. */
export class SeriesNeedsResource extends DomainError {
  constructor() {
    super('invalid', 'series_needs_resource', 'Choose who', 'A recurring series is booked with one person or resource: choose one.', 'resource_id');
  }
}

/** The rule cannot make a series (no end, too many, an end before the start). */
export class InvalidRecurrence extends DomainError {
  constructor(field: string, detail: string) {
    super('invalid', 'invalid_recurrence', 'Invalid recurrence', detail, field);
  }
}

export interface Refusal {
  /** ISO instant with the resource's offset, or the local date and time when that time does not exist. */
  start: string;
  reason: OccurrenceReason;
}

/**
 * Some occurrences cannot be booked and the caller asked for all or
 * nothing (or none at all can be): nothing was written. `errors` names
 * each one by its start, with why.
 */
export class SeriesConflict extends DomainError {
  readonly conflicts: Refusal[];
  readonly errors: Record<string, string>;

  constructor(conflicts: Refusal[], all: boolean) {
    const list = conflicts.map((c) => `${c.start} (${occurrenceMessage(c.reason)})`).join('; ');
    super('conflict', 'series_conflict', all ? 'No time of the series is free' : 'Some times of the series are not free',
      `${all ? 'None of the occurrences can be booked' : `${conflicts.length === 1 ? 'One occurrence' : `${conflicts.length} occurrences`} cannot be booked, so nothing was booked`}: ${list}.`);
    this.conflicts = conflicts;
    this.errors = Object.fromEntries(conflicts.map((c) => [c.start, occurrenceMessage(c.reason)]));
  }
}

export class SeriesNotFound extends DomainError {
  constructor() {
    super('not_found', 'not_found', 'Not found', 'That series does not exist.');
  }
}

/** "This and the following" names a booking that is not an occurrence of the series. */
export class NotAnOccurrence extends DomainError {
  constructor() {
    super('invalid', 'not_an_occurrence', 'Not an occurrence', 'That booking is not an occurrence of this series.', 'from_booking_id');
  }
}

/** Nothing of the series is left to cancel: every occurrence asked for has started, ended or is cancelled. */
export class NothingToCancel extends DomainError {
  constructor() {
    super('conflict', 'booking_not_active', 'Nothing to cancel', 'No occurrence of this series is left to cancel.');
  }
}
