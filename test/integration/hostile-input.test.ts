import type { Express } from 'express';
import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { log } from '../../src/log.ts';
import { createApp } from '../../src/http/app.ts';
import { PATH_PARAMS } from '../../src/http/params.ts';
import type { AppDeps } from '../../src/deps.ts';
import { FORM_BODIES, JSON_BODIES, type Form } from '../support/bodies.ts';
import { createTestDb, TestClock, testDeps, type TestDb } from '../support/db.ts';
import {
  FIELD_VALUES, FORM_FIELD_VALUES, HOSTILE_HEADERS, hostileQueries, LEAKS, PATH_VALUES, RAW_FORM_BODIES, RAW_JSON_BODIES,
} from '../support/hostile.ts';
import { Client } from '../support/http.ts';
import { listRoutes, walkRank } from '../support/routes.ts';
import { seedWorld, signedInAs, WORLD_NOW, worldEnv, worldPath, type Role, type World } from '../support/world.ts';

/**
 * Nothing a user can type gives a 5xx or shows an internal error: every
 * registered route (listed from the app itself, so a new route is walked
 * too) gets hostile path parameters, query strings, bodies (JSON and form,
 * one field of a valid body at a time, and whole malformed bodies) and
 * headers, as an anonymous visitor and as staff, an admin and the owner.
 * Every answer is checked for its status and for leaks (stack frames,
 * source paths, driver messages). Failures are collected and shown at once.
 */

let t: TestDb;
let deps: AppDeps;
let world: Awaited<ReturnType<typeof worldEnv>>;
let app: Express;
const ROOT_HOST = 'slotwise.test';
const ROOT_ONLY = new Set(['/signup']);

/** The last error the app logged: its cause, named beside a 5xx. */
let lastLogged = '';

beforeAll(async () => {
  vi.spyOn(log, 'error').mockImplementation((_msg, fields) => {
    const err = fields?.err as { message?: string; code?: string } | undefined;
    lastLogged = `${err?.code ?? ''} ${err?.message ?? ''}`.trim().slice(0, 200);
  });
  world = await worldEnv();
  t = await createTestDb();
  deps = testDeps(t, new TestClock(Date.parse(WORLD_NOW)), { RATE_LIMIT_MULTIPLIER: '10000', ...world.env });
  app = createApp(deps);
});
afterAll(async () => {
  await t.drop();
  await world.stop();
});

interface Caller {
  agent: ReturnType<typeof request.agent>;
  token: string;
  apiKey?: string;
  /**
   * The root domain, as a browser tab of its own: supertest keeps one cookie
   * jar for every Host header, and a tenant's session shown to the root site
   * deserializes to nobody and is signed out (a browser never sends it there).
   */
  root: { agent: ReturnType<typeof request.agent>; token: string };
}

interface Sent {
  method: string;
  url: string;
  host: string;
  json?: unknown;
  rawJson?: string;
  form?: Form;
  rawForm?: string;
  headers?: Record<string, string>;
}

const formString = (f: Form) => {
  const p = new URLSearchParams();
  for (const [k, v] of Object.entries(f)) for (const x of [v].flat()) p.append(k, x);
  return p.toString();
};

/** Every answer that is a 5xx or leaks internals, as "METHOD url (what was sent) → status: excerpt". */
const failures: string[] = [];
let requests = 0;

async function send(caller: Caller, s: Sent): Promise<number> {
  const status = await sendOnce(caller, s);
  // Accepting an invitation signs the caller in as the new member, with a new CSRF token: take it from a page.
  if (s.method === 'POST' && s.url.startsWith('/invite/') && (status === 303 || status === 302)) {
    const page = await caller.agent.get('/password/forgot').set('Host', s.host);
    caller.token = /<meta name="csrf-token" content="([^"]*)"/.exec(page.text)?.[1] ?? caller.token;
  }
  return status;
}

