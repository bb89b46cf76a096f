import ICAL from 'ical.js';
import { describe, expect, it } from 'vitest';
import type { Booking } from '../../src/bookings/model.ts';
import type { Resource, Service } from '../../src/catalog/queries.ts';
import { renderSeriesMessage } from '../../src/notifications/series-render.ts';
import type { Tenant } from '../../src/tenancy/queries.ts';

const tenant = { id: 't1', slug: 'studio', name: 'Studio & Co', accentColor: '#334155', timeZone: 'America/New_York' } as unknown as Tenant;
const service = { id: 's1', name: 'Lesson', durationMin: 60 } as unknown as Service;
const resource = { id: 'r1', name: 'Nora', timeZone: 'America/New_York' } as unknown as Resource;
const customer = { name: "Sam O'Neil", email: 'sam@example.com', phone: null, timeZone: 'America/New_York' };
const occurrence = (id: string, start: string): Booking =>
  ({ id, start: new Date(start), end: new Date(Date.parse(start) + 3_600_000), sequence: 0, status: 'confirmed', customer }) as unknown as Booking;
// Mondays at 10:00 New York across the spring-forward change.
const occurrences = [occurrence('b1', '2027-03-08T15:00:00Z'), occurrence('b2', '2027-03-15T14:00:00Z'), occurrence('b3', '2027-03-22T14:00:00Z')];

const render = (kind: 'series_confirmation' | 'series_cancelled' | 'staff_series_created') =>
  renderSeriesMessage({ kind, tenant, service, resource, customer, occurrences, interval: 1, manageUrl: 'https://studio.slotwise.test/manage/tok', mailFrom: 'Bookings <b@slotwise.test>', now: new Date('2027-03-01T12:00:00Z') });

describe('the one message of a series', () => {
  it('lists every occurrence at its local time, each on its own line', () => {
    const m = render('series_confirmation');
    expect(m.subject).toBe('Confirmed: Lesson, 3 times from March 8, 2027');
    expect(m.text).toContain('Every week, 3 times:\n- Monday, March 8, 2027, 10:00 AM EST\n- Monday, March 15, 2027, 10:00 AM EDT\n- Monday, March 22, 2027, 10:00 AM EDT\n');
    expect(m.text).toContain('https://studio.slotwise.test/manage/tok');
    expect(m.html).toContain('Studio &amp; Co');
  });

  it('attaches one .ics with a VEVENT per occurrence, each its booking\'s UID', () => {
    const [ics] = render('series_confirmation').attachments;
    const cal = new ICAL.Component(ICAL.parse(ics!.content));
    expect(cal.getFirstPropertyValue('method')).toBe('REQUEST');
    const events = cal.getAllSubcomponents('vevent').map((v) => new ICAL.Event(v));
    expect(events.map((e) => e.uid)).toEqual(['b1@slotwise', 'b2@slotwise', 'b3@slotwise']);
    expect(events.map((e) => e.startDate.toJSDate().toISOString())).toEqual(['2027-03-08T15:00:00.000Z', '2027-03-15T14:00:00.000Z', '2027-03-22T14:00:00.000Z']);
  });

  it('cancels with METHOD:CANCEL for the same UIDs, and staff get no attachment', () => {
    const [ics] = render('series_cancelled').attachments;
    const cal = new ICAL.Component(ICAL.parse(ics!.content));
    expect(cal.getFirstPropertyValue('method')).toBe('CANCEL');
    expect(cal.getAllSubcomponents('vevent')).toHaveLength(3);
    const staff = render('staff_series_created');
    expect(staff.attachments).toEqual([]);
    expect(staff.text).toContain("Customer: Sam O'Neil <sam@example.com>\n");
  });
});
