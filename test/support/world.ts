import type { Express } from 'express';
import { createApiKey } from '../../src/api/keys.ts';
import { hashPassword } from '../../src/auth/passwords.ts';
import { insertUser } from '../../src/auth/queries.ts';
import { newToken, tokenDigest } from '../../src/auth/tokens.ts';
import { createBooking } from '../../src/bookings/service.ts';
import { joinWaitlist } from '../../src/waitlist/service.ts';
import { createSeries } from '../../src/series/service.ts';
import { addHoliday } from '../../src/catalog/service.ts';
import { sealGrant } from '../../src/calendars/crypto.ts';
import { withTenant } from '../../src/db/tenant.ts';
import type { AppDeps } from '../../src/deps.ts';
import { createEndpoint } from '../../src/webhooks/service.ts';
import { FakeGoogle } from '../fakes/google.ts';
import { makeResource, makeService } from './catalog.ts';
import { makeTenant, signedIn, type Client } from './http.ts';

export const PASSWORD = 'correct-horse-battery';
/** The world's calendar grant is sealed with it: every test that seeds a world configures it. */
export const WORLD_ENCRYPTION_KEY = 'b2'.repeat(32);
/** A fixed Monday noon, UTC: the world's booking is 8 days later, well inside every cutoff. */
export const WORLD_NOW = '2026-03-02T12:00:00Z';
export const WORLD_BOOKING_START = '2026-03-10T15:00:00Z';
export const WORLD_SERIES_START = '2026-03-24T15:00:00Z';

export type Role = 'owner' | 'admin' | 'staff';

/**
 * One tenant with one of everything a route can name: people of each role
 * (and a spare one to invite, remove or promote), a resource linked to the
 * staff member, a service, a holiday, a date override, a blocked time, an
 * API key, a webhook endpoint, an open invitation and a booking with its
 * manage link. The ids fill in the `:params` of every route.
 */
export interface World {
  slug: string;
  host: string;
  tenantId: string;
  emails: Record<Role | 'spare', string>;
  ids: {
    resource: string;
    service: string;
    holiday: string;
    block: string;
    apiKey: string;
    webhook: string;
    invitation: string;
    spareUser: string;
    adminUser: string;
    booking: string;
    outbox: string;
    /** A Google Calendar connection of the resource, with one calendar ('primary'). */
    connection: string;
    ics: string;
    waitlist: string;
    /** A series of two occurrences (the first's manage link is `seriesManageToken`). */
    series: string;
    seriesBooking: string;
  };
  waitlistToken: string;
  overrideDate: string;
  apiKey: string;
  manageToken: string;
  seriesManageToken: string;
  inviteToken: string;
}

