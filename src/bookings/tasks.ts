import type { Task } from 'graphile-worker';
import { z } from 'zod';
import type { AppDeps } from '../deps.ts';
import { withTenant } from '../db/tenant.ts';
import { sendViaOutbox } from '../mail/outbox.ts';
import { formatInZoneWithName, localDate } from '../scheduling/index.ts';
import { currentTenant } from '../tenancy/queries.ts';
import { manageUrl } from './manage-link.ts';
import { longDate } from './present.ts';
import { bookingById } from './queries.ts';
import { describeBooking } from './service.ts';

declare global {
  // eslint-disable-next-line @typescript-eslint/no-namespace
  namespace GraphileWorker {
    interface Tasks {
      bookings__send_confirmation: { tenantId: string; bookingId: string };
    }
  }
}

const Payload = z.object({ tenantId: z.uuid(), bookingId: z.uuid() });

/**
 * The customer's confirmation, at once. Re-reads the booking and does
 * nothing if it is no longer confirmed. (The notifications pipeline will
 * add HTML, the .ics invitation, reminders and exactly-once bookkeeping.)
 */
export function sendConfirmationTask(deps: AppDeps): Task<'bookings__send_confirmation'> {
  return async (raw) => {
    const { tenantId, bookingId } = Payload.parse(raw);
    await withTenant(deps.db, tenantId, async (tx) => {
      const booking = await bookingById(tx, bookingId);
      if (!booking || booking.status !== 'confirmed') return;
      const [tenant, view] = await Promise.all([currentTenant(tx), describeBooking(tx, booking)]);
      const zone = booking.customer.timeZone;
      const start = booking.start.getTime();
      const when = `${longDate(start, zone)} at ${formatInZoneWithName(start, zone)} (${zone})`;
      const theirs = view.resource.timeZone === zone ? '' : `\nThat is ${longDate(start, view.resource.timeZone)}, ${formatInZoneWithName(start, view.resource.timeZone)} at ${tenant.name}.`;
      await sendViaOutbox(tx, {
        kind: 'booking_confirmation',
        to: booking.customer.email,
        subject: `Confirmed: ${view.service.name} on ${localDate(start, zone)}`,
        text:
          `Hello ${booking.customer.name},\n\nYour booking with ${tenant.name} is confirmed.\n\n` +
          `${view.service.name} with ${view.resource.name}\n${when}${theirs}\n\n` +
          `To cancel or change it, use your private link:\n${manageUrl(deps.config, tenant, booking)}\n`,
      });
    });
  };
}
