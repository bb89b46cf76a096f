import type { Task } from 'graphile-worker';
import { z } from 'zod';
import type { AppDeps } from '../deps.ts';
import { withTenant } from '../db/tenant.ts';
import { allTenantIds } from '../tenancy/queries.ts';
import { pushBooking } from './push.ts';
import { allConnectionIds, enqueuePull } from './queries.ts';
import { pullConnection } from './sync.ts';
import { enqueueIcsPoll, pollIcs } from './ics-import.ts';

declare global {
  // eslint-disable-next-line @typescript-eslint/no-namespace
  namespace GraphileWorker {
    interface Tasks {
      calendars__pull: { tenantId: string; connectionId: string };
      calendars__push_booking: { tenantId: string; bookingId: string };
      calendars__reconcile: Record<string, never>;
      calendars__ics_poll: { tenantId: string; subscriptionId: string };
    }
  }
}

const PullPayload = z.object({ tenantId: z.uuid(), connectionId: z.uuid() });
const PushPayload = z.object({ tenantId: z.uuid(), bookingId: z.uuid() });
const IcsPayload = z.object({ tenantId: z.uuid(), subscriptionId: z.uuid() });

/** Fetch one ICS subscription (after it is added, and at every reconcile poll). */
export function icsPollTask(deps: AppDeps): Task<'calendars__ics_poll'> {
  return async (raw) => {
    const { tenantId, subscriptionId } = IcsPayload.parse(raw);
    await pollIcs(deps, tenantId, subscriptionId);
  };
}

/** Sync one connection (after a push notification, a connect, or the reconcile poll). */
export function pullTask(deps: AppDeps): Task<'calendars__pull'> {
  return async (raw) => {
    const { tenantId, connectionId } = PullPayload.parse(raw);
    await pullConnection(deps, tenantId, connectionId);
  };
}

/** Write one booking's change to its resource's calendar. */
export function pushBookingTask(deps: AppDeps): Task<'calendars__push_booking'> {
  return async (raw) => {
    const { tenantId, bookingId } = PushPayload.parse(raw);
    await pushBooking(deps, tenantId, bookingId);
  };
}

/**
 * The cron fallback: a pull of every active connection and a fetch of
 * every ICS subscription of every tenant (each tenant visited through
 * withTenant), so a lost push notification delays a change by at most one
 * poll interval; the pulls also renew the push channels before they expire.
 */
export function reconcileTask(deps: AppDeps): Task<'calendars__reconcile'> {
  return async () => {
    for (const tenantId of await allTenantIds(deps.db)) {
      await withTenant(deps.db, tenantId, async (tx) => {
        for (const id of await allConnectionIds(tx)) await enqueuePull(tx, id);
        for (const { id } of await tx('ics_subscriptions').select('id')) await enqueueIcsPoll(tx, id);
      });
    }
  };
}

export const calendarCrontab = (pollMinutes: number) => `*/${pollMinutes} * * * * calendars__reconcile ?max=1&jobKey=calendars__reconcile`;
