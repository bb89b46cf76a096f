import http from 'node:http';
import { randomUUID } from 'node:crypto';

/** An event as the fake keeps it: Google's JSON shape, plus the change counter behind sync tokens. */
export interface FakeEvent {
  id: string;
  status?: 'confirmed' | 'cancelled' | 'tentative';
  summary?: string;
  transparency?: 'opaque' | 'transparent';
  start?: { dateTime?: string; date?: string; timeZone?: string };
  end?: { dateTime?: string; date?: string; timeZone?: string };
  attendees?: { email: string; self?: boolean; responseStatus?: string; displayName?: string }[];
  extendedProperties?: { private?: Record<string, string> };
  [key: string]: unknown;
}

interface Stored {
  event: FakeEvent;
  version: number;
}

export interface WatchRequest {
  calendarId: string;
  id: string;
  token: string;
  address: string;
  resourceId: string;
}

/**
 * A small Google on 127.0.0.1 for the real `googleapis` client: the OAuth2
 * token and revoke endpoints, the calendar list, events list with sync
 * tokens (410 once they are expired, 400 when combined with time bounds, as
 * Google does), events.watch and channels.stop, and event insert (409 on a
 * taken id), patch and delete. Every API call needs a live access token, so
 * a revoked grant fails as it would at Google: invalid_grant on refresh.
 */
export class FakeGoogle {
  url = '';
  readonly calendars: { id: string; summary: string; timeZone: string; primary?: boolean }[] = [
    { id: 'pat@example.com', summary: 'Pat', timeZone: 'America/New_York', primary: true },
    { id: 'family@group.calendar.google.com', summary: 'Family', timeZone: 'America/New_York' },
  ];
  readonly events = new Map<string, Map<string, Stored>>();
  readonly watches: WatchRequest[] = [];
  readonly stopped: string[] = [];
  readonly requests: { method: string; path: string }[] = [];
  readonly revokedTokens: string[] = [];
  /** Codes the consent screen would hand out, and the refresh tokens they give. */
  private readonly codes = new Map<string, string>();
  private readonly refreshTokens = new Set<string>();
  private readonly accessTokens = new Set<string>();
  private version = 0;
  /** Sync tokens below this version are expired (410). */
  private oldestToken = 0;
  pageSize = 2;
  private server = http.createServer((req, res) => {
    this.handle(req, res).catch((err) => {
      res.writeHead(500).end(String(err));
    });
  });

  async start(): Promise<this> {
    await new Promise<void>((r) => this.server.listen(0, '127.0.0.1', r));
    this.url = `http://127.0.0.1:${(this.server.address() as { port: number }).port}`;
    return this;
  }

  async stop(): Promise<void> {
    await new Promise<void>((r) => this.server.close(() => r()));
  }

  /** What the consent screen does: a code for a new grant. */
  grantCode(): string {
    const code = `code-${randomUUID()}`;
    this.codes.set(code, `refresh-${randomUUID()}`);
    return code;
  }

  /** The user removes our access in their Google account. */
  revokeAll(): void {
    this.refreshTokens.clear();
    this.accessTokens.clear();
  }

  expireSyncTokens(): void {
    this.oldestToken = this.version + 1;
  }

  private bump(): number {
    return ++this.version;
  }

  private cal(id: string): Map<string, Stored> {
    let m = this.events.get(id);
    if (!m) this.events.set(id, (m = new Map()));
    return m;
  }

  put(calendarId: string, event: FakeEvent): FakeEvent {
    const e = { status: 'confirmed' as const, ...event };
    this.cal(calendarId).set(e.id, { event: e, version: this.bump() });
    return e;
  }

  change(calendarId: string, id: string, patch: Partial<FakeEvent>): void {
    const s = this.cal(calendarId).get(id);
    if (!s) throw new Error(`no event ${id}`);
    this.cal(calendarId).set(id, { event: { ...s.event, ...patch }, version: this.bump() });
  }

  remove(calendarId: string, id: string): void {
    this.change(calendarId, id, { status: 'cancelled' });
  }

  live(calendarId: string): FakeEvent[] {
    return [...this.cal(calendarId).values()].map((s) => s.event).filter((e) => e.status !== 'cancelled');
  }

  private async handle(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', this.url);
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    const raw = Buffer.concat(chunks).toString('utf8');
    this.requests.push({ method: req.method ?? '', path: url.pathname });
    const json = (status: number, body: unknown) => {
      res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(body));
    };
    const apiError = (status: number, message: string) => json(status, { error: { code: status, message, errors: [{ message }] } });

