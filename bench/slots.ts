/**
 * Slot computation benchmark: one resource, 60-day range (across the
 * 2026-03-08 New York DST change), 15-minute grid, 30-minute service,
 * Mon–Fri 09:00–12:00 + 13:00–17:00, Sat 10:00–14:00, 200 existing bookings.
 * Run: npx node bench/slots.ts
 */
import { computeSlots, explainSlot, type SlotQuery, type WeeklyWindow } from '../src/scheduling/index.ts';

const MIN = 60_000;
const DAY = 86_400_000;
const WARMUP = 50;
const ITERATIONS = 200;

function buildQuery(): SlotQuery {
  const start = Date.UTC(2026, 1, 20, 5); // 2026-02-20 00:00 in New York
  const weekly: WeeklyWindow[] = [];
  for (const weekday of [1, 2, 3, 4, 5] as const) {
    weekly.push({ weekday, start: '09:00', end: '12:00' }, { weekday, start: '13:00', end: '17:00' });
  }
  weekly.push({ weekday: 6, start: '10:00', end: '14:00' });
  // Deterministic pseudo-random bookings (LCG) on the 15-minute grid, 10-minute buffers.
  let seed = 42;
  const next = (): number => (seed = (seed * 1_103_515_245 + 12_345) % 2 ** 31) / 2 ** 31;
  const bookings = Array.from({ length: 200 }, () => {
    const at = start + Math.floor(next() * 60) * DAY + (14 + Math.floor(next() * 36) / 4) * 3_600_000;
    return { start: at, blocked: { start: at - 10 * MIN, end: at + 40 * MIN } };
  });
  return {
    service: {
      durationMin: 30, intervalMin: 15, bufferBeforeMin: 10, bufferAfterMin: 10,
      minNoticeMin: 120, horizonDays: 90, maxPerDay: 8,
    },
    resources: [{ resourceId: 'r1', timeZone: 'America/New_York', weekly, overrides: [], bookings, busy: [] }],
    holidays: [{ start: '2026-03-20', end: '2026-03-20' }],
    range: { start, end: start + 60 * DAY },
    now: start,
  };
}

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)] ?? NaN;
}

function measure(label: string, run: () => unknown): void {
  for (let i = 0; i < WARMUP; i++) run();
  const times: number[] = [];
  for (let i = 0; i < ITERATIONS; i++) {
    const t0 = performance.now();
    run();
    times.push(performance.now() - t0);
  }
  times.sort((a, b) => a - b);
  const fmt = (ms: number): string => ms.toFixed(3);
  console.log(`${label}: median ${fmt(percentile(times, 50))} ms, p95 ${fmt(percentile(times, 95))} ms, max ${fmt(times.at(-1) ?? NaN)} ms (n=${ITERATIONS})`);
}

const query = buildQuery();
const slots = computeSlots(query);
console.log(`node ${process.version}, ${slots.length} slots over 60 days, ${query.resources[0]?.bookings.length} bookings`);
measure('computeSlots', () => computeSlots(query));
const probe = slots[Math.floor(slots.length / 2)];
if (probe !== undefined) measure('explainSlot', () => explainSlot(query, 'r1', probe.start));
