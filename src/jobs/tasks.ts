import type { TaskList } from 'graphile-worker';
import type { AppDeps } from '../deps.ts';
import { purgeExpired } from './maintenance.ts';
import { sendNotificationTask } from '../notifications/tasks.ts';
import { deliverWebhookTask } from '../webhooks/tasks.ts';
import { expireHoldTask, refundTask } from '../payments/tasks.ts';
import { expireRequestTask } from '../bookings/tasks.ts';
import { offerTask } from '../waitlist/tasks.ts';
import { calendarCrontab, icsPollTask, pullTask, pushBookingTask, reconcileTask } from '../calendars/tasks.ts';
import type { Config } from '../config.ts';

declare global {
  // eslint-disable-next-line @typescript-eslint/no-namespace
  namespace GraphileWorker {
    interface Tasks {
      maintenance__purge_expired: Record<string, never>;
    }
  }
}

/** Every task the worker knows, named `capability__action`. Bodies query as the runtime role. */
export function taskList(deps: AppDeps): TaskList {
  return {
    maintenance__purge_expired: async (_payload, helpers) => {
      const result = await purgeExpired(deps);
      helpers.logger.info(`purged expired rows ${JSON.stringify(result)}`);
    },
    notifications__send: sendNotificationTask(deps) as TaskList[string],
    webhooks__deliver: deliverWebhookTask(deps) as TaskList[string],
    payments__expire_hold: expireHoldTask(deps) as TaskList[string],
    payments__refund: refundTask(deps) as TaskList[string],
    bookings__expire_request: expireRequestTask(deps) as TaskList[string],
    waitlist__offer: offerTask(deps) as TaskList[string],
    calendars__pull: pullTask(deps) as TaskList[string],
    calendars__push_booking: pushBookingTask(deps) as TaskList[string],
    calendars__reconcile: reconcileTask(deps) as TaskList[string],
    calendars__ics_poll: icsPollTask(deps) as TaskList[string],
  };
}

/** Crontab lines are UTC. `jobKey` keeps one pending run even if several workers schedule it. */
export const CRONTAB = ['*/15 * * * * maintenance__purge_expired ?max=1&jobKey=maintenance__purge_expired'].join('\n');

/** The crontab with the lines that depend on configuration (the calendar poll interval). */
export const crontab = (config: Pick<Config, 'calendarPollMinutes'>) => [CRONTAB, calendarCrontab(config.calendarPollMinutes)].join('\n');
