import type { Express } from 'express';
import request from 'supertest';
import type { AppDeps } from '../../src/deps.ts';
import { signUp } from '../../src/tenancy/service.ts';
import { withTenant } from '../../src/db/tenant.ts';
import { markOwnerEmailVerified } from '../../src/auth/email-verification.ts';

/**
 * A cookie-keeping client for one host, like a browser tab: supertest's
 * agent plus the Host header and the page's CSRF token.
 */
export class Client {
  readonly agent: ReturnType<typeof request.agent>;
  readonly host: string;
  token = '';

  constructor(app: Express, host: string) {
    this.agent = request.agent(app);
    this.host = host;
  }

  get(path: string) {
    return this.agent.get(path).set('Host', this.host);
  }

  /** Load a page and remember its CSRF token (from the layout's meta tag). */
  async open(path: string) {
    const res = await this.get(path);
    const m = /<meta name="csrf-token" content="([^"]*)"/.exec(res.text);
    if (m?.[1]) this.token = m[1];
    return res;
  }

  /** POST a form as the page would, with the remembered CSRF token unless `_csrf` is given. */
  post(path: string, form: Record<string, string> = {}) {
    return this.agent
      .post(path)
      .set('Host', this.host)
      .type('form')
      .send({ _csrf: this.token, ...form });
  }
}

/**
 * A business as sign-up makes it, counted as verified (its owner's email
 * address confirmed, so its mail is not held back) unless `verified: false`:
 * the tests of the mail budget sign up through the form instead. Tests
 * arrange many bookings for one address, so its cap on a customer's online
 * bookings per day is lifted; the cap and its default have their own test
 * (booking-flow.test.ts).
 */
export async function makeTenant(deps: AppDeps, slug: string, opts: { email?: string; password?: string; timeZone?: string; verified?: boolean } = {}) {
  const made = await signUp(deps, {
    slug,
    businessName: `${slug} business`,
    email: opts.email ?? `owner@${slug}.example`,
    password: opts.password ?? 'correct-horse-battery',
    timeZone: opts.timeZone ?? 'America/New_York',
  });
  await withTenant(deps.db, made.tenant.id, (tx) => tx('tenants').where({ id: made.tenant.id }).update({ max_online_bookings_per_customer_day: null }));
  if (opts.verified !== false) await withTenant(deps.db, made.tenant.id, (tx) => markOwnerEmailVerified(tx, deps.now()));
  return made;
}

export async function signedIn(app: Express, host: string, email: string, password = 'correct-horse-battery'): Promise<Client> {
  const c = new Client(app, host);
  await c.open('/login');
  const res = await c.post('/login', { email, password });
  if (res.status !== 303) throw new Error(`login failed for ${email} on ${host}: ${res.status}`);
  await c.open('/admin');
  return c;
}
