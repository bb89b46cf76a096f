/** Public API of the slot engine. See CONTEXT.md for the rules. */
export type {
  AnyResourceSlot,
  DateOverride,
  DateRange,
  ExistingBooking,
  HHMM,
  Interval,
  ISODate,
  RejectReason,
  ResourceSchedule,
  ServiceRules,
  Slot,
  SlotExplanation,
  SlotQuery,
  WallWindow,
  WeeklyWindow,
  Weekday,
} from './types.ts';
export { computeSlots } from './slots.ts';
export { explainSlot } from './explain.ts';
export { blockedRange } from './rules.ts';
export { mergeIntervals, openIntervals } from './open.ts';
export { mergeAnyResource, computeAnyResourceSlots } from './anyResource.ts';
export { parseHHMM, isValidISODate } from './calendar.ts';
export {
  canonicalTimeZone,
  isValidTimeZone,
  validateServiceRules,
  validateWindows,
  type WindowInput,
} from './validation.ts';
export { dayInstantRange, formatInZone, formatInZoneWithName, localDate, wallTimeToInstant } from './display.ts';
