import { randomUUID } from 'node:crypto';
import { google, type calendar_v3 } from 'googleapis';
import type { Config } from '../config.ts';
import { rootOrigin } from '../config.ts';
import { isValidISODate, wallTimeToInstant } from '../scheduling/index.ts';
import { CHANNEL_TTL_MS, newChannelSecret } from './channels.ts';
import { GrantError, ProviderError, type CalendarInfo, type Channel, type EventChange, type Listing, type OutgoingEvent, type ProviderClient } from './provider.ts';
import type { CalendarRow } from './queries.ts';

/**
 * Google Calendar through `googleapis` (REFERENCE "Google Calendar"): the
 * OAuth2 client and the Calendar v3 client, every endpoint overridable
 * (GOOGLE_AUTH_URL, GOOGLE_TOKEN_URL, GOOGLE_REVOKE_URL, GOOGLE_API_ROOT) for
 * proxies and the tests' fake. The one place that knows Google's shapes.
 */
export const GOOGLE_SCOPES = ['https://www.googleapis.com/auth/calendar'];
export const GOOGLE_CALLBACK_PATH = '/oauth/google/callback';
export const GOOGLE_PUSH_PATH = '/calendar-push/google';
export const BOOKING_PROPERTY = 'slotwiseBooking';
/** A full read starts a day back; busy time further ahead than two years cannot matter to any horizon. */
export const FULL_SYNC_LOOKBACK_MS = 24 * 3600_000;
export const IMPORT_HORIZON_MS = 2 * 366 * 24 * 3600_000;

type GoogleConfig = NonNullable<Config['google']>;
type GEvent = calendar_v3.Schema$Event;

function googleConfig(config: Config): GoogleConfig {
  if (!config.google) throw new Error('Google Calendar is not configured');
  return config.google;
}

export const googleRedirectUri = (config: Config) => `${rootOrigin(config)}${GOOGLE_CALLBACK_PATH}`;

function oauthClient(config: Config) {
  const g = googleConfig(config);
  return new google.auth.OAuth2({
    clientId: g.clientId,
    clientSecret: g.clientSecret,
    redirectUri: googleRedirectUri(config),
    endpoints: {
      ...(g.tokenUrl ? { oauth2TokenUrl: g.tokenUrl } : {}),
      ...(g.authUrl ? { oauth2AuthBaseUrl: g.authUrl } : {}),
      ...(g.revokeUrl ? { oauth2RevokeUrl: g.revokeUrl } : {}),
    },
  });
}

/** Where the browser goes to grant access: offline (a refresh token), consent asked again so one always comes back. */
export function googleAuthUrl(config: Config, state: string): string {
  return oauthClient(config).generateAuthUrl({ access_type: 'offline', prompt: 'consent', scope: GOOGLE_SCOPES, state, include_granted_scopes: true });
}

/** The refresh token of the first code exchange (the grant we keep) and the primary calendar's id (the account). */
export async function exchangeGoogleCode(config: Config, code: string): Promise<{ grant: string; account: string }> {
  const { tokens } = await call(() => oauthClient(config).getToken(code));
  if (!tokens.refresh_token) throw new GrantError('Google returned no offline access; connect again and allow access.');
  const calendars = await googleClient(config, '', '', tokens.refresh_token).calendars();
  return { grant: tokens.refresh_token, account: calendars.find((c) => c.primary)?.id ?? '' };
}

interface HttpishError {
  status?: number;
  response?: { status?: number; data?: unknown };
  message?: string;
}

const statusOf = (err: unknown): number | undefined => (err as HttpishError)?.status ?? (err as HttpishError)?.response?.status;

