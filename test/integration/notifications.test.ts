import ICAL from 'ical.js';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { withTenant } from '../../src/db/tenant.ts';
import { hashPassword } from '../../src/auth/passwords.ts';
import { insertUser } from '../../src/auth/queries.ts';
import { createBooking } from '../../src/bookings/service.ts';
import { cancelBooking, rescheduleBooking } from '../../src/bookings/service.ts';
import type { AppDeps } from '../../src/deps.ts';
import { createTestDb, TestClock, testDeps, type TestDb } from '../support/db.ts';
import { makeTenant } from '../support/http.ts';
import { makeResource, makeService } from '../support/catalog.ts';
import { runJobs } from '../support/jobs.ts';
import { FakeSendGrid } from '../fakes/sendgrid.ts';

let t: TestDb;
let deps: AppDeps;
let tenantId: string;
let serviceId: string;
const clock = new TestClock(Date.parse('2026-03-02T12:00:00Z'));
const HOUR = 3600_000;

beforeAll(async () => {
  t = await createTestDb();
  deps = testDeps(t, clock);
  const made = await makeTenant(deps, 'notify', { timeZone: 'America/New_York' });
  tenantId = made.tenant.id;
  const staff = await withTenant(deps.db, tenantId, async (tx) => insertUser(tx, { email: 'nia@notify.example', name: 'Nia', role: 'staff', passwordHash: await hashPassword('correct-horse-battery') }));
  const resource = await makeResource(deps, tenantId, 'Nia', 'America/New_York', [['00:00', '24:00']]);
  await t.owner('resources').where({ id: resource.id }).update({ user_id: staff.id });
  await t.owner('tenants').where({ id: tenantId }).update({ notification_email: 'desk@notify.example' });
  serviceId = (await makeService(deps, tenantId, [resource.id], { name: 'Consultation', horizonDays: 365 })).id;
});
afterAll(() => t.drop());
afterEach(() => {
  vi.useRealTimers();
});

/** Move the app's clock and the worker's ("due" = process time with useNodeTime) together. */
function at(iso: string | number): void {
  clock.set(new Date(iso));
  vi.useFakeTimers({ toFake: ['Date'] });
  vi.setSystemTime(clock.now());
}

const book = (start: string, email = 'casey@example.com', zone = 'America/Los_Angeles') =>
  createBooking(deps, tenantId, { source: 'public', userId: null }, {
    serviceId, resourceId: null, start: Date.parse(start), customer: { name: 'Casey', email, phone: null, timeZone: zone }, notes: null,
  });

const sentTo = async (email: string, kind: string) =>
  (await t.owner('outbox_messages').where({ to_address: email, kind }).orderBy('created_at')).map((m) => m as { subject: string; text_body: string; html_body: string });

async function work(): Promise<void> {
  await runJobs(t, deps, { useNodeTime: true });
}

