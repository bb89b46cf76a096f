import type { CalendarRow } from './queries.ts';

/**
 * What sync needs of a calendar provider, so the pull (./sync.ts) and the
 * booking writes (./push.ts) are written once for Google and Microsoft.
 * Each client is built for one connection from its decrypted grant.
 */
export interface CalendarInfo {
  id: string;
  name: string;
  timeZone: string;
  primary: boolean;
}

/** One event as a listing reports it, already judged. */
export interface EventChange {
  id: string;
  /** The booking it mirrors when it is one of ours (never busy time). */
  ownBooking: string | null;
  /** Deleted or cancelled. */
  removed: boolean;
  /** The time it makes busy, or null (free, declined, removed, out of range). */
  busy: { start: Date; end: Date } | null;
  /** Its own start and end, for our events moved by the provider. */
  start: number | null;
  end: number | null;
  label: string;
}

export interface Listing {
  /** A full read: every block of the calendar is replaced by these. */
  full: boolean;
  changes: EventChange[];
  /** Where the next incremental listing starts (sync token, delta link). */
  syncToken: string | null;
}

export interface Channel {
  channel_id: string;
  channel_token: string;
  channel_resource_id: string | null;
  channel_expires_at: Date;
}

export interface OutgoingEvent {
  bookingId: string;
  summary: string;
  description: string;
  start: Date;
  end: Date;
  timeZone: string;
  attendee: { email: string; name: string } | null;
  url: string;
}

export interface ProviderClient {
  calendars(): Promise<CalendarInfo[]>;
  /** Changes since the calendar's sync token; a full read when it has none or the provider has expired it. */
  list(calendar: CalendarRow, now: Date): Promise<Listing>;
  /** A fresh push channel for the calendar (the old one, if any, is replaced or renewed). */
  watch(calendar: CalendarRow, now: Date): Promise<Channel>;
  /** Write the booking's event (insert idempotently, or update `eventId`); its id. */
  writeEvent(calendarId: string, eventId: string | null, e: OutgoingEvent): Promise<string>;
  /** Remove an event; one already gone is fine. */
  deleteEvent(calendarId: string, eventId: string): Promise<void>;
  /** Revoke the grant at the provider, where it offers that. */
  revoke(): Promise<void>;
  /** The grant to store again when using it changed it (msal's token cache), else null. */
  changedGrant(): string | null;
}

/** The grant no longer works (revoked, expired, `invalid_grant`, 401 after a refresh): the user must reconnect. */
export class GrantError extends Error {}

/** A failure of a provider call, with the HTTP status when there was one. */
export class ProviderError extends Error {
  readonly status: number | undefined;
  constructor(message: string, status?: number) {
    super(message);
    this.status = status;
  }
}

/** A short, token-free description of a failure for the sync panel. */
export function describeError(err: unknown): string {
  if (err instanceof GrantError || err instanceof ProviderError) return err.message.slice(0, 300);
  return String((err as Error)?.message ?? err).slice(0, 300);
}

export const CHANNEL_RENEW_BEFORE_MS = 24 * 3600_000;
