import { Router } from 'express';
import type { AppDeps } from '../deps.ts';
import { withTenant } from '../db/tenant.ts';
import { fieldErrors, formValues } from '../http/forms.ts';
import { requireRole } from '../http/guards.ts';
import { useTenant } from '../http/host.ts';
import { recentOutbox } from '../mail/outbox.ts';
import { BookingPageForm, Branding, NotificationSettingsForm } from '../tenancy/commands.ts';
import { currentTenant, updateBookingPageSettings, updateBranding, updateContact, updateNotificationSettings } from '../tenancy/queries.ts';
import { ContactForm } from '../tenancy/contact.ts';
import { PolicyForm } from '../tenancy/policy.ts';
import { recentNotifications, type NotificationStatus } from '../notifications/queries.ts';
import { messageStatusLabel } from '../notifications/status.ts';
import { outboxMessage } from '../mail/outbox.ts';
import { notFound } from '../http/errors.ts';
import { uuidParam } from '../http/params.ts';
import { TIME_ZONES } from '../tenancy/timezones.ts';
import type { Tenant } from '../tenancy/queries.ts';
import { developerRoutes } from './developers.ts';
import { accountRoutes } from '../auth/account-routes.ts';
import { mailStanding } from '../auth/email-verification.ts';
import { resendVerificationRoutes } from '../auth/verify-routes.ts';
import { adminBookingRoutes } from './bookings.ts';
import { adminWaitlistRoutes } from './waitlist.ts';
import { blockRoutes } from './blocks.ts';
import { staffRoutes } from './staff.ts';
import { catalogRoutes } from './catalog.ts';
import { newBookingRoutes } from './new-booking.ts';
import { audit, recentAudit } from '../audit/log.ts';
import { BLOCKING_STATUSES } from '../bookings/model.ts';
import { addDays, longDate } from '../bookings/present.ts';
import { mondayOf } from './time-grid.ts';
import { takings } from '../payments/queries.ts';
import { formatMinor } from '../payments/money.ts';
import { dayInstantRange, formatInZoneWithName, localDate } from '../scheduling/index.ts';
import { bookingsStartingOn } from './booking-queries.ts';
import { calendarAdminRoutes } from '../calendars/routes.ts';
import { calendarAttention } from '../calendars/queries.ts';
import { scopeResources } from './scope.ts';

/**
 * The dashboard. Mounted behind `requireUser` in src/http/app.ts: every route
 * here already has a signed-in user of this tenant; role rules are per route.
 */
