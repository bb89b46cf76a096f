import { describe, expect, it } from 'vitest';
import { Coalescer } from '../../src/db/coalesce.ts';

/**
 * The coalescer's scheduling, with statements the test answers by hand:
 * what is sent together, when, and what each caller gets back.
 */
interface Item {
  id: string;
  key: string;
}

interface Sent {
  group: string;
  ids: string[];
  answer(results?: string[]): void;
  fail(err: Error): void;
}

function harness(opts: { maxRunning?: number; maxItems?: number; keyed?: boolean } = {}) {
  const sent: Sent[] = [];
  const splits: [string, number, string][] = [];
  const statement = (group: string, items: Item[]) =>
    new Promise<string[]>((resolve, reject) => {
      sent.push({ group, ids: items.map((i) => i.id), answer: (r) => resolve(r ?? items.map((i) => `ok:${i.id}`)), fail: reject });
    });
  const c = new Coalescer<Item, string>({
    one: async (group, item) => (await statement(group, [item]))[0]!,
    many: (group, items) => statement(group, items),
    ...(opts.keyed === false ? {} : { conflictKey: (i: Item) => i.key }),
    maxRunning: opts.maxRunning ?? 1,
    maxItems: opts.maxItems ?? 10,
    onSplit: (group, items, err) => splits.push([group, items, (err as Error).message]),
  });
  const send = (group: string, id: string, key = id) => c.send(group, { id, key });
  return { c, sent, send, splits };
}

const tick = () => new Promise((r) => setImmediate(r));

describe('Coalescer', () => {
  it('sends a call at once when nothing of its group runs, and what arrives meanwhile together afterwards', async () => {
    const { c, sent, send } = harness();
    const a = send('t1', 'a');
    expect(sent.map((s) => s.ids)).toEqual([['a']]);
    const rest = ['b', 'c', 'd'].map((id) => send('t1', id));
    await tick();
    expect(sent).toHaveLength(1); // maxRunning 1: they wait
    sent[0]!.answer();
    expect(await a).toBe('ok:a');
    await tick();
    expect(sent.map((s) => s.ids)).toEqual([['a'], ['b', 'c', 'd']]);
    sent[1]!.answer();
    expect(await Promise.all(rest)).toEqual(['ok:b', 'ok:c', 'ok:d']);
    expect(c.stats).toEqual({ statements: 2, items: 4, together: 1 });
  });

  it('keeps groups apart, each with its own statements running', async () => {
    const { sent, send } = harness();
    const a = send('t1', 'a');
    const b = send('t2', 'b');
    expect(sent.map((s) => [s.group, s.ids])).toEqual([['t1', ['a']], ['t2', ['b']]]);
    sent.forEach((s) => s.answer());
    expect(await Promise.all([a, b])).toEqual(['ok:a', 'ok:b']);
  });

  it('never puts two items with one conflict key in a statement, and keeps the later one for the next', async () => {
    const { sent, send } = harness();
    const first = send('t', 'first');
    const waiting = [send('t', 'r1-a', 'r1'), send('t', 'r2', 'r2'), send('t', 'r1-b', 'r1'), send('t', 'r3', 'r3')];
    sent[0]!.answer();
    await first;
    await tick();
    expect(sent[1]!.ids).toEqual(['r1-a', 'r2', 'r3']);
    sent[1]!.answer();
    await tick();
    expect(sent[2]!.ids).toEqual(['r1-b']);
    sent[2]!.answer();
    expect(await Promise.all(waiting)).toEqual(['ok:r1-a', 'ok:r2', 'ok:r1-b', 'ok:r3']);
  });

  it('without conflict keys puts anything together, up to maxItems a statement', async () => {
    const { sent, send } = harness({ keyed: false, maxItems: 2 });
    const all = [send('t', 'x', 'k'), send('t', 'y', 'k'), send('t', 'z', 'k'), send('t', 'w', 'k')];
    sent[0]!.answer();
    await tick();
    expect(sent.map((s) => s.ids)).toEqual([['x'], ['y', 'z']]);
    sent[1]!.answer();
    await tick();
    expect(sent[2]!.ids).toEqual(['w']);
    sent[2]!.answer();
    expect(await Promise.all(all)).toEqual(['ok:x', 'ok:y', 'ok:z', 'ok:w']);
  });

  it('runs up to maxRunning statements of a group at once', async () => {
    const { sent, send } = harness({ maxRunning: 2 });
    const calls = ['a', 'b', 'c', 'd'].map((id) => send('t', id));
    expect(sent.map((s) => s.ids)).toEqual([['a'], ['b']]);
    sent[1]!.answer();
    await tick();
    expect(sent.map((s) => s.ids)).toEqual([['a'], ['b'], ['c', 'd']]);
    sent[0]!.answer();
    sent[2]!.answer();
    expect(await Promise.all(calls)).toEqual(['ok:a', 'ok:b', 'ok:c', 'ok:d']);
  });

  it('sends every item of a failed statement again alone, so each gets its own answer or error', async () => {
    const { c, sent, send, splits } = harness();
    const first = send('t', 'first');
    const calls = ['good', 'bad', 'fine'].map((id) => send('t', id).then((r) => r, (e: Error) => `error:${e.message}`));
    sent[0]!.answer();
    await first;
    await tick();
    sent[1]!.fail(new Error('batch failed'));
    await tick();
    expect(sent.slice(2).map((s) => s.ids)).toEqual([['good'], ['bad'], ['fine']]);
    sent[2]!.answer();
    sent[3]!.fail(new Error('23503'));
    sent[4]!.answer();
    expect(await Promise.all(calls)).toEqual(['ok:good', 'error:23503', 'ok:fine']);
    expect(c.stats.statements).toBe(5);
    expect(splits).toEqual([['t', 3, 'batch failed']]);
  });

  it('treats a statement that answers for the wrong number of items as failed', async () => {
    const { sent, send } = harness();
    const first = send('t', 'first');
    const calls = [send('t', 'a'), send('t', 'b')];
    sent[0]!.answer();
    await first;
    await tick();
    sent[1]!.answer(['only one']);
    await tick();
    sent.slice(2).forEach((s) => s.answer());
    expect(await Promise.all(calls)).toEqual(['ok:a', 'ok:b']);
  });
});