async function sendOnce(caller: Caller, s: Sent): Promise<number> {
  const c = s.host === ROOT_HOST ? caller.root : caller;
  requests++;
  lastLogged = '';
  let req = c.agent[s.method.toLowerCase() as 'get'](s.url).set('Host', s.host).set('X-CSRF-Token', c.token);
  if (caller.apiKey && s.url.startsWith('/api/')) req = req.set('Authorization', `Bearer ${caller.apiKey}`);
  if (s.json !== undefined) req = req.type('json').send(JSON.stringify(s.json));
  if (s.rawJson !== undefined) req = req.type('json').send(s.rawJson);
  if (s.form !== undefined) req = req.type('form').send(formString(s.form));
  if (s.rawForm !== undefined) req = req.type('form').send(s.rawForm);
  for (const [k, v] of Object.entries(s.headers ?? {})) req = req.set(k, v);
  let status: number;
  let text: string;
  try {
    const res = await req;
    status = res.status;
    text = `${JSON.stringify(res.headers)}\n${res.text ?? ''}`;
  } catch (err) {
    // The client itself refused to send it (e.g. a character Node will not put in a header): nothing reached the app.
    if ((err as { code?: string }).code === 'ERR_INVALID_CHAR' || (err as { code?: string }).code === 'ERR_UNESCAPED_CHARACTERS') return 0;
    failures.push(`${s.method} ${s.url.slice(0, 160)} ${JSON.stringify(s.headers ?? {}).slice(0, 80)} → no answer: ${String(err)}`);
    return 0;
  }
  const leak = LEAKS.find((re) => re.test(text));
  if (status >= 500 || leak) {
    const what = s.json !== undefined ? `json ${JSON.stringify(s.json).slice(0, 160)}` : s.rawJson !== undefined ? `raw json ${s.rawJson.slice(0, 40)}`
      : s.form !== undefined ? `form ${formString(s.form).slice(0, 160)}` : s.rawForm !== undefined ? `raw form ${s.rawForm.slice(0, 40)}` : '';
    failures.push(`${s.method} ${s.url.slice(0, 160)} ${what} ${JSON.stringify(s.headers ?? {}).slice(0, 80)} → ${status}${leak ? ` leaks ${leak}` : ''}${lastLogged ? ` [logged: ${lastLogged}]` : ''}: ${excerpt(text, leak)}`);
  }
  return status;
}

/** Where the leak is, or the start of the body (a page's title and heading, not its layout). */
function excerpt(text: string, leak: RegExp | undefined): string {
  const body = text.slice(text.indexOf('\n') + 1);
  const at = leak ? Math.max(0, text.search(leak) - 80) : Math.max(0, body.indexOf('<main'));
  return (leak ? text : body).slice(at, at + 300).replace(/\s+/g, ' ');
}

/** Body paths to vary: top-level fields, and the fields of nested objects and of an array's first item. */
function leafPaths(body: Record<string, unknown>): string[][] {
  const out: string[][] = [];
  for (const [k, v] of Object.entries(body)) {
    out.push([k]);
    const inner = Array.isArray(v) ? v[0] : v;
    if (inner && typeof inner === 'object') for (const k2 of Object.keys(inner)) out.push(Array.isArray(v) ? [k, '0', k2] : [k, k2]);
  }
  return out;
}
function replaced(body: Record<string, unknown>, path: string[], value: unknown): Record<string, unknown> {
  const copy = structuredClone(body);
  let at: Record<string, unknown> = copy;
  for (const key of path.slice(0, -1)) at = at[key] as Record<string, unknown>;
  at[path.at(-1)!] = value;
  return copy;
}

