import { z } from 'zod';

/**
 * A cancellation policy as tiers: cancelling at least `hoursBefore` hours
 * before the start refunds `refundPercent` %; the tier with the largest
 * hoursBefore that still applies wins. Optionally, cancelling on the same
 * calendar day as the booking (in the business's zone) refunds
 * `sameDayRefundPercent`, whatever the hours say.
 */
export interface CancellationPolicy {
  tiers: { hoursBefore: number; refundPercent: number }[];
  sameDayRefundPercent: number | null;
}

export const EMPTY_POLICY: CancellationPolicy = { tiers: [], sameDayRefundPercent: null };

const percent = (v: unknown) => (v === '' || v === undefined ? null : Number(v));

/** Three optional tier rows and a same-day percent, from the settings form. */
export const PolicyForm = z
  .object({
    tier0Hours: z.string().optional(), tier0Percent: z.string().optional(),
    tier1Hours: z.string().optional(), tier1Percent: z.string().optional(),
    tier2Hours: z.string().optional(), tier2Percent: z.string().optional(),
    sameDayPercent: z.string().optional(),
  })
  .transform((f, ctx): CancellationPolicy => {
    const tiers: CancellationPolicy['tiers'] = [];
    for (const i of [0, 1, 2] as const) {
      const h = f[`tier${i}Hours`]?.trim() ?? '';
      const p = f[`tier${i}Percent`]?.trim() ?? '';
      if (h === '' && p === '') continue;
      const hours = Number(h);
      const pct = Number(p);
      if (h === '' || !Number.isFinite(hours) || hours < 0 || hours > 8760) ctx.addIssue({ code: 'custom', path: [`tier${i}Hours`], message: 'Hours from 0 to 8760.' });
      if (p === '' || !Number.isInteger(pct) || pct < 0 || pct > 100) ctx.addIssue({ code: 'custom', path: [`tier${i}Percent`], message: 'A whole percent from 0 to 100.' });
      tiers.push({ hoursBefore: hours, refundPercent: pct });
    }
    const same = percent(f.sameDayPercent?.trim());
    if (same !== null && (!Number.isInteger(same) || same < 0 || same > 100)) ctx.addIssue({ code: 'custom', path: ['sameDayPercent'], message: 'Leave empty, or a whole percent from 0 to 100.' });
    if (new Set(tiers.map((t) => t.hoursBefore)).size !== tiers.length) ctx.addIssue({ code: 'custom', path: ['tier0Hours'], message: 'Each tier needs different hours.' });
    return { tiers: tiers.sort((a, b) => b.hoursBefore - a.hoursBefore), sameDayRefundPercent: same };
  });

const refund = (p: number) => (p === 100 ? 'a full refund' : p === 0 ? 'no refund' : `a ${p} % refund`);
const hours = (h: number) => (h % 24 === 0 && h >= 24 ? `${h / 24} day${h === 24 ? '' : 's'}` : `${h} hour${h === 1 ? '' : 's'}`);

/** The policy in words, one sentence per rule, for booking and manage pages. */
export function describePolicy(p: CancellationPolicy): string[] {
  const lines = p.tiers.map((t, i) => {
    const next = p.tiers[i + 1];
    return t.hoursBefore === 0 && i > 0
      ? `Later: ${refund(t.refundPercent)}.`
      : `Cancel ${hours(t.hoursBefore)} or more before the start: ${refund(t.refundPercent)}${next ? '' : '; later, no refund'}.`;
  });
  if (p.sameDayRefundPercent !== null) lines.push(`On the day of the booking: ${refund(p.sameDayRefundPercent)}.`);
  return lines;
}
