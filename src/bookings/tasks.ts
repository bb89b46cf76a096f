import type { Task } from 'graphile-worker';
import { z } from 'zod';
import type { AppDeps } from '../deps.ts';
import { withTenant } from '../db/tenant.ts';
import { bookingById, scheduleRequestExpiry } from './queries.ts';
import { expireRequest } from './service.ts';

declare global {
  // eslint-disable-next-line @typescript-eslint/no-namespace
  namespace GraphileWorker {
    interface Tasks {
      bookings__expire_request: { tenantId: string; bookingId: string };
    }
  }
}

const RequestPayload = z.object({ tenantId: z.uuid(), bookingId: z.uuid() });

/**
 * At the end of a request's hold, nobody having approved or declined it:
 * it is declined (`expireRequest`, under the booking's row lock). Run early
 * (the database's clock ahead of ours), it waits for the end of the hold.
 */
export function expireRequestTask(deps: AppDeps): Task<'bookings__expire_request'> {
  return async (raw) => {
    const { tenantId, bookingId } = RequestPayload.parse(raw);
    const booking = await withTenant(deps.db, tenantId, (tx) => bookingById(tx, bookingId));
    if (!booking || booking.status !== 'pending') return;
    if (booking.holdExpiresAt && booking.holdExpiresAt > deps.now()) {
      await withTenant(deps.db, tenantId, (tx) => scheduleRequestExpiry(tx, bookingId, booking.holdExpiresAt!, true));
      return;
    }
    await expireRequest(deps, tenantId, bookingId);
  };
}