export async function seedWorld(deps: AppDeps, slug: string, opts: { names?: Partial<Record<'resource' | 'service' | 'holiday' | 'block' | 'customer' | 'notes', string>> } = {}): Promise<World> {
  const names = { resource: 'Robin', service: 'Haircut', holiday: 'Closed day', block: 'Lunch', customer: 'Kim Lee', notes: 'Window seat', ...opts.names };
  const emails = { owner: `owner@${slug}.example`, admin: `admin@${slug}.example`, staff: `staff@${slug}.example`, spare: `spare@${slug}.example` };
  const { tenant, owner } = await makeTenant(deps, slug, { email: emails.owner, password: PASSWORD });
  const hash = await hashPassword(PASSWORD);
  const people = await withTenant(deps.db, tenant.id, async (tx) => ({
    admin: await insertUser(tx, { email: emails.admin, name: 'Ada Admin', role: 'admin', passwordHash: hash }),
    staff: await insertUser(tx, { email: emails.staff, name: 'Sam Staff', role: 'staff', passwordHash: hash }),
    spare: await insertUser(tx, { email: emails.spare, name: 'Spare Staff', role: 'staff', passwordHash: hash }),
  }));
  const resource = await makeResource(deps, tenant.id, names.resource, 'America/New_York', [['09:00', '17:00']]);
  // The staff member's own resource: their bookings, and the staff copy of every booking message.
  await withTenant(deps.db, tenant.id, (tx) => tx('resources').where({ id: resource.id }).update({ user_id: people.staff.id }));
  const service = await makeService(deps, tenant.id, [resource.id], { name: names.service, durationMin: 60, intervalMin: 60, allowSeries: true });
  await addHoliday(deps, tenant.id, { name: names.holiday, start: '2026-12-25', end: '2026-12-25' });
  const overrideDate = '2026-04-01';
  const { booking, manageToken } = await createBooking(deps, tenant.id, { source: 'public', userId: null }, {
    serviceId: service.id, resourceId: resource.id, start: Date.parse(WORLD_BOOKING_START),
    customer: { name: names.customer, email: `customer@${slug}.example`, phone: '+1 555 010 9999', timeZone: 'Europe/London' }, notes: names.notes,
  });
  // Two Tuesdays at 11:00 New York: a series, for the routes that name one.
  const series = await createSeries(deps, tenant.id, { source: 'api', userId: null }, {
    serviceId: service.id, resourceId: resource.id, start: Date.parse(WORLD_SERIES_START), recurrence: { frequency: 'weekly', interval: 1, count: 2 },
    customer: { name: names.customer, email: `series@${slug}.example`, phone: null, timeZone: 'Europe/London' }, notes: names.notes,
  }, 'fail');
  const apiKey = await createApiKey(deps, tenant.id, 'Website');
  // A customer waiting for the service, with the link they were mailed.
  const waiting = await joinWaitlist(deps, tenant.id, 'public', {
    serviceId: service.id, resourceId: null, fromDate: '2026-03-20', toDate: '2026-03-27', window: null,
    customer: { name: names.customer, email: `waiting@${slug}.example`, phone: null, timeZone: 'America/New_York' },
  });
  const inviteToken = newToken();
  const rest = await withTenant(deps.db, tenant.id, async (tx) => {
    await tx('date_overrides').insert({ tenant_id: tx.tenantId, resource_id: resource.id, date: overrideDate });
    const [block] = await tx('busy_blocks')
      .insert({ tenant_id: tx.tenantId, resource_id: resource.id, during: tx.raw(`tstzrange('2026-03-11T16:00:00Z', '2026-03-11T17:00:00Z', '[)')`), source: 'admin', label: names.block })
      .returning('id');
    const [inv] = await tx('invitations')
      .insert({ tenant_id: tx.tenantId, email: `invited@${slug}.example`, role: 'staff', token_hash: tokenDigest(deps.config.sessionSecret, inviteToken), expires_at: new Date(Date.parse(WORLD_NOW) + 7 * 86_400_000) })
      .returning('id');
    const { endpoint } = await createEndpoint(tx, { url: `https://hooks.${slug}.example/in`, events: ['booking.created'], description: 'CRM' }, { userId: owner.id }, { config: deps.config, now: deps.now() });
    const holiday = await tx('holidays').first('id');
    const [mail] = await tx('outbox_messages')
      .insert({ tenant_id: tx.tenantId, kind: 'booking_confirmation', to_address: `customer@${slug}.example`, subject: 'Confirmed', text_body: 'Confirmed.', html_body: '<p>Confirmed.</p>' })
      .returning('id');
    const [connection] = await tx('calendar_connections')
      .insert({ tenant_id: tx.tenantId, resource_id: resource.id, provider: 'google', account: `robin@${slug}.example`, grant_sealed: sealGrant(deps.config, 'world-refresh-token') })
      .returning('id');
    await tx('calendar_calendars').insert({ tenant_id: tx.tenantId, connection_id: connection.id, calendar_id: 'primary', name: 'Robin', time_zone: 'America/New_York', blocks: true, receives: true });
    const [ics] = await tx('ics_subscriptions').insert({ tenant_id: tx.tenantId, resource_id: resource.id, url: `https://ics.${slug}.example/cal.ics` }).returning('id');
    return {
      block: block.id as string, invitation: inv.id as string, webhook: endpoint.id, holiday: holiday.id as string, outbox: mail.id as string,
      connection: connection.id as string, ics: ics.id as string,
    };
  });
  return {
    slug,
    host: `${slug}.slotwise.test`,
    tenantId: tenant.id,
    emails,
    ids: {
      resource: resource.id, service: service.id, booking: booking.id, apiKey: apiKey.info.id, spareUser: people.spare.id, adminUser: people.admin.id, series: series.series.id,
      seriesBooking: series.bookings[0]!.booking.id, waitlist: waiting.entry.id, ...rest,
    },
    waitlistToken: waiting.token,
    overrideDate,
    apiKey: apiKey.key,
    manageToken,
    seriesManageToken: series.bookings[0]!.manageToken,
    inviteToken,
  };
}

