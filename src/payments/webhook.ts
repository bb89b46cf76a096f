import express, { Router } from 'express';
import type { AppDeps } from '../deps.ts';
import { isUuid, withTenant, type TenantTx } from '../db/tenant.ts';
import { siteForHost } from '../http/host.ts';
import { log } from '../log.ts';
import { paymentReceived } from '../bookings/service.ts';
import { firstTimeEvent, recordPaymentEvent, tenantByStripeAccount } from './queries.ts';
import { paymentIntentOf, refundMoved, refundStatus } from './tasks.ts';
import { Stripe, stripeClient } from './stripe.ts';

/**
 * `POST /stripe/webhook` on the root domain: the platform's Connect
 * endpoint, for every business's account. Only the raw body is verified
 * (`express.raw` on this route alone, mounted before any body parser), with
 * STRIPE_WEBHOOK_SECRET: a forged or unsigned request gets 400 and changes
 * nothing. The event's `account` names the business.
 */
export function stripeWebhookRoutes(deps: AppDeps): Router {
  const r = Router();
  r.post('/stripe/webhook', (req, _res, next) => next(siteForHost(req.get('host'), deps.config.baseDomain).kind === 'root' ? undefined : 'router'),
    express.raw({ type: () => true, limit: '512kb' }), async (req, res) => {
      const stripe = stripeClient(deps.config);
      if (!stripe) return void res.status(404).type('application/problem+json').json({ title: 'Not found', status: 404, detail: 'Stripe is not configured.' });
      let event: Stripe.Event;
      try {
        const body = Buffer.isBuffer(req.body) ? req.body : Buffer.alloc(0);
        event = stripe.webhooks.constructEvent(body, req.get('stripe-signature') ?? '', deps.config.stripe!.webhookSecret);
      } catch {
        return void res.status(400).type('application/problem+json').json({ title: 'Invalid signature', status: 400, detail: 'The Stripe-Signature header does not match this body.' });
      }
      await handleStripeEvent(deps, event);
      res.json({ received: true });
    });
  return r;
}

/**
 * Apply one verified event, once: its id is recorded in the same tenant
 * transaction as its effect, so an event sent again changes nothing, and
 * each effect checks the state it moves from, so events late or out of
 * order cannot move anything backwards. Events of accounts no business
 * has, and types we do not use, are acknowledged and ignored.
 */
export async function handleStripeEvent(deps: AppDeps, event: Stripe.Event): Promise<void> {
  if (!event.account) return;
  const tenantId = await tenantByStripeAccount(deps.db, event.account);
  if (!tenantId) {
    log.warn('stripe event for an account no business has', { event: event.id, account: event.account });
    return;
  }
  await withTenant(deps.db, tenantId, async (tx) => {
    if (!(await firstTimeEvent(tx, event.id, event.type, deps.now()))) return;
    await apply(deps, tx, event);
  });
}

async function apply(deps: AppDeps, tx: TenantTx, event: Stripe.Event): Promise<void> {
  switch (event.type) {
    case 'checkout.session.completed':
    case 'checkout.session.async_payment_succeeded': {
      const s = event.data.object;
      // A delayed method completes the session unpaid; its async event pays it.
      if (s.payment_status !== 'paid') return;
      const bookingId = s.metadata?.booking_id ?? s.client_reference_id;
      if (!bookingId || !isUuid(bookingId)) return;
      await paymentReceived(deps, tx, { bookingId, amount: s.amount_total ?? 0, paymentIntentId: paymentIntentOf(s), sessionId: s.id });
      return;
    }
    case 'checkout.session.async_payment_failed': {
      const s = event.data.object;
      const bookingId = s.metadata?.booking_id ?? s.client_reference_id;
      if (bookingId && isUuid(bookingId)) await recordPaymentEvent(tx, bookingId, 'payment_failed', deps.now(), null, 'the delayed payment failed');
      return;
    }
    case 'refund.created':
    case 'refund.updated':
    case 'refund.failed':
      await refundEvent(deps, tx, event.data.object);
      return;
    case 'charge.refunded':
      for (const refund of event.data.object.refunds?.data ?? []) await refundEvent(deps, tx, refund);
      return;
    default:
      return;
  }
}

/** Our refund is named in its metadata (booking, n): found even when the event comes before the job recorded Stripe's id. */
async function refundEvent(deps: AppDeps, tx: TenantTx, refund: Stripe.Refund): Promise<void> {
  const bookingId = refund.metadata?.booking_id;
  const n = Number(refund.metadata?.refund_n);
  if (!bookingId || !isUuid(bookingId) || !Number.isInteger(n) || n < 1) return;
  await refundMoved(deps, tx, bookingId, n, { status: refundStatus(refund.status), id: refund.id, error: refund.failure_reason ?? null });
}
