import type { AppDeps } from '../deps.ts';
import type { TenantTx } from '../db/tenant.ts';
import { oneLine } from '../http/text.ts';
import { minuteToHHMM, resourceById, serviceById, type Service } from '../catalog/queries.ts';
import { bookingById } from '../bookings/queries.ts';
import { formatMoney, longDate } from '../bookings/present.ts';
import { onlineCharge } from '../payments/plan.ts';
import { formatInZoneWithName } from '../scheduling/index.ts';
import type { NotificationRow } from '../notifications/queries.ts';
import type { Rendered } from '../notifications/render.ts';
import type { Tenant } from '../tenancy/queries.ts';
import { entryById, offerOfEntry, type WaitlistEntry } from './queries.ts';
import { waitlistUrl } from './service.ts';

const ENTITIES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };
const escapeHtml = (s: string) => s.replace(/[&<>"']/g, (c) => ENTITIES[c]!);

/** Paragraphs of plain text, the last one's link made a link in the HTML part. */
function mail(tenant: Tenant, subject: string, paragraphs: string[], link: { label: string; href: string }): Rendered {
  const signature = `— ${tenant.name}`;
  return {
    subject: oneLine(subject),
    text: [...paragraphs, `${link.label}: ${link.href}`, signature].join('\n\n'),
    html: `${paragraphs.map((p) => `<p>${escapeHtml(p)}</p>`).join('')}<p><a href="${escapeHtml(link.href)}">${escapeHtml(link.label)}</a></p><p>${escapeHtml(signature)}</p>`,
    attachments: [],
    // The link is the customer's own, as a booking's manage link is: nothing that opens an account.
    secrets: [],
  };
}

/** "You are on the waitlist": what they wait for, how offers work, their link. */
export function renderWaitlistJoined(tenant: Tenant, entry: Pick<WaitlistEntry, 'fromDate' | 'toDate' | 'window' | 'customer'>, serviceName: string, link: string): Rendered {
  const days = entry.fromDate === entry.toDate ? `on ${entry.fromDate}` : `from ${entry.fromDate} to ${entry.toDate}`;
  const hours = entry.window ? `, between ${minuteToHHMM(entry.window.start)} and ${minuteToHHMM(entry.window.end)}` : '';
  return mail(tenant, `${tenant.name}: you are on the waitlist for ${serviceName}`, [
    `Hello ${entry.customer.name},`,
    `You are on the waitlist for ${serviceName} ${days}${hours} (times in ${entry.customer.timeZone}).`,
    `When a time that fits frees up, we hold it for you for ${tenant.waitlistHoldMinutes} minutes and email you a link to claim it. Customers are offered times in the order they joined.`,
  ], { label: 'See your place or leave the waitlist', href: link });
}

/** "A time freed up, held for you": the time, until when it is held, the claim link. */
export function renderWaitlistOffer(
  tenant: Tenant,
  o: { customerName: string; zone: string; serviceName: string; resourceName: string; start: Date; holdExpiresAt: Date; pay: string | null },
  link: string,
): Rendered {
  const when = `${longDate(o.start.getTime(), o.zone)}, ${formatInZoneWithName(o.start.getTime(), o.zone)}`;
  return mail(tenant, `${tenant.name}: a time freed up for ${o.serviceName}, held for you`, [
    `Hello ${o.customerName},`,
    `A time freed up: ${o.serviceName} with ${o.resourceName}, ${when}.`,
    `We are holding it for you until ${formatInZoneWithName(o.holdExpiresAt.getTime(), o.zone)}. After that it goes to the next person on the waitlist. Not for you? Decline it at the same link, so they get it sooner.`,
    ...(o.pay ? [`To book it you pay ${o.pay} online; the time is yours once the payment is through.`] : []),
  ], { label: o.pay ? 'Claim and pay for this time' : 'Claim this time', href: link });
}

/** A waitlist message, rendered when it is sent; undefined when it no longer applies (left, claimed, lapsed). */
export async function renderWaitlistMail(deps: AppDeps, tx: TenantTx, tenant: Tenant, n: NotificationRow): Promise<Rendered | undefined> {
  const entry = typeof n.payload.entryId === 'string' ? await entryById(tx, n.payload.entryId) : undefined;
  if (!entry) return undefined;
  const service = await serviceById(tx, entry.serviceId);
  if (!service) return undefined;
  const link = waitlistUrl(deps.config, tenant, entry);
  if (n.kind === 'waitlist_joined') return entry.status === 'waiting' ? renderWaitlistJoined(tenant, entry, service.name, link) : undefined;
  const offer = await offerOfEntry(tx, entry.id);
  const booking = offer?.status === 'open' ? await bookingById(tx, offer.bookingId) : undefined;
  if (!booking || booking.status !== 'held' || !booking.holdExpiresAt || booking.holdExpiresAt <= deps.now()) return undefined;
  const resource = await resourceById(tx, booking.resourceId);
  return renderWaitlistOffer(tenant, {
    customerName: entry.customer.name, zone: entry.customer.timeZone, serviceName: service.name, resourceName: resource?.name ?? tenant.name,
    start: booking.start, holdExpiresAt: booking.holdExpiresAt, pay: claimPrice(deps, tenant, service),
  }, link);
}

/** What claiming a waitlist offer of `service` costs online ("$80.00"), or null when nothing is paid online. */
export function claimPrice(deps: Pick<AppDeps, 'config'>, tenant: Tenant, service: Service): string | null {
  const charge = onlineCharge(deps.config, tenant, service, 'public');
  return charge && formatMoney(charge.amountDue, charge.currency);
}
