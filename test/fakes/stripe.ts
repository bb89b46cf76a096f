import http from 'node:http';
import { randomBytes } from 'node:crypto';
import Stripe from 'stripe';

/** One request as "Stripe" received it. */
export interface StripeRequest {
  method: string;
  path: string;
  /** The form body, flattened as stripe-node encodes it: `line_items[0][price_data][currency]` → `usd`. */
  form: Record<string, string>;
  stripeAccount: string | undefined;
  idempotencyKey: string | undefined;
}

export interface FakeSession {
  id: string;
  object: 'checkout.session';
  account: string | undefined;
  status: 'open' | 'complete' | 'expired';
  payment_status: 'unpaid' | 'paid' | 'no_payment_required';
  amount_total: number;
  currency: string;
  client_reference_id: string | null;
  metadata: Record<string, string>;
  payment_intent: string | null;
  expires_at: number;
  success_url: string;
  cancel_url: string;
  url: string | null;
  customer_email: string | null;
  application_fee_amount: number | null;
}

/**
 * A stand-in for the parts of Stripe's API that Slotwise uses, on
 * 127.0.0.1, for stripe-node pointed at it (STRIPE_API_BASE): Checkout
 * Sessions (create, retrieve, expire), Payment Intents (retrieve), Refunds,
 * Accounts and Account Links. It records every request with its
 * `Stripe-Account` and `Idempotency-Key` headers, answers a repeated
 * idempotency key with the first answer (and refuses it with other
 * parameters, as Stripe does), and serves a tiny Checkout page whose "Pay"
 * button completes the session and calls `onPaid` (tests send the signed
 * webhook from there) before redirecting to the session's success URL.
 */
export class FakeStripe {
  readonly requests: StripeRequest[] = [];
  readonly sessions = new Map<string, FakeSession>();
  readonly refunds = new Map<string, { id: string; amount: number; payment_intent: string; status: string; metadata: Record<string, string>; account: string | undefined }>();
  readonly accounts = new Map<string, { id: string; charges_enabled: boolean; details_submitted: boolean }>();
  /** Answers for the next requests to a path prefix, in order: a status to fail with. Then the real answer. */
  private readonly failures: { prefix: string; status: number }[] = [];
  /** The refund status new refunds get. */
  refundStatus: 'succeeded' | 'pending' = 'succeeded';
  /** Called when the Checkout page's "Pay" completes a session. */
  onPaid: (s: FakeSession) => Promise<void> = async () => undefined;
  /** The fake's clock in seconds, for Checkout's expires_at window (tests share theirs). */
  nowSeconds: () => number = () => Math.floor(Date.now() / 1000);
  private readonly idempotent = new Map<string, { body: string; status: number; answer: unknown }>();
  private server = http.createServer((req, res) => void this.handle(req, res));
  url = '';
  port = 0;

  async start(): Promise<this> {
    await new Promise<void>((r) => this.server.listen(0, '127.0.0.1', r));
    this.port = (this.server.address() as { port: number }).port;
    this.url = `http://127.0.0.1:${this.port}`;
    return this;
  }

  async stop(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise<void>((r) => this.server.close(() => r()));
  }

  /** The next request whose path starts with `prefix` fails with `status` (a 5xx: transient). */
  failNext(prefix: string, status: number): void {
    this.failures.push({ prefix, status });
  }

  /** Requests other than the Checkout page's own. */
  apiCalls(pathPrefix = '/v1/'): StripeRequest[] {
    return this.requests.filter((r) => r.path.startsWith(pathPrefix));
  }

  /** Complete a session as a customer paying would; returns it. */
  pay(sessionId: string): FakeSession {
    const s = this.sessions.get(sessionId);
    if (!s) throw new Error(`no session ${sessionId}`);
    if (s.status !== 'open') throw new Error(`session ${sessionId} is ${s.status}`);
    s.status = 'complete';
    s.payment_status = 'paid';
    s.payment_intent = `pi_${randomBytes(8).toString('hex')}`;
    s.url = null;
    return s;
  }

