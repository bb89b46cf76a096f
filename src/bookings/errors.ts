import { DomainError } from '../errors.ts';
import type { RejectReason } from '../scheduling/index.ts';
import type { Booking } from './model.ts';

/**
 * Why the booking service refuses a change. Each is a DomainError, mapped
 * to HTTP in one place (src/http/errors.ts): pages catch them by class to
 * re-render with fresh times, never by status number.
 */
export const SLOT_TAKEN_TITLE = 'That time was just taken';

const MESSAGES: Record<RejectReason, string> = {
  unknown_resource: 'Choose one of the offered options.',
  past: 'That time has already passed.',
  min_notice: 'That time is too soon to book online.',
  beyond_horizon: 'That date is too far ahead to book yet.',
  closed: 'We are closed at that time.',
  off_grid: 'That is not one of the offered times.',
  max_per_day: 'That day is fully booked.',
  busy: `${SLOT_TAKEN_TITLE}.`,
};

export function reasonMessage(reason: RejectReason): string {
  return MESSAGES[reason];
}

/**
 * The engine refused the start: a conflict when someone else holds the time
 * or the day is full (try another), otherwise not one of the offered times.
 */
export class SlotRefused extends DomainError {
  readonly reason: RejectReason;

  constructor(reason: RejectReason) {
    if (reason === 'busy') super('conflict', 'slot_unavailable', SLOT_TAKEN_TITLE, `${SLOT_TAKEN_TITLE}. Please pick another time.`);
    else if (reason === 'max_per_day') super('conflict', 'slot_unavailable', SLOT_TAKEN_TITLE, `${MESSAGES.max_per_day} Please pick another day.`);
    else super('invalid', 'not_a_slot', 'Not an available time', MESSAGES[reason], 'start');
    this.reason = reason;
  }
}

/** The service, or the option asked for, is not offered (gone, inactive, nobody offers it). */
export class NotOffered extends DomainError {
  /** Whether it is the option (resource) that is not offered, the service being fine. */
  readonly option: boolean;

  constructor(detail: string, option: boolean) {
    super('not_found', 'not_found', 'Not found', detail);
    this.option = option;
  }
}

export class BookingNotFound extends DomainError {
  constructor() {
    super('not_found', 'not_found', 'Not found', 'That booking does not exist.');
  }
}

/** The booking is cancelled, completed or a no-show: nothing more to change. */
export class BookingNotActive extends DomainError {
  constructor(b: Pick<Booking, 'status'>) {
    super('conflict', 'booking_not_active', 'Booking not active', `This booking is ${b.status.replace('_', ' ')} and cannot be changed.`);
  }
}

export class NotStarted extends DomainError {
  constructor() {
    super('conflict', 'not_started', 'Not started yet', 'A booking can be marked completed or no-show once it has started.');
  }
}

/** The customer already has as many bookings that day as the business takes online from one person. */
export class CustomerDayFull extends DomainError {
  constructor(cap: number) {
    super('conflict', 'customer_day_full', 'Daily limit reached',
      `You already have ${cap === 1 ? 'a booking' : `${cap} bookings`} on that day, as many as can be made online. Please pick another day, or contact the business.`);
  }
}

/** Approve or decline a booking that is not (or no longer) a request awaiting an answer. */
export class NotPending extends DomainError {
  constructor(b: Pick<Booking, 'status' | 'cancelReason'>) {
    const now = b.status === 'confirmed' ? 'already confirmed' : b.status === 'cancelled' ? `cancelled${b.cancelReason ? ` (${b.cancelReason})` : ''}` : b.status.replace('_', ' ');
    super('conflict', 'booking_not_pending', 'Not awaiting approval', `This booking is ${now}: there is no request to answer.`);
  }
}

/** A request whose hold has run out cannot be approved any more (its expiry declines it). */
export class RequestExpired extends DomainError {
  constructor() {
    super('conflict', 'request_expired', 'Request expired', 'This request waited longer than the service allows and can no longer be approved. The customer has been (or is about to be) told.');
  }
}

/** A waitlist offer claimed too late: its hold ran out (the time went to the next customer), or it was claimed already. */
export class OfferGone extends DomainError {
  constructor(claimed: boolean) {
    super('conflict', 'offer_gone', claimed ? 'Already booked' : 'Offer expired',
      claimed ? 'You have already claimed this time: it is booked for you.' : 'This offer has expired and the time was offered to the next person on the waitlist. You can join the waitlist again.');
  }
}
