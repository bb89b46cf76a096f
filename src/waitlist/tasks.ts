import type { Task } from 'graphile-worker';
import { z } from 'zod';
import type { AppDeps } from '../deps.ts';
import { offerFreedTime } from './service.ts';

declare global {
  // eslint-disable-next-line @typescript-eslint/no-namespace
  namespace GraphileWorker {
    interface Tasks {
      waitlist__offer: { tenantId: string; resourceId: string };
    }
  }
}

const OfferPayload = z.object({ tenantId: z.uuid(), resourceId: z.uuid() });

/**
 * Time may have freed up on a resource (enqueued by the change that freed
 * it, see `wakeWaitlist`): offer it to the waitlist. The offers' expiry is
 * the held booking's own (`payments__expire_hold`, which releases a
 * waitlist hold and wakes this job again for the next customer).
 */
export function offerTask(deps: AppDeps): Task<'waitlist__offer'> {
  return async (raw) => {
    const { tenantId, resourceId } = OfferPayload.parse(raw);
    await offerFreedTime(deps, tenantId, resourceId);
  };
}