/** A Google call, its failures as GrantError (the grant is gone) or ProviderError (with the status). */
async function call<T>(fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (err) {
    if (err instanceof GrantError || err instanceof ProviderError) throw err;
    const status = statusOf(err);
    const data = (err as HttpishError)?.response?.data as { error?: unknown } | undefined;
    const code = typeof data?.error === 'string' ? data.error : (data?.error as { message?: string } | undefined)?.message;
    const message = [status ? `HTTP ${status}` : null, code ?? (status ? null : String((err as HttpishError)?.message ?? err))].filter(Boolean).join(': ');
    // The library refreshes the access token before a call and retries once on a 401: a 401 that still reaches us means the grant is refused.
    if (code === 'invalid_grant' || code === 'unauthorized_client' || /invalid_grant/.test(String((err as HttpishError)?.message)) || status === 401) {
      throw new GrantError(message || 'invalid_grant');
    }
    throw new ProviderError(message, status);
  }
}

/** The Google side of one connection, acting with its stored refresh token (access tokens are refreshed by the library). */
export function googleClient(config: Config, tenantId: string, connectionId: string, refreshToken: string): ProviderClient {
  const auth = oauthClient(config);
  auth.setCredentials({ refresh_token: refreshToken });
  const g = googleConfig(config);
  const api = google.calendar({ version: 'v3', auth, ...(g.apiRoot ? { rootUrl: g.apiRoot.endsWith('/') ? g.apiRoot : `${g.apiRoot}/` } : {}), retry: false });

  async function listAll(calendarId: string, syncToken: string | null, now: Date) {
    const items: GEvent[] = [];
    let pageToken: string | undefined;
    let nextSyncToken: string | null = null;
    do {
      const { data } = await call(() => api.events.list({
        calendarId,
        singleEvents: true, // recurring events expanded
        showDeleted: true,
        maxResults: 250,
        // A sync token takes no time bounds (REFERENCE "Google Calendar").
        ...(syncToken ? { syncToken } : { timeMin: new Date(now.getTime() - FULL_SYNC_LOOKBACK_MS).toISOString() }),
        ...(pageToken ? { pageToken } : {}),
      }));
      items.push(...(data.items ?? []));
      pageToken = data.nextPageToken ?? undefined;
      nextSyncToken = data.nextSyncToken ?? nextSyncToken;
    } while (pageToken);
    return { items, nextSyncToken };
  }

  return {
    async calendars(): Promise<CalendarInfo[]> {
      const out: CalendarInfo[] = [];
      let pageToken: string | undefined;
      do {
        const { data } = await call(() => api.calendarList.list({ minAccessRole: 'writer', maxResults: 250, ...(pageToken ? { pageToken } : {}) }));
        for (const c of data.items ?? []) {
          if (c.id) out.push({ id: c.id, name: c.summaryOverride ?? c.summary ?? c.id, timeZone: c.timeZone ?? 'UTC', primary: !!c.primary });
        }
        pageToken = data.nextPageToken ?? undefined;
      } while (pageToken);
      return out;
    },

    async list(calendar: CalendarRow, now: Date): Promise<Listing> {
      let full = !calendar.sync_token;
      let listed;
      try {
        listed = await listAll(calendar.calendar_id, calendar.sync_token, now);
      } catch (err) {
        // 410: the token is no longer valid; read everything again.
        if (!(err instanceof ProviderError) || err.status !== 410 || full) throw err;
        full = true;
        listed = await listAll(calendar.calendar_id, null, now);
      }
      return { full, syncToken: listed.nextSyncToken, changes: listed.items.filter((e) => e.id).map((e) => judge(e, calendar.time_zone, now)) };
    },

    async watch(calendar: CalendarRow, now: Date): Promise<Channel> {
      const id = randomUUID();
      const token = newChannelSecret(config, tenantId, connectionId);
      const { data } = await call(() => api.events.watch({
        calendarId: calendar.calendar_id,
        requestBody: { id, type: 'web_hook', address: `${rootOrigin(config)}${GOOGLE_PUSH_PATH}`, token, expiration: String(now.getTime() + CHANNEL_TTL_MS) },
      }));
      // Google never renews a channel: the old one is stopped once the new one exists.
      if (calendar.channel_id && calendar.channel_resource_id) {
        await call(() => api.channels.stop({ requestBody: { id: calendar.channel_id!, resourceId: calendar.channel_resource_id! } })).catch(() => undefined);
      }
      return { channel_id: id, channel_token: token, channel_resource_id: data.resourceId ?? null, channel_expires_at: new Date(data.expiration ? Number(data.expiration) : now.getTime() + CHANNEL_TTL_MS) };
    },

    async writeEvent(calendarId: string, eventId: string | null, e: OutgoingEvent): Promise<string> {
      const body: GEvent = {
        summary: e.summary,
        description: e.description,
        start: { dateTime: e.start.toISOString(), timeZone: e.timeZone },
        end: { dateTime: e.end.toISOString(), timeZone: e.timeZone },
        transparency: 'opaque',
        attendees: e.attendee ? [{ email: e.attendee.email, displayName: e.attendee.name }] : [],
        // Marks it ours, so it is never imported back as busy (filtered client-side: syncToken cannot take a property filter).
        extendedProperties: { private: { [BOOKING_PROPERTY]: e.bookingId } },
        source: { title: 'Slotwise', url: e.url },
      };
      if (eventId) {
        const patched = await call(() => api.events.patch({ calendarId, eventId, requestBody: body, sendUpdates: 'none' })).catch(goneAsUndefined);
        if (patched) return eventId;
      }
      const id = eventIdFor(e.bookingId);
      try {
        await call(() => api.events.insert({ calendarId, requestBody: { ...body, id }, sendUpdates: 'none' }));
      } catch (err) {
        // Already there (an earlier attempt got through, or Google keeps the id of a deleted one): update it.
        if (!(err instanceof ProviderError) || err.status !== 409) throw err;
        await call(() => api.events.patch({ calendarId, eventId: id, requestBody: { ...body, status: 'confirmed' }, sendUpdates: 'none' }));
      }
      return id;
    },

    async deleteEvent(calendarId: string, eventId: string): Promise<void> {
      await call(() => api.events.delete({ calendarId, eventId, sendUpdates: 'none' })).catch(goneAsUndefined);
    },

    async revoke(): Promise<void> {
      await call(() => auth.revokeToken(refreshToken));
    },

    changedGrant: () => null,
  };
}

