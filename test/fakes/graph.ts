import http from 'node:http';
import { randomUUID } from 'node:crypto';

export interface GraphEventFake {
  id: string;
  subject?: string;
  showAs?: string;
  isCancelled?: boolean;
  isAllDay?: boolean;
  transactionId?: string | null;
  start?: { dateTime: string; timeZone: string };
  end?: { dateTime: string; timeZone: string };
  responseStatus?: { response?: string };
  [key: string]: unknown;
}

interface Stored {
  event: GraphEventFake;
  version: number;
  removed: boolean;
}

const b64 = (o: unknown) => Buffer.from(JSON.stringify(o)).toString('base64url');

/**
 * A small Microsoft on 127.0.0.1 for the real msal-node and our Graph
 * calls: the login host (instance discovery, OpenID metadata, the v2.0
 * token endpoint: code and refresh grants, invalid_grant once revoked) at
 * `url`, and Graph at `graphBase`: calendars, calendarView/delta with
 * next and delta links (410 once a delta token is expired), subscriptions
 * (create, renew), events create (one per transactionId), patch, delete.
 */
export class FakeGraph {
  url = '';
  graphBase = '';
  readonly calendarId = 'AAMkADefault';
  readonly store = new Map<string, Stored>();
  readonly subscriptions = new Map<string, { clientState: string; notificationUrl: string; resource: string; expirationDateTime: string }>();
  readonly tokenRequests: string[] = [];
  private readonly codes = new Set<string>();
  private readonly refreshTokens = new Set<string>();
  private readonly accessTokens = new Set<string>();
  private version = 0;
  private oldestToken = 0;
  pageSize = 2;
  private server = http.createServer((req, res) => {
    this.handle(req, res).catch((err) => res.writeHead(500).end(String(err)));
  });

  async start(): Promise<this> {
    await new Promise<void>((r) => this.server.listen(0, '127.0.0.1', r));
    this.url = `http://127.0.0.1:${(this.server.address() as { port: number }).port}`;
    this.graphBase = `${this.url}/graph/v1.0`;
    return this;
  }

  async stop(): Promise<void> {
    await new Promise<void>((r) => this.server.close(() => r()));
  }

  grantCode(): string {
    const code = `ms-code-${randomUUID()}`;
    this.codes.add(code);
    return code;
  }

  revokeAll(): void {
    this.refreshTokens.clear();
    this.accessTokens.clear();
  }

  expireDeltaTokens(): void {
    this.oldestToken = this.version + 1;
  }

  put(event: GraphEventFake): void {
    this.store.set(event.id, { event: { showAs: 'busy', isCancelled: false, isAllDay: false, ...event }, version: ++this.version, removed: false });
  }

  change(id: string, patch: Partial<GraphEventFake>): void {
    const s = this.store.get(id)!;
    this.store.set(id, { event: { ...s.event, ...patch }, version: ++this.version, removed: false });
  }

  remove(id: string): void {
    const s = this.store.get(id)!;
    this.store.set(id, { ...s, version: ++this.version, removed: true });
  }

  live(): GraphEventFake[] {
    return [...this.store.values()].filter((s) => !s.removed).map((s) => s.event);
  }

