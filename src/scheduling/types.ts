/**
 * Input and output shapes of the slot engine. Instants are epoch milliseconds;
 * every Interval is half-open [start, end).
 */

/** 'HH:MM' wall-clock time, 00:00..24:00 ('24:00' only as a window end). */
export type HHMM = string;
/** 'YYYY-MM-DD' calendar date, interpreted in the resource's time zone. */
export type ISODate = string;
/** ISO weekday: Monday = 1 … Sunday = 7. */
export type Weekday = 1 | 2 | 3 | 4 | 5 | 6 | 7;

/** A wall-clock window within one local day; start < end. */
export interface WallWindow {
  start: HHMM;
  end: HHMM;
}

export interface WeeklyWindow extends WallWindow {
  weekday: Weekday;
}

/** Replaces the weekly windows of `date`; an empty list closes that date. */
export interface DateOverride {
  date: ISODate;
  windows: WallWindow[];
}

/** Inclusive range of local dates (holiday / closure). */
export interface DateRange {
  start: ISODate;
  end: ISODate;
}

/** Epoch milliseconds, half-open [start, end). */
export interface Interval {
  start: number;
  end: number;
}

export interface ExistingBooking {
  /** The booked appointment's start instant (used for maxPerDay). */
  start: number;
  /** What the booking blocks, its own buffers included. */
  blocked: Interval;
}

export interface ResourceSchedule {
  resourceId: string;
  /** IANA time zone name. */
  timeZone: string;
  weekly: WeeklyWindow[];
  overrides: DateOverride[];
  /** Active bookings of this resource. */
  bookings: ExistingBooking[];
  /** External busy blocks (calendar sync, admin blocks). */
  busy: Interval[];
}

/** All durations are whole real (elapsed) minutes. */
export interface ServiceRules {
  durationMin: number;
  /** Slot grid step from each window start. */
  intervalMin: number;
  bufferBeforeMin: number;
  bufferAfterMin: number;
  minNoticeMin: number;
  /** Last bookable local date = local date of `now` + horizonDays. */
  horizonDays: number;
  /** Per resource and local date; null = unlimited. */
  maxPerDay: number | null;
}

export interface SlotQuery {
  service: ServiceRules;
  /** Order matters for the any-resource merge. */
  resources: ResourceSchedule[];
  holidays: DateRange[];
  /** Only slots with range.start <= start < range.end are returned. */
  range: Interval;
  now: number;
}

export interface Slot {
  start: number;
  end: number;
  resourceId: string;
}

/** One bookable instant for "any resource", resourceIds in preference order. */
export interface AnyResourceSlot {
  start: number;
  end: number;
  resourceIds: string[];
}

export type RejectReason =
  | 'unknown_resource'
  | 'past'
  | 'min_notice'
  | 'beyond_horizon'
  | 'closed'
  | 'off_grid'
  | 'max_per_day'
  | 'busy';

export type SlotExplanation = { ok: true } | { ok: false; reason: RejectReason };