async function walk(c: Caller, w: World, who: Role | 'anonymous'): Promise<void> {
  const all = listRoutes(app).flatMap((route) => route.methods.filter((m) => m !== 'HEAD' && m !== '_ALL').map((method) => ({ method, route })));
  for (const { method, route } of all.sort((a, b) => walkRank(`${a.method} ${a.route.path}`) - walkRank(`${b.method} ${b.route.path}`))) {
    const key = `${method} ${route.path}`;
    const hosts = route.path === '/' ? [w.host, ROOT_HOST] : ROOT_ONLY.has(route.path) ? [ROOT_HOST] : [w.host];
    const isApi = route.path.startsWith('/api/');
    const hasBody = method !== 'GET';
    const formBase = FORM_BODIES[key];
    const jsonBase = JSON_BODIES[key];
    if (hasBody && !formBase && !jsonBase) throw new Error(`no valid body for ${key}: add one to test/support/bodies.ts`);
    // The API, and the providers' callbacks outside it, take JSON; the pages take forms.
    const isJson = isApi || (!formBase && Boolean(jsonBase));
    const base = async () => (isJson ? { json: jsonBase?.(w) } : hasBody ? { form: await formBase!(deps, w) } : {});
    for (const host of hosts) {
      const url = worldPath(route.path, w);
      // A caller the route refuses (401, 403) is refused before anything is
      // read: a few hostile values show that, the whole set is for callers
      // it serves. The probe's body is empty, which no write accepts, so it
      // uses up nothing.
      const empty = !hasBody ? {} : isJson ? { json: {} } : { form: {} };
      const refused = [401, 403].includes(await send(c, { method, url, host, ...empty }));
      // The same handlers answer public pages whoever asks, and the API
      // whichever browser holds the key: each gets the whole set once (as an
      // anonymous visitor, and with the owner's walk), the other callers a sample.
      const whole = !refused && (isApi ? who === 'owner' : route.path.startsWith('/admin') || who === 'anonymous');
      const some = <T>(xs: T[]): T[] => (whole ? xs : xs.slice(0, 2));
      // Path parameters, one at a time.
      for (const p of [...route.path.matchAll(/:(\w+)/g)].map((m) => m[0])) {
        for (const v of some(PATH_VALUES)) {
          const one = worldPath(route.path.replace(p, '\u0001'), w).replace('\u0001', v);
          await send(c, { method, url: one, host, ...(await base()) });
        }
      }
      // Query strings: all of them where a page reads its view state, a few on writes.
      const queries = method === 'GET' ? hostileQueries() : hostileQueries().filter((_, i) => i % 8 === 0);
      for (const q of some(queries)) {
        await send(c, { method, url: `${url}?${q.replaceAll('{service}', w.ids.service).replaceAll('{resource}', w.ids.resource)}`, host, ...(await base()) });
      }
      // Headers.
      for (const h of some(HOSTILE_HEADERS)) await send(c, { method, url, host, headers: h, ...(await base()) });
      if (!hasBody) continue;
      // Bodies: one field of a valid body at a time, then whole malformed ones, in both encodings.
      if (isJson) {
        const b = jsonBase!(w);
        for (const path of some(leafPaths(b))) for (const v of some(FIELD_VALUES)) await send(c, { method, url, host, json: replaced(b, path, v) });
        for (const raw of some(RAW_JSON_BODIES)) await send(c, { method, url, host, rawJson: raw });
        await send(c, { method, url, host, form: { name: 'x' } });
      } else {
        for (const field of some(Object.keys(await formBase!(deps, w)))) {
          for (const v of some(FORM_FIELD_VALUES)) await send(c, { method, url, host, form: { ...(await formBase!(deps, w)), [field]: v } });
        }
        for (const raw of some(RAW_FORM_BODIES)) await send(c, { method, url, host, rawForm: `${raw}&_csrf=${encodeURIComponent(c.token)}` });
        await send(c, { method, url, host, json: { ...(await formBase!(deps, w)), name: 'a\u0000b' } });
        await send(c, { method, url, host, rawJson: '{"name": "a\\u0000b"' });
      }
    }
  }
}

async function rootTab() {
  const c = new Client(app, ROOT_HOST);
  await c.open('/signup');
  return { agent: c.agent, token: c.token };
}

async function anonymous(w: World): Promise<Caller> {
  const c = new Client(app, w.host);
  await c.open('/login');
  return { agent: c.agent, token: c.token, root: await rootTab() };
}

describe('path parameters', () => {
  it('each one a route uses has its check, so a new `:param` cannot skip it', () => {
    const used = new Set(listRoutes(app).flatMap((r) => [...r.path.matchAll(/:(\w+)/g)].map((m) => m[1]!)));
    expect(used.size).toBeGreaterThan(2);
    expect([...used].filter((name) => !(name in PATH_PARAMS))).toEqual([]);
  });
});

describe('hostile input on every route', () => {
  const cases: [Role | 'anonymous', string, (w: World) => Promise<Caller>][] = [
    ['anonymous', 'an anonymous visitor (and the API without a key)', anonymous],
    ...(['staff', 'admin', 'owner'] as Role[]).map((role): [Role, string, (w: World) => Promise<Caller>] => [
      role,
      `${role} (and the API with a valid key)`,
      async (w) => {
        const c = await signedInAs(app, w, role);
        return { agent: c.agent, token: c.token, apiKey: w.apiKey, root: await rootTab() };
      },
    ]),
  ];
  for (const [i, [role, who, caller]] of cases.entries()) {
    it(`never answers 5xx or leaks internals to ${who}`, async () => {
      const w = await seedWorld(deps, `hostile${i}`);
      failures.length = 0;
      requests = 0;
      await walk(await caller(w), w, role);
      expect(requests).toBeGreaterThan(1000);
      expect(failures).toEqual([]);
    }, 900_000);
  }
});
