import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApp } from '../../src/http/app.ts';
import { withTenant } from '../../src/db/tenant.ts';
import { hashPassword } from '../../src/auth/passwords.ts';
import { insertUser } from '../../src/auth/queries.ts';
import { createBooking } from '../../src/bookings/service.ts';
import type { AppDeps } from '../../src/deps.ts';
import { createTestDb, TestClock, testDeps, type TestDb } from '../support/db.ts';
import { makeTenant, signedIn, type Client } from '../support/http.ts';
import { makeResource, makeService } from '../support/catalog.ts';

/**
 * The dashboard's "Today": the business's calendar day in New York (here
 * 05:00Z Tuesday to 05:00Z Wednesday), whatever the server's zone, and
 * only what the viewer may see.
 */
let t: TestDb;
let deps: AppDeps;
let app: ReturnType<typeof createApp>;
let tenantId: string;
const HOST = 'today.slotwise.test';
const clock = new TestClock(Date.parse('2026-03-02T12:00:00Z'));
// Tuesday 2026-03-03, 9:00 AM in New York.
const NOW = '2026-03-03T14:00:00Z';

beforeAll(async () => {
  t = await createTestDb();
  deps = testDeps(t, clock, { RATE_LIMIT_MULTIPLIER: '100' });
  app = createApp(deps);
  tenantId = (await makeTenant(deps, 'today', { email: 'owner@today.example', timeZone: 'America/New_York' })).tenant.id;
  const sam = await withTenant(deps.db, tenantId, async (tx) =>
    insertUser(tx, { email: 'sam@today.example', name: 'Sam Staff', role: 'staff', passwordHash: await hashPassword('correct-horse-battery') }));
  const allDay: [string, string][] = [['00:00', '24:00']];
  const samsChair = (await makeResource(deps, tenantId, "Sam's chair", 'America/New_York', allDay, 1)).id;
  const otherChair = (await makeResource(deps, tenantId, 'Other chair', 'America/New_York', allDay, 2)).id;
  const london = (await makeResource(deps, tenantId, 'London desk', 'Europe/London', allDay, 3)).id;
  await t.owner('resources').where({ id: samsChair }).update({ user_id: sam.id });
  const service = (await makeService(deps, tenantId, [samsChair, otherChair, london], { name: 'Cut' })).id;
  const book = async (resourceId: string, start: string, name: string) =>
    (await createBooking(deps, tenantId, { source: 'public', userId: null }, {
      serviceId: service, resourceId, start: Date.parse(start), customer: { name, email: 'c@example.com', phone: null, timeZone: 'UTC' }, notes: null,
    })).booking.id;
  await book(otherChair, '2026-03-03T04:00:00Z', 'Yuri Yesterday'); // 11:00 PM Monday in New York
  await book(samsChair, '2026-03-03T13:00:00Z', 'Early Ed'); // 8:00 AM, before now
  const carl = await book(otherChair, '2026-03-03T14:30:00Z', 'Carl Cancelled'); // 9:30 AM, cancelled below
  await book(otherChair, '2026-03-03T15:00:00Z', 'Tara Today'); // 10:00 AM: the next one going ahead
  await book(london, '2026-03-03T16:00:00Z', 'Lou London'); // 4:00 PM in London
  await book(samsChair, '2026-03-03T19:00:00Z', 'Mia Mine'); // 2:00 PM
  await book(otherChair, '2026-03-04T03:00:00Z', 'Nina Night'); // 10:00 PM Tuesday in New York, Wednesday in UTC
  await book(otherChair, '2026-03-04T15:00:00Z', 'Tom Tomorrow');
  const owner = await signedIn(app, HOST, 'owner@today.example');
  expect((await owner.post(`/admin/bookings/${carl}/cancel`, { reason: 'Flu', confirm: 'yes' })).status).toBe(303);
  clock.set(NOW);
});
afterAll(() => t.drop());