describe('booking notifications through the worker, with a controllable clock', () => {
  it('confirms at once, reminds 24 h and 1 h before exactly once, follows a reschedule, and stops after a cancel', async () => {
    at('2026-03-02T12:00:00Z');
    const { booking } = await book('2026-03-05T15:00:00Z');
    await work();
    const confirmation = await sentTo('casey@example.com', 'booking_confirmation');
    expect(confirmation).toHaveLength(1);
    expect(confirmation[0]!.text_body).toContain('Thursday, March 5, 2026, 7:00 AM PST');
    expect(confirmation[0]!.text_body).toContain('Times in America/Los_Angeles');
    expect(confirmation[0]!.text_body).toMatch(/http:\/\/notify\.slotwise\.test\/manage\/\S+/);
    expect(confirmation[0]!.html_body).toContain('Change or cancel');
    // Staff: the resource's own staff member and the front desk, in the resource's zone.
    const staff = await sentTo('nia@notify.example', 'staff_booking_created');
    expect(staff).toHaveLength(1);
    expect(staff[0]!.text_body).toContain('10:00 AM EST');
    expect(staff[0]!.text_body).toContain('Casey <casey@example.com>');
    expect(await sentTo('desk@notify.example', 'staff_booking_created')).toHaveLength(1);
    expect(await sentTo('casey@example.com', 'booking_reminder')).toHaveLength(0);

    at(Date.parse('2026-03-05T15:00:00Z') - 24 * HOUR + 1000);
    await work();
    await work();
    const dayBefore = await sentTo('casey@example.com', 'booking_reminder');
    expect(dayBefore).toHaveLength(1);
    expect(dayBefore[0]!.text_body).toContain('Your booking is in 24 hours.');

    at(Date.parse('2026-03-05T15:00:00Z') - 1 * HOUR + 1000);
    await work();
    await work();
    const reminders = await sentTo('casey@example.com', 'booking_reminder');
    expect(reminders).toHaveLength(2);
    expect(reminders[1]!.text_body).toContain('Your booking is in 1 hour.');
    const rows = await t.owner('notifications').where({ booking_id: booking.id, kind: 'booking_reminder' }).orderBy('scheduled_for');
    expect(rows.map((r) => [r.scheduled_for.toISOString(), r.status])).toEqual([
      ['2026-03-04T15:00:00.000Z', 'sent'],
      ['2026-03-05T14:00:00.000Z', 'sent'],
    ]);
  });

  it('moves the reminders with a reschedule and removes them with a cancellation', async () => {
    at('2026-03-10T12:00:00Z');
    const { booking } = await book('2026-03-13T15:00:00Z', 'mover@example.com');
    await rescheduleBooking(deps, tenantId, { source: 'public', userId: null }, { bookingId: booking.id, start: Date.parse('2026-03-14T18:00:00Z') });
    const reminderJobs = async () =>
      (await t.owner.raw(`select key, run_at from graphile_worker._private_jobs where key like ? order by run_at`, [`%reminder:${booking.id}:%`])).rows.map(
        (r: { run_at: Date }) => r.run_at.toISOString(),
      );
    expect(await reminderJobs()).toEqual(['2026-03-13T18:00:00.000Z', '2026-03-14T17:00:00.000Z']);
    const rows = await t.owner('notifications').where({ booking_id: booking.id, kind: 'booking_reminder' }).orderBy('scheduled_for');
    expect(rows.map((r) => [r.scheduled_for.toISOString(), r.status])).toEqual([
      ['2026-03-12T15:00:00.000Z', 'skipped'],
      ['2026-03-13T14:00:00.000Z', 'skipped'],
      ['2026-03-13T18:00:00.000Z', 'queued'],
      ['2026-03-14T17:00:00.000Z', 'queued'],
    ]);
    await work();
    const moved = await sentTo('mover@example.com', 'booking_rescheduled');
    expect(moved).toHaveLength(1);
    expect(moved[0]!.text_body).toContain('Saturday, March 14, 2026, 11:00 AM PDT');

    // The old reminder time passes: nothing goes out.
    at('2026-03-12T15:00:01Z');
    await work();
    expect(await sentTo('mover@example.com', 'booking_reminder')).toHaveLength(0);

    await cancelBooking(deps, tenantId, { source: 'public', userId: null }, booking.id, 'Plans changed');
    expect(await reminderJobs()).toEqual([]);
    at('2026-03-14T17:30:00Z');
    await work();
    expect(await sentTo('mover@example.com', 'booking_reminder')).toHaveLength(0);
    const cancelled = await sentTo('mover@example.com', 'booking_cancelled');
    expect(cancelled).toHaveLength(1);
    expect(cancelled[0]!.text_body).toContain('Reason: Plans changed');
    expect(await sentTo('nia@notify.example', 'staff_booking_cancelled')).toHaveLength(1);
  });

  it('sends no reminder whose time has already passed when the booking is made', async () => {
    at('2026-03-20T14:30:00Z');
    const { booking } = await book('2026-03-20T15:00:00Z', 'late@example.com');
    expect(await t.owner('notifications').where({ booking_id: booking.id, kind: 'booking_reminder' })).toHaveLength(0);
    await work();
    expect(await sentTo('late@example.com', 'booking_confirmation')).toHaveLength(1);
  });
});

