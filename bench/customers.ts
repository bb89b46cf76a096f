/**
 * What the benchmark's customers and integrators do over HTTP, with
 * undici's connection pool against the app on 127.0.0.1 (the tenant is
 * named by the Host header, `<slug>.<BASE_DOMAIN>`, as a browser would).
 */
import { Pool } from 'undici';
import type { SeededTenant } from './seed.ts';
import { ZONE } from './seed.ts';

export const BASE_DOMAIN = 'bench.test';

export interface Answer {
  status: number;
  body: string;
  bytes: number;
}

export class Http {
  readonly #pool: Pool;

  constructor(port: number, connections: number) {
    this.#pool = new Pool(`http://127.0.0.1:${port}`, { connections, pipelining: 1, keepAliveTimeout: 60_000 });
  }

  async send(method: 'GET' | 'POST', slug: string, path: string, headers: Record<string, string> = {}, body?: string): Promise<Answer & { cookies: string[] }> {
    const res = await this.#pool.request({ method, path, headers: { host: `${slug}.${BASE_DOMAIN}`, ...headers }, ...(body === undefined ? {} : { body }) });
    const text = await res.body.text();
    const raw = res.headers['set-cookie'];
    const cookies = (raw === undefined ? [] : Array.isArray(raw) ? raw : [raw]).map((c) => c.split(';')[0]!);
    return { status: res.statusCode, body: text, bytes: Buffer.byteLength(text), cookies };
  }

  close(): Promise<void> {
    return this.#pool.close();
  }
}

export interface Customer {
  name: string;
  email: string;
}

/** `resourceId` null: "any available". */
export interface Ask {
  tenant: SeededTenant;
  serviceId: string;
  resourceId: string | null;
  start: Date;
  customer: Customer;
}

/** A filled-in booking form, ready to POST: the details page was opened for its CSRF cookie and token. */
export interface OpenForm {
  ask: Ask;
  cookie: string;
  token: string;
}

/** The customer's details page (the form), as a browser opens it after choosing a time. */
export async function openForm(http: Http, ask: Ask): Promise<OpenForm> {
  const q = new URLSearchParams({ resource: ask.resourceId ?? 'any', tz: ZONE, start: ask.start.toISOString() });
  const page = await http.send('GET', ask.tenant.slug, `/book/${ask.serviceId}/details?${q}`);
  const token = /<meta name="csrf-token" content="([^"]*)"/.exec(page.body)?.[1];
  if (page.status !== 200 || !token || !page.cookies.length) throw new Error(`details page of ${ask.tenant.slug} answered ${page.status} without a form: ${page.body.slice(0, 200)}`);
  return { ask, cookie: page.cookies.join('; '), token };
}

/** POST the form: 303 to the manage page when booked, 409 when the time was just taken. */
export async function submitForm(http: Http, form: OpenForm): Promise<Answer> {
  const { ask } = form;
  const body = new URLSearchParams({
    _csrf: form.token, resource: ask.resourceId ?? 'any', tz: ZONE, start: ask.start.toISOString(),
    name: ask.customer.name, email: ask.customer.email, phone: '', notes: '',
  }).toString();
  return http.send('POST', ask.tenant.slug, `/book/${ask.serviceId}`, { cookie: form.cookie, 'content-type': 'application/x-www-form-urlencoded' }, body);
}

/** `POST /api/v1/bookings` with the tenant's key: 201 when booked, 409 when taken. */
export function bookByApi(http: Http, ask: Ask): Promise<Answer> {
  const body = JSON.stringify({
    service_id: ask.serviceId,
    ...(ask.resourceId ? { resource_id: ask.resourceId } : {}),
    start: ask.start.toISOString(),
    customer: { name: ask.customer.name, email: ask.customer.email, time_zone: ZONE },
  });
  return http.send('POST', ask.tenant.slug, '/api/v1/bookings', { authorization: `Bearer ${ask.tenant.apiKey}`, 'content-type': 'application/json' }, body);
}

export const booked = (status: number) => status === 201 || status === 303;