/**
 * The configuration a walk over every route needs: a calendar provider
 * (Google, pointed at a fake on 127.0.0.1, so nothing leaves the machine)
 * and the key its grants are sealed with, so the calendar routes reach
 * their real work.
 */
export async function worldEnv(): Promise<{ env: Record<string, string>; stop: () => Promise<void> }> {
  const google = await new FakeGoogle().start();
  return {
    env: {
      GOOGLE_CLIENT_ID: 'world-client', GOOGLE_CLIENT_SECRET: 'world-secret', GOOGLE_AUTH_URL: `${google.url}/auth`, GOOGLE_TOKEN_URL: `${google.url}/token`,
      GOOGLE_REVOKE_URL: `${google.url}/revoke`, GOOGLE_API_ROOT: `${google.url}/`, ENCRYPTION_KEY: WORLD_ENCRYPTION_KEY,
    },
    stop: () => google.stop(),
  };
}

/** A signed-in browser of the world's person with that role. */
export const signedInAs = (app: Express, w: World, role: Role): Promise<Client> => signedIn(app, w.host, w.emails[role], PASSWORD);

/**
 * A concrete URL for a route pattern, each `:param` filled with the world's
 * row of that kind, so that the request reaches the handler's real work.
 */
export function worldPath(pattern: string, w: World): string {
  const idFor = (prefix: string): string => {
    // The series routes of the dashboard act on an occurrence of the world's series.
    if (pattern.startsWith('/admin/bookings/') && pattern.endsWith('/cancel-series')) return w.ids.seriesBooking;
    if (pattern.startsWith('/api/v1/resources')) return w.ids.resource;
    if (pattern.startsWith('/api/v1/services')) return w.ids.service;
    if (pattern.startsWith('/api/v1/holidays')) return w.ids.holiday;
    if (pattern.startsWith('/api/v1/bookings')) return w.ids.booking;
    if (pattern.startsWith('/api/v1/webhook_endpoints')) return w.ids.webhook;
    if (pattern.startsWith('/api/v1/waitlist')) return w.ids.waitlist;
    if (pattern.startsWith('/api/v1/series')) return w.ids.series;
    const table: [string, string][] = [
      ['/admin/resources', w.ids.resource], ['/admin/services', w.ids.service], ['/admin/holidays', w.ids.holiday], ['/admin/bookings', w.ids.booking],
      ['/admin/blocks', w.ids.block], ['/admin/developers/keys', w.ids.apiKey], ['/admin/developers/webhooks', w.ids.webhook],
      ['/admin/calendars/connections', w.ids.connection], ['/admin/calendars/ics', w.ids.ics], ['/api/v1/bookings', w.ids.booking],
      ['/admin/staff/invitations', w.ids.invitation], ['/admin/staff', pattern.endsWith('/ownership') ? w.ids.adminUser : w.ids.spareUser], ['/admin/outbox', w.ids.outbox],
    ];
    const hit = table.find(([p]) => prefix.startsWith(p));
    if (!hit) throw new Error(`worldPath: no row for ${pattern}`);
    return hit[1];
  };
  return pattern
    .replace(/\{[^}]*\}/g, '')
    .replace(/:(\w+)/g, (_m, name: string, offset: number) => {
      if (name === 'token') return pattern.startsWith('/invite') ? w.inviteToken : pattern.startsWith('/manage') ? w.manageToken : pattern.startsWith('/waitlist') ? w.waitlistToken : 'no-such-token';
      if (name === 'serviceId') return w.ids.service;
      if (name === 'resourceId') return w.ids.resource;
      if (name === 'provider') return 'google';
      if (name === 'file') return 'no-such-feed.ics';
      if (name === 'date') return w.overrideDate;
      return idFor(pattern.slice(0, offset));
    });
}