function goneAsUndefined(err: unknown): undefined {
  if (err instanceof ProviderError && (err.status === 404 || err.status === 410)) return undefined;
  throw err;
}

/**
 * Google event ids are 5–1024 characters of base32hex (0-9, a-v): a
 * booking's uuid in hex is one already, so the id is derived from the
 * booking, and a retried insert cannot create a second event.
 */
export const eventIdFor = (bookingId: string) => bookingId.replace(/-/g, '').toLowerCase();

/**
 * An event as sync sees it. Busy unless cancelled, free (transparent),
 * declined by the calendar's owner, over, or beyond any horizon; all-day
 * dates are whole days in the event's (else the calendar's) zone.
 */
export function judge(event: GEvent, calendarZone: string, now: Date): EventChange {
  const start = instantOf(event.start, calendarZone);
  const end = instantOf(event.end, calendarZone);
  const removed = event.status === 'cancelled';
  const blocks = !removed && event.transparency !== 'transparent' && !event.attendees?.some((a) => a.self && a.responseStatus === 'declined')
    && start !== null && end !== null && end > start && end > now.getTime() - FULL_SYNC_LOOKBACK_MS && start <= now.getTime() + IMPORT_HORIZON_MS;
  return {
    id: event.id!,
    ownBooking: event.extendedProperties?.private?.[BOOKING_PROPERTY] ?? null,
    removed,
    busy: blocks ? { start: new Date(start!), end: new Date(end!) } : null,
    start,
    end,
    label: event.summary ?? '',
  };
}

function instantOf(t: calendar_v3.Schema$EventDateTime | undefined, calendarZone: string): number | null {
  if (!t) return null;
  if (t.dateTime) {
    const ms = Date.parse(t.dateTime);
    return Number.isFinite(ms) ? ms : null;
  }
  if (t.date && isValidISODate(t.date)) return wallTimeToInstant(t.date, '00:00', t.timeZone ?? calendarZone);
  return null;
}