describe('SendGrid through its real client, against a fake on 127.0.0.1', () => {
  let sg: FakeSendGrid;
  let sgDeps: AppDeps;
  beforeAll(async () => {
    sg = await new FakeSendGrid().start();
    sgDeps = testDeps(t, clock, { SENDGRID_API_KEY: 'SG.test-key', SENDGRID_BASE_URL: sg.url, MAIL_FROM: 'Notify Studio <bookings@notify.example>' });
  });
  afterAll(() => sg.stop());

  const sgBook = (start: string, email: string) =>
    createBooking(sgDeps, tenantId, { source: 'public', userId: null }, {
      serviceId, resourceId: null, start: Date.parse(start), customer: { name: 'Sam "SG" O\'Neil', email, phone: null, timeZone: 'Europe/London' }, notes: null,
    });
  const sgWork = () => runJobs(t, sgDeps, { useNodeTime: true });
  const row = async (bookingId: string, kind: string) => t.owner('notifications').where({ booking_id: bookingId, kind }).first();
  /** Make the retry of a booking's confirmation due now (graphile-worker scheduled it seconds ahead). */
  const makeDue = (bookingId: string) =>
    t.owner.raw(
      `update graphile_worker._private_jobs set run_at = '2000-01-01'
        where payload->>'notificationId' in (select id::text from notifications where booking_id = ? and kind = 'booking_confirmation')`,
      [bookingId],
    );

  it('sends to, from, subject, both bodies and a parsable .ics invitation', async () => {
    at('2026-04-01T12:00:00Z');
    const { booking } = await sgBook('2026-04-10T09:00:00Z', 'sam@example.com');
    await sgWork();
    const mail = sg.received.find((m) => m.body.personalizations[0]!.to[0]!.email === 'sam@example.com')!;
    expect(mail.authorization).toBe('Bearer SG.test-key');
    expect(mail.body.from).toMatchObject({ email: 'bookings@notify.example' });
    expect(mail.body.subject).toBe('Confirmed: Consultation, April 10, 2026 at 10:00 AM GMT+1');
    expect(mail.body.content.map((c) => c.type)).toEqual(['text/plain', 'text/html']);
    expect(mail.body.content[0]!.value).toContain(`Hello Sam "SG" O'Neil,`);
    expect(mail.body.content[1]!.value).toContain('Hello Sam &quot;SG&quot; O&#39;Neil,');
    expect(mail.body.custom_args).toMatchObject({ kind: 'booking_confirmation', tenant_id: tenantId });
    expect((await row(booking.id, 'booking_confirmation'))).toMatchObject({ status: 'sent', provider: 'sendgrid', attempts: 1 });
    expect((await row(booking.id, 'booking_confirmation')).provider_message_id).toMatch(/^msg-\d+$/);

    const attachment = mail.body.attachments![0]!;
    expect(attachment).toMatchObject({ filename: 'invite.ics', disposition: 'attachment' });
    expect(attachment.type).toContain('text/calendar');
    const ics = Buffer.from(attachment.content, 'base64').toString('utf8');
    const cal = new ICAL.Component(ICAL.parse(ics));
    expect(cal.getFirstPropertyValue('method')).toBe('REQUEST');
    const event = new ICAL.Event(cal.getFirstSubcomponent('vevent')!);
    expect(event.uid).toBe(`${booking.id}@slotwise`);
    expect(event.sequence).toBe(0);
    expect(event.startDate.toJSDate().toISOString()).toBe('2026-04-10T09:00:00.000Z');
    expect(event.endDate.toJSDate().toISOString()).toBe('2026-04-10T09:30:00.000Z');
    expect(event.startDate.zone?.tzid).toBe('UTC');
    expect(event.summary).toBe('Consultation — notify business');
    expect(event.organizer).toBe('mailto:bookings@notify.example');
    expect(event.attendees.map((a) => a.getFirstValue())).toEqual(['mailto:sam@example.com']);
    expect(event.attendees[0]!.getParameter('cn')).toBe(`Sam 'SG' O'Neil`);
    expect(event.component.getFirstPropertyValue('status')).toBe('CONFIRMED');
    expect(event.description).toContain('/manage/');

    // A cancellation carries METHOD:CANCEL for the same UID, with a higher SEQUENCE.
    await cancelBooking(sgDeps, tenantId, { source: 'public', userId: null }, booking.id, null);
    await sgWork();
    const cancel = sg.received.find((m) => m.body.custom_args?.kind === 'booking_cancelled' && m.body.personalizations[0]!.to[0]!.email === 'sam@example.com')!;
    const cancelCal = new ICAL.Component(ICAL.parse(Buffer.from(cancel.body.attachments![0]!.content, 'base64').toString('utf8')));
    expect(cancelCal.getFirstPropertyValue('method')).toBe('CANCEL');
    const cancelEvent = new ICAL.Event(cancelCal.getFirstSubcomponent('vevent')!);
    expect(cancelEvent.uid).toBe(`${booking.id}@slotwise`);
    expect(cancelEvent.sequence).toBe(1);
    expect(cancelEvent.component.getFirstPropertyValue('status')).toBe('CANCELLED');
  });

  it('retries 500 and 429 with backoff, and does not retry 400', async () => {
    at('2026-04-02T12:00:00Z');
    sg.answer('retry@example.com', 500, 429);
    const first = (await sgBook('2026-04-11T09:00:00Z', 'retry@example.com')).booking;
    await sgWork();
    let n = await row(first.id, 'booking_confirmation');
    expect(n.attempts).toBeGreaterThanOrEqual(1);
    for (let i = 0; i < 3 && n.status !== 'sent'; i++) {
      await makeDue(first.id);
      await sgWork();
      n = await row(first.id, 'booking_confirmation');
    }
    expect(n).toMatchObject({ status: 'sent', attempts: 3 });
    expect(sg.received.filter((m) => m.body.personalizations[0]!.to[0]!.email === 'retry@example.com' && m.body.custom_args?.kind === 'booking_confirmation')).toHaveLength(1);

    sg.answer('bad-address@example.com', 400);
    const bad = (await sgBook('2026-04-11T11:00:00Z', 'bad-address@example.com')).booking;
    await sgWork();
    await makeDue(bad.id);
    await sgWork();
    const failed = await row(bad.id, 'booking_confirmation');
    expect(failed).toMatchObject({ status: 'failed', attempts: 1 });
    expect(failed.last_error).toContain('(400)');
    expect(sg.received.filter((m) => m.body.personalizations[0]!.to[0]!.email === 'bad-address@example.com')).toHaveLength(0);
  });
});