  private tokens(json: (s: number, b: unknown) => void, refresh?: string) {
    const access = `ms-access-${randomUUID()}`;
    this.accessTokens.add(access);
    const rt = refresh ?? `ms-refresh-${randomUUID()}`;
    this.refreshTokens.add(rt);
    const tid = '9188040d-6c67-4c5b-b112-36a304b66dad';
    const oid = '00000000-0000-0000-66f3-3332eca7ea81';
    const now = Math.floor(Date.now() / 1000);
    const idToken = `${b64({ typ: 'JWT', alg: 'RS256', kid: 'fake' })}.${b64({
      aud: 'ms-client-id', iss: `https://login.microsoftonline.com/${tid}/v2.0`, iat: now, nbf: now, exp: now + 3600,
      name: 'Pat Outlook', oid, preferred_username: 'pat@outlook.example', sub: 'sub-pat', tid, ver: '2.0',
    })}.c2ln`;
    json(200, {
      token_type: 'Bearer', scope: 'Calendars.ReadWrite User.Read openid profile offline_access', expires_in: 3599, ext_expires_in: 3599,
      access_token: access, refresh_token: rt, id_token: idToken, client_info: b64({ uid: oid, utid: tid }),
    });
  }

  private async handle(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', this.url);
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    const raw = Buffer.concat(chunks).toString('utf8');
    const json = (status: number, body: unknown) => {
      res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(body));
    };
    const p = url.pathname;
    if (p.endsWith('/discovery/instance')) {
      return json(200, {
        tenant_discovery_endpoint: 'https://login.microsoftonline.com/common/v2.0/.well-known/openid-configuration', 'api-version': '1.1',
        metadata: [{ preferred_network: 'login.microsoftonline.com', preferred_cache: 'login.windows.net', aliases: ['login.microsoftonline.com', 'login.windows.net'] }],
      });
    }
    if (p.endsWith('/.well-known/openid-configuration')) {
      return json(200, {
        token_endpoint: 'https://login.microsoftonline.com/common/oauth2/v2.0/token',
        authorization_endpoint: 'https://login.microsoftonline.com/common/oauth2/v2.0/authorize',
        end_session_endpoint: 'https://login.microsoftonline.com/common/oauth2/v2.0/logout',
        issuer: 'https://login.microsoftonline.com/{tenantid}/v2.0',
        jwks_uri: 'https://login.microsoftonline.com/common/discovery/v2.0/keys',
        response_types_supported: ['code'], scopes_supported: ['openid'],
      });
    }
    if (/\/oauth2\/v2\.0\/token$/.test(p) && req.method === 'POST') {
      const form = new URLSearchParams(raw);
      this.tokenRequests.push(form.get('grant_type') ?? '');
      if (form.get('grant_type') === 'authorization_code') {
        if (!this.codes.delete(form.get('code') ?? '')) return json(400, { error: 'invalid_grant', error_description: 'AADSTS70008: The code has expired.', error_codes: [70008] });
        return this.tokens(json);
      }
      if (form.get('grant_type') === 'refresh_token') {
        const rt = form.get('refresh_token') ?? '';
        if (!this.refreshTokens.has(rt)) return json(400, { error: 'invalid_grant', error_description: 'AADSTS70000: The grant was revoked.', error_codes: [70000], suberror: 'bad_token' });
        return this.tokens(json, rt);
      }
      return json(400, { error: 'unsupported_grant_type' });
    }

    if (!p.startsWith('/graph/v1.0/')) return json(404, { error: { code: 'NotFound' } });
    const g = p.slice('/graph/v1.0'.length);
    const auth = req.headers.authorization?.replace(/^Bearer /, '') ?? '';
    if (!this.accessTokens.has(auth)) return json(401, { error: { code: 'InvalidAuthenticationToken', message: 'Access token has expired.' } });
    const body = raw ? JSON.parse(raw) : {};
    let m: RegExpExecArray | null;
    if (g === '/me/calendars' && req.method === 'GET') {
      return json(200, { value: [{ id: this.calendarId, name: 'Calendar', isDefaultCalendar: true, canEdit: true }] });
    }
    if ((m = /^\/me\/calendars\/([^/]+)\/calendarView\/delta$/.exec(g))) {
      const token = url.searchParams.get('$deltatoken');
      const since = token ? Number(token.replace(/^v/, '')) : 0;
      if (token && since < this.oldestToken) return json(410, { error: { code: 'SyncStateNotFound', message: 'The sync state is no longer available.' } });
      const changed = [...this.store.values()].filter((s) => s.version > since && (token || !s.removed)).sort((a, b) => a.version - b.version);
      const offset = Number(url.searchParams.get('$skiptoken') ?? 0);
      const page = changed.slice(offset, offset + this.pageSize);
      const base = `${this.graphBase}/me/calendars/${m[1]}/calendarView/delta`;
      const more = offset + this.pageSize < changed.length;
      const next = new URL(base);
      if (token) next.searchParams.set('$deltatoken', token);
      next.searchParams.set('$skiptoken', String(offset + this.pageSize));
      return json(200, {
        value: page.map((s) => (s.removed ? { id: s.event.id, '@removed': { reason: 'deleted' } } : s.event)),
        ...(more ? { '@odata.nextLink': next.toString() } : { '@odata.deltaLink': `${base}?$deltatoken=v${this.version}` }),
      });
    }
    if (g === '/subscriptions' && req.method === 'POST') {
      const id = randomUUID();
      this.subscriptions.set(id, body);
      return json(201, { id, ...body });
    }
    if ((m = /^\/subscriptions\/([^/]+)$/.exec(g)) && req.method === 'PATCH') {
      const s = this.subscriptions.get(m[1]!);
      if (!s) return json(404, { error: { code: 'ResourceNotFound' } });
      s.expirationDateTime = body.expirationDateTime;
      return json(200, { id: m[1], ...s });
    }
    if ((m = /^\/me\/calendars\/([^/]+)\/events$/.exec(g)) && req.method === 'POST') {
      const existing = body.transactionId ? [...this.store.values()].find((s) => s.event.transactionId === body.transactionId) : undefined;
      if (existing) return json(201, existing.event);
      const event = { ...body, id: `AAMkEv-${randomUUID()}` };
      this.put(event);
      return json(201, this.store.get(event.id)!.event);
    }
    if ((m = /^\/me\/events\/([^/]+)$/.exec(g))) {
      const s = this.store.get(decodeURIComponent(m[1]!));
      if (!s || s.removed) return json(404, { error: { code: 'ErrorItemNotFound' } });
      if (req.method === 'PATCH') {
        this.change(s.event.id, body);
        return json(200, this.store.get(s.event.id)!.event);
      }
      if (req.method === 'DELETE') {
        this.remove(s.event.id);
        res.writeHead(204).end();
        return;
      }
    }
    json(404, { error: { code: 'NotFound', message: `fake graph: ${req.method} ${g}` } });
  }
}
