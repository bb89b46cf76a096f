import { describe, expect, it } from 'vitest';
import { arrivalTimes, parseOptions, percentile, slotFor, summarize } from '../../bench/measure.ts';

describe('the benchmark options', () => {
  it('default to a full run at the target rate', () => {
    expect(parseOptions([])).toEqual({ smoke: false, seconds: 20, rate: 150, clients: 16, profileDir: undefined });
  });

  it('make --smoke short, and let explicit numbers beside it win', () => {
    expect(parseOptions(['--smoke'])).toMatchObject({ smoke: true, seconds: 3, rate: 50, clients: 16 });
    expect(parseOptions(['--rate', '80', '--smoke', '--clients', '4'])).toMatchObject({ smoke: true, seconds: 3, rate: 80, clients: 4 });
  });

  it('take --seconds, --rate, --clients and --profile', () => {
    expect(parseOptions(['--seconds', '20', '--rate', '200', '--clients', '32', '--profile', '/tmp/prof'])).toEqual({
      smoke: false, seconds: 20, rate: 200, clients: 32, profileDir: '/tmp/prof',
    });
  });

  it.each([
    { name: 'an unknown option', argv: ['--fast'], error: /unknown option --fast/ },
    { name: 'a missing number', argv: ['--rate'], error: /--rate needs a whole number .* not nothing/ },
    { name: 'a fraction', argv: ['--seconds', '1.5'], error: /--seconds needs a whole number .* not 1.5/ },
    { name: 'zero', argv: ['--clients', '0'], error: /--clients needs a whole number/ },
    { name: 'a word', argv: ['--rate', 'fast'], error: /not fast/ },
    { name: 'a profile without a directory', argv: ['--profile', '--smoke'], error: /--profile needs a directory/ },
  ])('refuse $name, naming it', ({ argv, error }) => {
    expect(() => parseOptions(argv)).toThrow(error);
  });
});

describe('the open-loop arrival schedule', () => {
  it('spaces arrivals evenly at the rate, whatever the answers', () => {
    expect(arrivalTimes(4, 1)).toEqual([0, 250, 500, 750]);
    const times = arrivalTimes(150, 30);
    expect(times).toHaveLength(4500);
    expect(times[150]).toBeCloseTo(1000, 9);
    expect(times.at(-1)).toBeLessThan(30_000);
  });

  it('has no arrivals at a rate too low for the duration', () => {
    expect(arrivalTimes(1, 0.4)).toEqual([]);
  });
});

describe('the slot each arrival books', () => {
  const tenants = [2, 3, 4];

  it('goes round the tenants, then their resources, then the next slot', () => {
    expect([0, 1, 2, 3, 4, 5, 6].map((i) => slotFor(i, tenants))).toEqual([
      { tenant: 0, resource: 0, slot: 0 },
      { tenant: 1, resource: 0, slot: 0 },
      { tenant: 2, resource: 0, slot: 0 },
      { tenant: 0, resource: 1, slot: 0 },
      { tenant: 1, resource: 1, slot: 0 },
      { tenant: 2, resource: 1, slot: 0 },
      { tenant: 0, resource: 0, slot: 1 },
    ]);
  });

  it('never gives two arrivals the same slot of the same resource', () => {
    const seen = new Set<string>();
    for (let i = 0; i < 10_000; i++) {
      const s = slotFor(i, tenants);
      expect(s.resource).toBeLessThan(tenants[s.tenant]!);
      const key = `${s.tenant}/${s.resource}/${s.slot}`;
      expect(seen.has(key)).toBe(false);
      seen.add(key);
    }
  });
});

describe('percentiles', () => {
  const hundred = Array.from({ length: 100 }, (_, i) => i + 1);

  it.each([
    { p: 50, want: 50 },
    { p: 95, want: 95 },
    { p: 99, want: 99 },
    { p: 100, want: 100 },
    { p: 0, want: 1 },
  ])('take the nearest rank: p$p of 1..100 is $want', ({ p, want }) => expect(percentile(hundred, p)).toBe(want));

  it('give the one value of a single sample, and NaN for none', () => {
    expect(percentile([7], 95)).toBe(7);
    expect(percentile([], 50)).toBeNaN();
  });

  it('summarize unsorted values without changing them', () => {
    const values = [30, 10, 20, 40];
    expect(summarize(values)).toEqual({ count: 4, p50: 20, p95: 40, p99: 40 });
    expect(values).toEqual([30, 10, 20, 40]);
  });
});
