import { Router, type Request, type Response } from 'express';
import { z } from 'zod';
import type { AppDeps } from '../deps.ts';
import { withTenant } from '../db/tenant.ts';
import { requireRole } from '../http/guards.ts';
import { uuidParam } from '../http/params.ts';
import { fieldErrors } from '../http/forms.ts';
import { log } from '../log.ts';
import { isZeroDecimal, formatMinor } from '../payments/money.ts';
import { venueReason } from '../payments/plan.ts';
import { onboardingLink, refreshAccount, StripeUnavailable } from '../payments/connect.ts';
import { refundBooking, RefundRefused } from '../payments/refunds.ts';
import { paymentOf } from '../payments/queries.ts';
import { updateHoldMinutes, type Tenant } from '../tenancy/queries.ts';
import { adminBooking } from './booking-queries.ts';
import { singleLine } from '../http/text.ts';

const HoldForm = z.object({
  holdMinutes: z.coerce.number('Enter minutes.').int('Use whole minutes.').min(30, 'At least 30 minutes: Stripe Checkout sessions live that long at least.').max(1440, 'At most 1440 minutes (24 hours).'),
});
const RefundForm = z.object({
  amount: z.string().trim().regex(/^\d{1,7}([.,]\d{1,2})?$/, 'Enter an amount like 10 or 10.50.'),
  reason: singleLine({ max: 500, required: 'Say why (the customer sees it).' }),
});

/**
 * Payments in the dashboard, for owners and admins only (staff can neither
 * refund nor connect): the Stripe connection and the hold, and refunds of
 * any amount up to what remains, with a reason.
 */
export function adminPaymentRoutes(deps: AppDeps, detail: (req: Request, res: Response, status: number, extra: Record<string, unknown>) => Promise<void>): Router {
  const r = Router();
  const managers = requireRole('owner', 'admin');
  const tenantOf = (res: Response) => res.locals.tenant as Tenant;

  function page(res: Response, status = 200, extra: Record<string, unknown> = {}) {
    const tenant = tenantOf(res);
    res.status(status).render('admin/payments', {
      title: 'Payments',
      stripeConfigured: Boolean(deps.config.stripe),
      account: tenant.stripeAccountId,
      chargesEnabled: tenant.stripeChargesEnabled,
      detailsSubmitted: tenant.stripeDetailsSubmitted,
      reason: venueReason(deps.config, tenant),
      values: { holdMinutes: String(tenant.holdMinutes) },
      errors: {},
      ...extra,
    });
  }

  r.get('/settings/payments', managers, (_req, res) => page(res));

  r.post('/settings/payments/hold', managers, async (req, res) => {
    const parsed = HoldForm.safeParse(req.body ?? {});
    if (!parsed.success) return page(res, 422, { values: { holdMinutes: String(req.body?.holdMinutes ?? '') }, errors: fieldErrors(parsed.error) });
    await withTenant(deps.db, tenantOf(res).id, (tx) => updateHoldMinutes(tx, parsed.data.holdMinutes));
    req.session.flash = 'Hold time saved.';
    res.redirect(303, '/admin/settings/payments');
  });

  const toStripe = async (req: Request, res: Response) => {
    try {
      res.redirect(303, await onboardingLink(deps, tenantOf(res)));
    } catch (err) {
      if (!(err instanceof StripeUnavailable)) log.warn('stripe onboarding failed', { error: err instanceof Error ? err.message : String(err) });
      page(res, err instanceof StripeUnavailable ? 409 : 502, { actionError: err instanceof StripeUnavailable ? err.message : 'Stripe did not answer. Please try again in a moment.' });
    }
  };
  r.post('/settings/payments/connect', managers, toStripe);
  // Stripe sends the owner here when a link has expired or was used: a new one.
  r.get('/settings/payments/refresh', managers, toStripe);
  r.get('/settings/payments/return', managers, async (req, res) => {
    try {
      const t = await refreshAccount(deps, tenantOf(res).id);
      req.session.flash = t.stripeChargesEnabled ? 'Stripe is connected: paid services now take payment online.' : 'Stripe is connected, but cannot take charges yet: finish the details Stripe asks for.';
    } catch (err) {
      req.session.flash = err instanceof StripeUnavailable ? err.message : 'Could not read your Stripe account just now; try again.';
    }
    res.redirect(303, '/admin/settings/payments');
  });

  r.post('/bookings/:id/refunds', managers, async (req, res) => {
    const id = uuidParam(req.params.id, 'No such booking.');
    const viewer = { id: req.user!.id, role: req.user!.role };
    const payment = await withTenant(deps.db, tenantOf(res).id, async (tx) => ((await adminBooking(tx, viewer, id)) ? paymentOf(tx, id) : null));
    const parsed = RefundForm.safeParse(req.body ?? {});
    if (!parsed.success) return detail(req, res, 422, { refundErrors: fieldErrors(parsed.error) });
    const major = Number(parsed.data.amount.replace(',', '.'));
    const amount = payment && isZeroDecimal(payment.currency) ? Math.round(major) : Math.round(major * 100);
    try {
      const made = await refundBooking(deps, tenantOf(res).id, { source: 'admin', userId: req.user!.id }, { bookingId: id, amount, reason: parsed.data.reason });
      req.session.flash = `Refund of ${formatMinor(made.amount, made.currency)} queued; the customer is mailed when Stripe has made it.`;
      res.redirect(303, `/admin/bookings/${id}`);
    } catch (err) {
      if (err instanceof RefundRefused) return detail(req, res, 422, { refundErrors: { amount: err.message } });
      throw err;
    }
  });

  return r;
}