    if (url.pathname === '/token' && req.method === 'POST') {
      const form = new URLSearchParams(raw);
      if (form.get('grant_type') === 'authorization_code') {
        const refresh = this.codes.get(form.get('code') ?? '');
        if (!refresh) return json(400, { error: 'invalid_grant', error_description: 'Bad code' });
        this.codes.delete(form.get('code')!);
        this.refreshTokens.add(refresh);
        const access = `access-${randomUUID()}`;
        this.accessTokens.add(access);
        return json(200, { access_token: access, refresh_token: refresh, expires_in: 3599, token_type: 'Bearer', scope: 'https://www.googleapis.com/auth/calendar' });
      }
      if (form.get('grant_type') === 'refresh_token') {
        if (!this.refreshTokens.has(form.get('refresh_token') ?? '')) return json(400, { error: 'invalid_grant', error_description: 'Token has been expired or revoked.' });
        const access = `access-${randomUUID()}`;
        this.accessTokens.add(access);
        return json(200, { access_token: access, expires_in: 3599, token_type: 'Bearer' });
      }
      return json(400, { error: 'unsupported_grant_type' });
    }
    if (url.pathname === '/revoke') {
      const token = url.searchParams.get('token') ?? new URLSearchParams(raw).get('token') ?? '';
      this.revokedTokens.push(token);
      this.refreshTokens.delete(token);
      return json(200, {});
    }

    const auth = req.headers.authorization?.replace(/^Bearer /, '') ?? '';
    if (!this.accessTokens.has(auth)) return apiError(401, 'Invalid Credentials');
    const body = raw ? JSON.parse(raw) : {};
    let m: RegExpExecArray | null;

    if (url.pathname === '/calendar/v3/users/me/calendarList' && req.method === 'GET') {
      return json(200, { kind: 'calendar#calendarList', items: this.calendars.map((c) => ({ ...c, accessRole: 'owner' })) });
    }
    if (url.pathname === '/calendar/v3/channels/stop' && req.method === 'POST') {
      this.stopped.push(body.id);
      res.writeHead(204).end();
      return;
    }
    if ((m = /^\/calendar\/v3\/calendars\/([^/]+)\/events\/watch$/.exec(url.pathname)) && req.method === 'POST') {
      const w = { calendarId: decodeURIComponent(m[1]!), id: body.id, token: body.token, address: body.address, resourceId: `res-${randomUUID()}` };
      this.watches.push(w);
      return json(200, { kind: 'api#channel', id: w.id, resourceId: w.resourceId, expiration: body.expiration });
    }
    if ((m = /^\/calendar\/v3\/calendars\/([^/]+)\/events$/.exec(url.pathname))) {
      const calendarId = decodeURIComponent(m[1]!);
      if (req.method === 'POST') {
        const id = body.id ?? randomUUID().replace(/-/g, '');
        if (this.cal(calendarId).has(id)) return apiError(409, 'The requested identifier already exists.');
        return json(200, this.put(calendarId, { ...body, id }));
      }
      return this.list(calendarId, url.searchParams, json, apiError);
    }
    if ((m = /^\/calendar\/v3\/calendars\/([^/]+)\/events\/([^/]+)$/.exec(url.pathname))) {
      const calendarId = decodeURIComponent(m[1]!);
      const id = decodeURIComponent(m[2]!);
      const s = this.cal(calendarId).get(id);
      if (!s) return apiError(404, 'Not Found');
      if (req.method === 'PATCH') {
        this.change(calendarId, id, body);
        return json(200, this.cal(calendarId).get(id)!.event);
      }
      if (req.method === 'DELETE') {
        if (s.event.status === 'cancelled') return apiError(410, 'Resource has been deleted');
        this.remove(calendarId, id);
        res.writeHead(204).end();
        return;
      }
      return json(200, s.event);
    }
    apiError(404, `fake google: no route ${req.method} ${url.pathname}`);
  }

  private list(calendarId: string, q: URLSearchParams, json: (s: number, b: unknown) => void, apiError: (s: number, m: string) => void): void {
    const syncToken = q.get('syncToken');
    if (syncToken && (q.has('timeMin') || q.has('timeMax') || q.has('privateExtendedProperty'))) return apiError(400, 'Sync token cannot be combined with these parameters');
    let since = 0;
    if (syncToken) {
      since = Number(syncToken.replace(/^v/, ''));
      if (since < this.oldestToken) return apiError(410, 'Sync token is no longer valid, a full sync is required.');
    }
    const timeMin = q.get('timeMin') ? Date.parse(q.get('timeMin')!) : -Infinity;
    const all = [...this.cal(calendarId).values()]
      .filter((s) => s.version > since)
      .filter((s) => syncToken || Date.parse(s.event.end?.dateTime ?? `${s.event.end?.date}T23:59:59Z`) > timeMin)
      .filter((s) => q.get('showDeleted') === 'true' || syncToken || s.event.status !== 'cancelled')
      .sort((a, b) => a.version - b.version);
    const offset = Number(q.get('pageToken') ?? 0);
    const page = all.slice(offset, offset + this.pageSize);
    const more = offset + this.pageSize < all.length;
    json(200, {
      kind: 'calendar#events',
      items: page.map((s) => s.event),
      ...(more ? { nextPageToken: String(offset + this.pageSize) } : { nextSyncToken: `v${this.version}` }),
    });
  }
}