  private async handle(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    let raw = '';
    for await (const chunk of req) raw += chunk;
    const url = new URL(req.url ?? '/', this.url);
    const form = Object.fromEntries(new URLSearchParams(raw));
    const account = header(req, 'stripe-account');
    const key = header(req, 'idempotency-key');
    this.requests.push({ method: req.method ?? '', path: url.pathname, form, stripeAccount: account, idempotencyKey: key });

    if (url.pathname.startsWith('/c/pay/')) return this.checkoutPage(req, res, url.pathname.slice('/c/pay/'.length));

    const failure = this.failures.findIndex((f) => url.pathname.startsWith(f.prefix));
    if (failure >= 0) {
      const status = this.failures.splice(failure, 1)[0]!.status;
      return send(res, status, { error: { type: 'api_error', message: 'the fake was told to fail' } });
    }
    const idemKey = key && req.method === 'POST' ? `${account ?? ''}|${key}` : undefined;
    if (idemKey) {
      const seen = this.idempotent.get(idemKey);
      if (seen) {
        if (seen.body !== raw) return send(res, 400, { error: { type: 'idempotency_error', message: 'Keys for idempotent requests can only be used with the same parameters they were first used with.' } });
        return send(res, seen.status, seen.answer);
      }
    }
    const [status, answer] = this.route(req.method ?? 'GET', url.pathname, form, account);
    if (idemKey && status < 500) this.idempotent.set(idemKey, { body: raw, status, answer });
    send(res, status, answer);
  }

  private route(method: string, path: string, f: Record<string, string>, account: string | undefined): [number, unknown] {
    let m: RegExpExecArray | null;
    if (method === 'POST' && path === '/v1/checkout/sessions') {
      const expires = Number(f.expires_at);
      const now = this.nowSeconds();
      if (f.expires_at && (expires < now + 30 * 60 - 5 || expires > now + 24 * 3600)) {
        return [400, invalid('expires_at', 'The `expires_at` timestamp must be between 30 minutes and 24 hours from Checkout Session creation.')];
      }
      const id = `cs_test_${randomBytes(10).toString('hex')}`;
      const unit = Number(f['line_items[0][price_data][unit_amount]'] ?? 0);
      const qty = Number(f['line_items[0][quantity]'] ?? 1);
      const s: FakeSession = {
        id,
        object: 'checkout.session',
        account,
        status: 'open',
        payment_status: 'unpaid',
        amount_total: unit * qty,
        currency: f['line_items[0][price_data][currency]'] ?? 'usd',
        client_reference_id: f.client_reference_id ?? null,
        metadata: prefixed(f, 'metadata'),
        payment_intent: null,
        expires_at: expires || now + 24 * 3600,
        success_url: f.success_url ?? '',
        cancel_url: f.cancel_url ?? '',
        url: `${this.url}/c/pay/${id}`,
        customer_email: f.customer_email ?? null,
        application_fee_amount: f['payment_intent_data[application_fee_amount]'] ? Number(f['payment_intent_data[application_fee_amount]']) : null,
      };
      this.sessions.set(id, s);
      return [200, s];
    }
    if ((m = /^\/v1\/checkout\/sessions\/([^/]+)$/.exec(path)) && method === 'GET') {
      const s = this.sessions.get(m[1]!);
      return s && s.account === account ? [200, s] : [404, invalid('id', 'No such checkout.session')];
    }
    if ((m = /^\/v1\/checkout\/sessions\/([^/]+)\/expire$/.exec(path)) && method === 'POST') {
      const s = this.sessions.get(m[1]!);
      if (!s || s.account !== account) return [404, invalid('id', 'No such checkout.session')];
      if (s.status !== 'open') return [400, invalid(undefined, `Only Checkout Sessions with a status in ["open"] can be expired. This Checkout Session has a status of "${s.status}".`)];
      s.status = 'expired';
      s.url = null;
      return [200, s];
    }
    if ((m = /^\/v1\/payment_intents\/([^/]+)$/.exec(path)) && method === 'GET') {
      const s = [...this.sessions.values()].find((x) => x.payment_intent === m![1]);
      return s ? [200, { id: m[1], object: 'payment_intent', amount: s.amount_total, currency: s.currency, status: 'succeeded' }] : [404, invalid('id', 'No such payment_intent')];
    }
    if (method === 'POST' && path === '/v1/refunds') {
      const s = [...this.sessions.values()].find((x) => x.payment_intent === f.payment_intent && x.account === account);
      if (!s) return [400, invalid('payment_intent', 'No such payment_intent')];
      const already = [...this.refunds.values()].filter((r) => r.payment_intent === f.payment_intent && r.status !== 'failed').reduce((a, r) => a + r.amount, 0);
      const amount = Number(f.amount ?? s.amount_total - already);
      if (amount + already > s.amount_total) return [400, invalid('amount', 'Refund amount is greater than unrefunded amount on charge')];
      const refund = { id: `re_${randomBytes(8).toString('hex')}`, object: 'refund', amount, payment_intent: f.payment_intent!, status: this.refundStatus, metadata: prefixed(f, 'metadata'), account, currency: s.currency };
      this.refunds.set(refund.id, refund);
      return [200, refund];
    }
    if (method === 'POST' && path === '/v1/accounts') {
      const a = { id: `acct_${randomBytes(8).toString('hex')}`, object: 'account', type: f.type ?? 'standard', charges_enabled: false, details_submitted: false };
      this.accounts.set(a.id, a);
      return [200, a];
    }
    if ((m = /^\/v1\/accounts\/([^/]+)$/.exec(path)) && method === 'GET') {
      const a = this.accounts.get(m[1]!);
      return a ? [200, { object: 'account', ...a }] : [404, invalid('account', 'No such account')];
    }
    if (method === 'POST' && path === '/v1/account_links') {
      if (!this.accounts.has(f.account ?? '')) return [400, invalid('account', 'No such account')];
      return [200, { object: 'account_link', url: `${this.url}/setup/${f.account}`, expires_at: this.nowSeconds() + 300, created: this.nowSeconds() }];
    }
    return [404, invalid(undefined, `Unrecognized request URL (${method}: ${path})`)];
  }