export function adminRoutes(deps: AppDeps): Router {
  const r = Router();
  const managers = requireRole('owner', 'admin');
  // Settings are edited and shown here: the tenant as it is now, not the
  // routing copy that may be a moment old (a form opened on a stale copy
  // would save old values back).
  r.use(async (_req, res, next) => {
    useTenant(res, await withTenant(deps.db, (res.locals.tenant as Tenant).id, currentTenant));
    next();
  });

  // "Today" is the business's calendar day, across the resources the user may see (staff: their own);
  // each time in its resource's zone, the next booking still going ahead marked.
  r.get('/', async (req, res) => {
    const tenant = res.locals.tenant as Tenant;
    const now = deps.now().getTime();
    const today = localDate(now, tenant.timeZone);
    const manager = req.user!.role !== 'staff';
    const monday = mondayOf(today);
    const viewer = { id: req.user!.id, role: req.user!.role };
    const { rows, week, calendars, requests } = await withTenant(deps.db, tenant.id, async (tx) => ({
      rows: await bookingsStartingOn(tx, viewer, today, tenant.timeZone),
      // This week's takings and refunds (Monday to Monday in the business's zone), for owners and admins.
      week: manager ? await takings(tx, new Date(dayInstantRange(monday, tenant.timeZone).start), new Date(dayInstantRange(addDays(monday, 7), tenant.timeZone).start)) : [],
      calendars: await calendarAttention(tx, (await scopeResources(tx, viewer).select('id')).map((r: { id: string }) => r.id)),
      // Requests waiting for an owner's or admin's answer, whenever they are for.
      requests: manager ? Number((await tx('bookings').where({ status: 'pending' }).count<{ n: string }[]>('* as n'))[0]!.n) : 0,
    }));
    const next = rows.find((b) => b.starts_at.getTime() >= now && BLOCKING_STATUSES.includes(b.status));
    res.render('admin/dashboard', {
      title: 'Dashboard',
      calendars,
      requests,
      requestsHref: `/admin/bookings?status=pending&from=${today}&to=${addDays(today, 365)}`,
      todayLabel: longDate(dayInstantRange(today, tenant.timeZone).start + 43_200_000, tenant.timeZone),
      bookings: rows.map((b) => ({
        // On the business's clock, with the resource's own beside it when it works in another zone.
        id: b.id, time: formatInZoneWithName(b.starts_at.getTime(), tenant.timeZone), customer: b.customer_name, service: b.service_name,
        resourceTime: b.resource_time_zone === tenant.timeZone ? '' : formatInZoneWithName(b.starts_at.getTime(), b.resource_time_zone),
        resource: b.resource_name, status: b.status, isNext: b === next,
      })),
      takings: week.map((w) => ({ paid: formatMinor(w.paid, w.currency), refunded: formatMinor(w.refunded, w.currency) })),
    });
  });

  const notificationValues = (t: Tenant) => ({
    reminderHours: t.reminderOffsets.map((m) => String(m / 60)).join(', '),
    notificationEmail: t.notificationEmail ?? '',
    cutoffHours: String(t.changeCutoffMinutes / 60),
    customersMayCancel: t.customersMayCancel ? 'on' : '',
    customersMayReschedule: t.customersMayReschedule ? 'on' : '',
  });
  const pageValues = (t: Tenant) => {
    const v: Record<string, string> = {
      currency: t.currency, bookingIntro: t.bookingIntro, sameDayPercent: t.cancellationPolicy.sameDayRefundPercent?.toString() ?? '',
      customerDayCap: t.maxOnlineBookingsPerCustomerDay?.toString() ?? '',
    };
    t.cancellationPolicy.tiers.forEach((tier, i) => {
      v[`tier${i}Hours`] = String(tier.hoursBefore);
      v[`tier${i}Percent`] = String(tier.refundPercent);
    });
    return v;
  };
  /**
   * Settings are saved a group at a time (one form, one save each): a form
   * names its `group`, and the fields of the other groups keep their saved
   * values. A body without a group (the API-like whole form) sets them all.
   * A checkbox left unticked is absent from its form: absent means off.
   */
  const GROUPS: Record<string, Record<string, string[]>> = {
    notifications: { reminders: ['reminderHours', 'notificationEmail'], rules: ['cutoffHours', 'customersMayCancel', 'customersMayReschedule'] },
    page: {
      page: ['currency', 'bookingIntro', 'customerDayCap'],
      policy: ['tier0Hours', 'tier0Percent', 'tier1Hours', 'tier1Percent', 'tier2Hours', 'tier2Percent', 'sameDayPercent'],
    },
  };
  const oneGroup = (form: keyof typeof GROUPS, body: Record<string, unknown>, saved: Record<string, string>): Record<string, unknown> => {
    const groups = GROUPS[form]!;
    const keys = typeof body.group === 'string' && Object.hasOwn(groups, body.group) ? groups[body.group] : undefined;
    if (!keys) return body;
    return { ...saved, ...Object.fromEntries(keys.map((k) => [k, typeof body[k] === 'string' ? body[k] : ''])) };
  };
  const settingsPage = (t: Tenant, over: Record<string, unknown> = {}) => ({
    title: 'Business settings',
    values: { name: t.name, logoUrl: t.logoUrl ?? '', accentColor: t.accentColor, timeZone: t.timeZone },
    errors: {},
    contact: { contactPhone: t.contact.phone ?? '', contactEmail: t.contact.email ?? '', contactAddress: t.contact.address ?? '' },
    contactErrors: {},
    notify: notificationValues(t),
    notifyErrors: {},
    page: pageValues(t),
    pageErrors: {},
    timeZones: TIME_ZONES,
    ...over,
  });

  r.get('/settings', managers, (_req, res) => {
    res.render('admin/settings', settingsPage(res.locals.tenant as Tenant));
  });

  r.post('/settings/booking-page', managers, async (req, res) => {
    const tenant = res.locals.tenant as Tenant;
    const body = oneGroup('page', req.body ?? {}, pageValues(tenant));
    const page = BookingPageForm.safeParse(body);
    const policy = PolicyForm.safeParse(body);
    const capText = String(body.customerDayCap ?? '').trim();
    const cap = capText === '' ? null : Number(capText);
    const capErrors: Record<string, string> = cap !== null && !(Number.isInteger(cap) && cap >= 1 && cap <= 1000)
      ? { customerDayCap: 'Leave empty for no limit, or a whole number from 1 to 1000.' } : {};
    if (!page.success || !policy.success || Object.keys(capErrors).length) {
      const errors = { ...(policy.success ? {} : fieldErrors(policy.error)), ...(page.success ? {} : fieldErrors(page.error)), ...capErrors };
      return res.status(422).render('admin/settings', settingsPage(tenant, { page: formValues(body), pageErrors: errors }));
    }
    const next = { currency: page.data.currency, bookingIntro: page.data.bookingIntro, cancellationPolicy: policy.data, maxOnlineBookingsPerCustomerDay: cap };
    await withTenant(deps.db, tenant.id, async (tx) => {
      await updateBookingPageSettings(tx, next);
      await audit(tx, { userId: req.user!.id }, {
        action: 'settings.booking_page', subjectType: 'tenant', subjectId: tenant.id,
        before: {
          currency: tenant.currency, bookingIntro: tenant.bookingIntro, cancellationPolicy: tenant.cancellationPolicy,
          maxOnlineBookingsPerCustomerDay: tenant.maxOnlineBookingsPerCustomerDay,
        },
        after: next,
      });
    });
    req.session.flash = 'Booking page settings saved.';
    res.redirect(303, '/admin/settings');
  });

  r.post('/settings/contact', managers, async (req, res) => {
    const tenant = res.locals.tenant as Tenant;
    const parsed = ContactForm.safeParse(req.body ?? {});
    if (!parsed.success) {
      return res.status(422).render('admin/settings', settingsPage(tenant, { contact: formValues(req.body), contactErrors: fieldErrors(parsed.error) }));
    }
    const next = { phone: parsed.data.contactPhone, email: parsed.data.contactEmail, address: parsed.data.contactAddress };
    await withTenant(deps.db, tenant.id, async (tx) => {
      await updateContact(tx, next);
      await audit(tx, { userId: req.user!.id }, { action: 'settings.contact', subjectType: 'tenant', subjectId: tenant.id, before: tenant.contact, after: next });
    });
    req.session.flash = 'Contact details saved.';
    res.redirect(303, '/admin/settings#contact');
  });

  r.post('/settings/notifications', managers, async (req, res) => {
    const tenant = res.locals.tenant as Tenant;
    const body = oneGroup('notifications', req.body ?? {}, notificationValues(tenant));
    const parsed = NotificationSettingsForm.safeParse(body);
    if (!parsed.success) {
      return res.status(422).render('admin/settings', settingsPage(tenant, { notify: formValues(body), notifyErrors: fieldErrors(parsed.error) }));
    }
    const n = parsed.data;
    const next = {
      reminderOffsets: n.reminderHours,
      notificationEmail: n.notificationEmail,
      changeCutoffMinutes: n.cutoffHours,
      customersMayCancel: n.customersMayCancel,
      customersMayReschedule: n.customersMayReschedule,
    };
    await withTenant(deps.db, tenant.id, async (tx) => {
      await updateNotificationSettings(tx, next);
      const before = Object.fromEntries(Object.keys(next).map((k) => [k, tenant[k as keyof typeof next]]));
      await audit(tx, { userId: req.user!.id }, { action: 'settings.notifications', subjectType: 'tenant', subjectId: tenant.id, before, after: next });
    });
    req.session.flash = 'Notification settings saved. New reminder times apply to bookings made or moved from now on.';
    res.redirect(303, '/admin/settings');
  });

  r.post('/settings', managers, async (req, res) => {
    const parsed = Branding.safeParse(req.body ?? {});
    if (!parsed.success) {
      return res.status(422).render('admin/settings', settingsPage(res.locals.tenant as Tenant, { values: formValues(req.body), errors: fieldErrors(parsed.error) }));
    }
    const tenant = res.locals.tenant as Tenant;
    await withTenant(deps.db, tenant.id, async (tx) => {
      await updateBranding(tx, parsed.data);
      const before = { name: tenant.name, logoUrl: tenant.logoUrl, accentColor: tenant.accentColor, timeZone: tenant.timeZone };
      await audit(tx, { userId: req.user!.id }, { action: 'settings.branding', subjectType: 'tenant', subjectId: tenant.id, before, after: parsed.data });
    });
    req.session.flash = 'Settings saved.';
    res.redirect(303, '/admin/settings');
  });

  r.get('/outbox', managers, async (_req, res) => {
    const { messages, notifications, standing } = await withTenant(deps.db, (res.locals.tenant as Tenant).id, async (tx) => ({
      messages: await recentOutbox(tx),
      notifications: await recentNotifications(tx),
      standing: await mailStanding(tx),
    }));
    res.render('admin/outbox', {
      title: 'Messages', messages, notifications, standing, allowance: deps.config.mailUnverifiedAllowance, provider: deps.config.sendgridApiKey ? 'SendGrid' : null,
      statusLabel: (s: NotificationStatus) => messageStatusLabel(s, Boolean(deps.config.sendgridApiKey)),
    });
  });
  r.use(resendVerificationRoutes(deps));

  // A stored message's HTML, as its recipient would see it: served alone under
  // a sandboxing CSP (no scripts, no same-origin), inline styles allowed.
  r.get('/outbox/:id/html', managers, async (req, res) => {
    const id = uuidParam(req.params.id);
    const m = await withTenant(deps.db, (res.locals.tenant as Tenant).id, (tx) => outboxMessage(tx, id));
    if (!m?.html_body) throw notFound('No such message.');
    res
      .set('Content-Security-Policy', "sandbox; default-src 'none'; img-src https: data:; style-src 'unsafe-inline'")
      .type('html')
      .send(m.html_body);
  });

  r.use('/account', accountRoutes(deps));
  r.use('/developers', developerRoutes(deps));
  r.use(newBookingRoutes(deps)); // before adminBookingRoutes: /bookings/new is not a booking id
  r.use(adminBookingRoutes(deps));
  r.use(adminWaitlistRoutes(deps));
  r.use(blockRoutes(deps));
  r.use(calendarAdminRoutes(deps));
  r.use('/staff', staffRoutes(deps));
  r.use(catalogRoutes(deps));

  r.get('/audit', managers, async (_req, res) => {
    const rows = await withTenant(deps.db, (res.locals.tenant as Tenant).id, (tx) => recentAudit(tx, 200));
    res.render('admin/audit', { title: 'Audit log', rows });
  });
  return r;
}