/** The customers listed under "Today", in order, and the one marked next. */
function today(html: string) {
  const list = /<ol class="rows today__list">([\s\S]*?)<\/ol>/.exec(html)?.[1] ?? '';
  const items = [...list.matchAll(/<li class="([^"]+)"[\s\S]*?<\/li>/g)];
  const customer = (li: string) => /<\/strong> · ([^<]+)<br>/.exec(li)?.[1]?.trim();
  return {
    customers: items.map((m) => customer(m[0])),
    next: items.filter((m) => m[1]!.includes('today__booking--next')).map((m) => customer(m[0])),
    item: (name: string) => items.find((m) => customer(m[0]) === name)?.[0] ?? '',
  };
}

describe('today on the dashboard', () => {
  let owner: Client;
  beforeAll(async () => {
    owner = await signedIn(app, HOST, 'owner@today.example');
  });

  it("lists the owner every booking of the business's day in time order, and none of another day", async () => {
    const page = await owner.get('/admin');
    expect(page.status).toBe(200);
    expect(page.text).toContain('Tuesday, March 3, 2026');
    const list = today(page.text);
    expect(list.customers).toEqual(['Early Ed', 'Carl Cancelled', 'Tara Today', 'Lou London', 'Mia Mine', 'Nina Night']);
    expect(page.text).not.toContain('Yuri Yesterday');
    expect(page.text).not.toContain('Tom Tomorrow');
  });

  it("shows each time on the business's clock (the resource's beside it), the service, the status and a link to the booking", async () => {
    const list = today((await owner.get('/admin')).text);
    const tara = await t.owner('bookings').where({ customer_name: 'Tara Today' }).first();
    expect(list.item('Tara Today')).toContain(`href="/admin/bookings/${tara.id}"`);
    expect(list.item('Tara Today')).toContain('<strong>10:00 AM EST</strong>');
    expect(list.item('Tara Today')).toContain('Cut with Other chair');
    expect(list.item('Tara Today')).toContain('<span class="badge badge--confirmed">confirmed</span>');
    // One clock for the list (issue 19): 4:00 PM in London is 11:00 AM here, London's time beside it.
    expect(list.item('Lou London')).toContain('<strong>11:00 AM EST</strong>');
    expect(list.item('Lou London')).toContain('Cut with London desk (4:00 PM GMT there)');
    expect(list.item('Tara Today')).not.toContain(' there)');
    expect(list.item('Nina Night')).toContain('<strong>10:00 PM EST</strong>');
    expect(list.item('Carl Cancelled')).toContain('<span class="badge badge--cancelled">cancelled</span>');
  });

  it('marks the next booking still going ahead: not one already started, not a cancelled one', async () => {
    const list = today((await owner.get('/admin')).text);
    expect(list.next).toEqual(['Tara Today']);
    expect(list.item('Tara Today')).toContain('aria-current="time"');
    expect(list.item('Tara Today')).toContain('<span class="badge badge--next">Next</span>');
    clock.set('2026-03-03T15:10:00Z'); // Tara has started: Lou is next
    try {
      expect(today((await owner.get('/admin')).text).next).toEqual(['Lou London']);
    } finally {
      clock.set(NOW);
    }
  });

  it("shows staff only their own resource's bookings", async () => {
    const staff = await signedIn(app, HOST, 'sam@today.example');
    const page = await staff.get('/admin');
    expect(page.status).toBe(200);
    const list = today(page.text);
    expect(list.customers).toEqual(['Early Ed', 'Mia Mine']);
    expect(list.next).toEqual(['Mia Mine']);
    for (const name of ['Tara Today', 'Lou London', 'Carl Cancelled', 'Nina Night']) expect(page.text).not.toContain(name);
  });

  it('says so when the day has no bookings, and links to making one', async () => {
    clock.set('2026-03-10T14:00:00Z');
    try {
      const page = await owner.get('/admin');
      expect(page.status).toBe(200);
      expect(page.text).toContain('Tuesday, March 10, 2026');
      expect(page.text).toContain('No bookings today.');
      expect(page.text).toContain('<a class="button button--primary" href="/admin/bookings/new">New booking</a>');
      expect(today(page.text).customers).toEqual([]);
    } finally {
      clock.set(NOW);
    }
  });
});