  /** Stripe's hosted page, reduced to a Pay button (the e2e test drives it). */
  private async checkoutPage(req: http.IncomingMessage, res: http.ServerResponse, id: string): Promise<void> {
    const s = this.sessions.get(id);
    if (!s || s.status !== 'open') return void res.writeHead(410, { 'content-type': 'text/html' }).end('<h1>This Checkout Session is no longer available</h1>');
    if (req.method === 'POST') {
      this.pay(id);
      await this.onPaid(s);
      return void res.writeHead(303, { location: s.success_url }).end();
    }
    res.writeHead(200, { 'content-type': 'text/html' }).end(`<!doctype html><meta name="viewport" content="width=device-width">
<title>Stripe Checkout (fake)</title><h1>Pay ${s.amount_total} ${s.currency.toUpperCase()}</h1>
<form method="post"><button type="submit">Pay</button></form>`);
  }

  /** A webhook event as Stripe would send it for a connected account, with its signed header. */
  static signedEvent(secret: string, type: string, object: unknown, account: string, id = `evt_${randomBytes(10).toString('hex')}`): { body: string; signature: string; id: string } {
    const body = JSON.stringify({ id, object: 'event', type, account, api_version: Stripe.API_VERSION, created: Math.floor(Date.now() / 1000), livemode: false, data: { object } });
    return { body, signature: Stripe.webhooks.generateTestHeaderString({ payload: body, secret }), id };
  }
}

const header = (req: http.IncomingMessage, name: string) => {
  const v = req.headers[name];
  return Array.isArray(v) ? v[0] : v;
};

const send = (res: http.ServerResponse, status: number, body: unknown) => {
  res.writeHead(status, { 'content-type': 'application/json', 'request-id': `req_${randomBytes(6).toString('hex')}` }).end(JSON.stringify(body));
};

const invalid = (param: string | undefined, message: string) => ({ error: { type: 'invalid_request_error', message, ...(param ? { param } : {}) } });

/** `metadata[booking_id]=…` → { booking_id: … }. */
function prefixed(f: Record<string, string>, name: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(f)) {
    const m = new RegExp(`^${name}\\[([^\\]]+)\\]$`).exec(k);
    if (m) out[m[1]!] = v;
  }
  return out;
}
