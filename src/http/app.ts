import { randomUUID } from 'node:crypto';
import { createRequire } from 'node:module';
import path from 'node:path';
import express, { type Express, type RequestHandler } from 'express';
import helmet from 'helmet';
import type { AppDeps } from '../deps.ts';
import { rootOrigin } from '../config.ts';
import { adminRoutes } from '../admin/routes.ts';
import { apiRoutes } from '../api/routes.ts';
import { createPassport } from '../auth/passport.ts';
import { authRoutes } from '../auth/routes.ts';
import { inviteRoutes } from '../auth/invite-routes.ts';
import { verifyEmailRoutes } from '../auth/verify-routes.ts';
import { rootRoutes, tenantBrandRoutes } from '../tenancy/routes.ts';
import { bookingRoutes } from '../bookings/routes.ts';
import { manageRoutes } from '../bookings/manage-routes.ts';
import { waitlistRoutes } from '../waitlist/routes.ts';
import { seriesRoutes } from '../series/routes.ts';
import { stripeWebhookRoutes } from '../payments/webhook.ts';
import { stripeOrigins } from '../payments/stripe.ts';
import { calendarPushRoutes, calendarRootRoutes, feedRoutes } from '../calendars/routes.ts';
import { csrfProtection } from './csrf.ts';
import { errorHandler, notFound } from './errors.ts';
import { onRootSite, onTenantSite, requireUser } from './guards.ts';
import { healthRoutes } from './health.ts';
import { resolveTenant } from './host.ts';
import { checkPathParams } from './params.ts';
import { sessionLifetime, sessionMiddleware } from './session.ts';
import { installViews, VIEWS_DIR } from './views.ts';
import { stamp } from '../bookings/present.ts';
import { zoneGroups } from '../tenancy/timezones.ts';

const PUBLIC_DIR = path.resolve(VIEWS_DIR, '../public');
const HTMX_DIR = path.dirname(createRequire(import.meta.url).resolve('htmx.org/dist/htmx.min.js'));

/**
 * The web application. Security is applied here, by position, not per
 * handler: /api sits behind `requireApiKey` (src/api/routes.ts), /admin behind `requireUser`,
 * and every cookie-authenticated router behind CSRF protection.
 */
export function createApp(deps: AppDeps): Express {
  const { config } = deps;
  const app = express();
  app.disable('x-powered-by');
  app.set('trust proxy', parseTrustProxy(config.trustProxy));
  installViews(app, { cache: config.env === 'production' });
  app.locals.baseDomain = config.baseDomain;
  app.locals.rootUrl = rootOrigin(config);
  // When something happened, on dashboard pages: in the business's zone (`it.tenant.timeZone`), named.
  app.locals.stamp = stamp;
  // Time zone selects: grouped by region, each zone labelled with its place and offset now.
  app.locals.zoneGroups = (zones: readonly string[], selected: string | undefined) => zoneGroups(zones, selected, deps.now().getTime());

  app.use(requestId);
  app.use(securityHeaders(deps));
  // Dashboard pages carry the business's customers and settings: no browser
  // or proxy may keep them (back button after sign-out, shared computers).
  // Here, ahead of every router, so no /admin answer (redirects and errors
  // included) can miss it.
  app.use('/admin', noStore);
  app.use('/static', express.static(PUBLIC_DIR, { maxAge: config.env === 'production' ? '1h' : 0 }));
  app.use('/vendor/htmx', express.static(HTMX_DIR, { maxAge: '1d' }));
  // Every page links the SVG icon; browsers that ask for /favicon.ico anyway are sent to it.
  app.get('/favicon.ico', (_req, res) => res.set('Cache-Control', 'public, max-age=86400').redirect(301, '/static/favicon.svg'));
  app.use(healthRoutes(deps));
  // The API key, not the Host header, decides an API request's tenant.
  app.use('/api', apiRoutes(deps));
  // Stripe's signature, not a cookie, authenticates its webhook; it needs the raw body.
  app.use(stripeWebhookRoutes(deps));
  // Calendar providers' push notifications: no cookies, no CSRF token; verified by their channel token.
  app.use(calendarPushRoutes(deps));
  app.use(resolveTenant(deps));

  const passport = createPassport(deps);
  app.use(express.urlencoded({ extended: false, limit: '64kb' }));
  app.use(sessionMiddleware(deps));
  app.use(passport.initialize());
  app.use(passport.session());
  app.use(sessionLifetime());
  app.use(csrfProtection({ secret: config.sessionSecret, secure: config.scheme === 'https', expectedOrigin: (req) => `${config.scheme}://${req.host}` }));
  app.use(templateLocals);

  const root = express.Router();
  root.use(onRootSite, rootRoutes(deps));
  root.use(onRootSite, calendarRootRoutes(deps));
  app.use(root);

  const tenant = express.Router();
  tenant.use(onTenantSite);
  tenant.use(tenantBrandRoutes());
  // Before the booking routes: it answers the details form when "Repeat weekly" is ticked.
  tenant.use(seriesRoutes(deps));
  tenant.use(bookingRoutes(deps));
  tenant.use(manageRoutes(deps));
  tenant.use(waitlistRoutes(deps));
  tenant.use(feedRoutes(deps));
  tenant.use(authRoutes(deps, passport));
  tenant.use(inviteRoutes(deps));
  tenant.use(verifyEmailRoutes(deps));
  tenant.use('/admin', requireUser, adminRoutes(deps));
  app.use(tenant);

  app.use(() => {
    throw notFound();
  });
  app.use(errorHandler);
  // Last, so that it reaches every router mounted above.
  checkPathParams(app);
  return app;
}

const noStore: RequestHandler = (_req, res, next) => {
  res.set('Cache-Control', 'no-store');
  next();
};

const requestId: RequestHandler = (req, res, next) => {
  const incoming = req.get('X-Request-Id');
  res.locals.requestId = incoming && /^[\w-]{8,64}$/.test(incoming) ? incoming : randomUUID();
  res.set('X-Request-Id', res.locals.requestId as string);
  next();
};

const templateLocals: RequestHandler = (req, res, next) => {
  res.locals.user = req.user;
  res.locals.path = req.path;
  if (req.session.flash && req.method === 'GET' && !res.locals.flashForNextPage) {
    res.locals.flash = req.session.flash;
    delete req.session.flash;
  }
  res.set('Vary', 'HX-Request');
  next();
};

function securityHeaders(deps: AppDeps): RequestHandler {
  const https = deps.config.scheme === 'https';
  // Sign-up posts on the root domain and is redirected to the new tenant's subdomain.
  const tenants = `${deps.config.scheme}://*.${deps.config.baseDomain}`;
  return helmet({
    contentSecurityPolicy: {
      useDefaults: true,
      directives: {
        'default-src': ["'self'"],
        'script-src': ["'self'"],
        'style-src': ["'self'"],
        'img-src': ["'self'", 'data:', 'https:'],
        // Booking a paid service, and connecting Stripe, end in a redirect to Stripe's pages.
        'form-action': ["'self'", tenants, ...stripeOrigins(deps.config)],
        'frame-ancestors': ["'none'"],
        'upgrade-insecure-requests': https ? [] : null,
      },
    },
    strictTransportSecurity: https ? { maxAge: 15552000, includeSubDomains: true } : false,
    referrerPolicy: { policy: 'same-origin' },
  });
}

function parseTrustProxy(value: string): boolean | number | string {
  if (value === 'true') return true;
  if (value === 'false') return false;
  if (/^\d+$/.test(value)) return Number(value);
  return value;
}
