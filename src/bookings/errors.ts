import { HttpError } from '../http/errors.ts';
import type { RejectReason } from '../scheduling/index.ts';

export const SLOT_TAKEN_TITLE = 'That time was just taken';

/** 409: someone else holds the time (or the day is full). The page shows fresh times. */
export function slotTaken(detail = `${SLOT_TAKEN_TITLE}. Please pick another time.`): HttpError {
  return new HttpError(409, 'slot_unavailable', SLOT_TAKEN_TITLE, detail);
}

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

/** A refused start: a conflict (409) when taken or full, otherwise not a slot at all (422). */
export function slotRefused(reason: RejectReason): HttpError {
  if (reason === 'busy') return slotTaken();
  if (reason === 'max_per_day') return slotTaken(`${MESSAGES.max_per_day} Please pick another day.`);
  return new HttpError(422, 'not_a_slot', 'Not an available time', MESSAGES[reason], { errors: { start: MESSAGES[reason] } });
}
