/**
 * Windows without lateness, window by window (`eventTimePanes`): they keep the state the key-by-key
 * path keeps, restore what that path cut (savepoints from before panes), and emit a fired window's
 * results only as they are pulled.
 */
import fc from 'fast-check';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { eventTimePanes } from '../actors/window-event-time-panes.ts';
import { eventTimeWindows } from '../actors/window-event-time.ts';
import { unboxedWindowContents, type UnboxedWindowContents } from '../actors/window-functions.ts';
import { PaneResults, Panes } from '../actors/window-panes.ts';
import { windows } from '../lib/window/assigners.ts';
import type { KeyedOperatorFactory } from '../lib/operator/operator.ts';
import { WindowHarness } from './fixtures/window-harness.ts';
import { boundedDisorder, FN_KINDS, KEYS, play, windowFn, type Rec } from './fixtures/window-scenarios.ts';

const State = suite('window panes: the state of the key-by-key path');

for (const kind of FN_KINDS) {
  State(`cut anywhere, tumbling and sliding windows hold what the key-by-key path holds, key by key and window by window, ${kind}`, () => {
    fc.assert(
      fc.property(fc.constantFrom('tumbling', 'sliding'), boundedDisorder(0, 120), fc.nat(), (shape, { steps }, cut) => {
        const assigner = shape === 'tumbling' ? windows.tumbling(10) : windows.sliding({ size: 20, slide: 5 });
        const contents = unboxedWindowContents(windowFn(kind));
        const at = steps.length === 0 ? 0 : cut % (steps.length + 1);
        const panes = new WindowHarness(eventTimePanes(assigner, contents, undefined));
        const keyed = new WindowHarness(eventTimeWindows(assigner, contents, 0, undefined));
        play(panes, steps.slice(0, at));
        play(keyed, steps.slice(0, at));
        // The key-by-key path keeps a key's windows in the order they opened, the panes by start: compare as sets.
        const windowsOf = (h: WindowHarness<Rec, unknown, string>) => {
          const groups = h.snapshot().state['0/windows']?.groups ?? {};
          return Object.values(groups)
            .flat()
            .flatMap(([key, starts]) => {
              const pairs: string[] = [];
              for (let i = 0; i < (starts as unknown[]).length; i += 2) pairs.push(JSON.stringify([key, (starts as unknown[])[i], (starts as unknown[])[i + 1]]));
              return pairs;
            })
            .sort();
        };
        assert.equal(windowsOf(panes), windowsOf(keyed));
        assert.equal(panes.emitted, keyed.emitted, 'expected the same results so far, in the same order');
        assert.is(panes.event.size, 0, 'expected no timer');
      }),
      { numRuns: 150 },
    );
  });
}

type Factory = KeyedOperatorFactory<Rec, unknown, string>;

/**
 * Plays `steps` straight through `straight`; and through `before` up to `at`, then through `after`
 * restored from `before`'s snapshot: the same results per key (timers of different keys due at one
 * time may fire in another order after a restore), and nothing left after the final watermark.
 */
function assertRestoredLikeStraight(straight: Factory, before: Factory, after: Factory, steps: Parameters<typeof play>[1], at: number): void {
  const whole = new WindowHarness(straight);
  play(whole, steps);
  whole.end();
  const first = new WindowHarness(before);
  play(first, steps.slice(0, at));
  const second = new WindowHarness(after, { restore: first.snapshot() });
  play(second, steps.slice(at));
  second.end();
  const byKey = (es: readonly { record: unknown }[]) => KEYS.map((k) => es.filter((e) => (e.record as { key: string }).key === k));
  assert.equal(byKey([...first.emitted, ...second.emitted]), byKey(whole.emitted));
  assert.equal(second.keys(), [], 'expected nothing left after the final watermark');
}

State('a snapshot of the key-by-key path, cut anywhere, restores into panes: the same results as a straight run', () => {
  fc.assert(
    fc.property(fc.constantFrom('tumbling', 'sliding'), fc.constantFrom(...FN_KINDS), boundedDisorder(0, 120), fc.nat(), (shape, kind, { steps }, cut) => {
      const assigner = shape === 'tumbling' ? windows.tumbling(10) : windows.sliding({ size: 20, slide: 5 });
      const contents = unboxedWindowContents(windowFn(kind));
      const at = steps.length === 0 ? 0 : cut % (steps.length + 1);
      const panes = eventTimePanes(assigner, contents, undefined);
      assertRestoredLikeStraight(panes, eventTimeWindows(assigner, contents, 0, undefined), panes, steps, at);
    }),
    { numRuns: 200 },
  );
});

State('a snapshot of panes, cut anywhere, restores into the key-by-key path (a job that adds lateness): the same results as a straight run', () => {
  fc.assert(
    fc.property(fc.constantFrom('tumbling', 'sliding'), fc.constantFrom(...FN_KINDS), fc.constantFrom(0, 5), boundedDisorder(0, 120), fc.nat(), (shape, kind, lateness, { steps }, cut) => {
      const assigner = shape === 'tumbling' ? windows.tumbling(10) : windows.sliding({ size: 20, slide: 5 });
      const contents = unboxedWindowContents(windowFn(kind));
      const at = steps.length === 0 ? 0 : cut % (steps.length + 1);
      // Panes keep no timers: the key-by-key path must set its own for the windows it restores.
      const keyed = eventTimeWindows(assigner, contents, lateness, undefined);
      assertRestoredLikeStraight(keyed, eventTimePanes(assigner, contents, undefined), keyed, steps, at);
    }),
    { numRuns: 200 },
  );
});

const Lazy = suite('window panes: results as they are pulled');

Lazy('a fired window computes a key’s results only when they are pulled, and each key’s in the order of its first record', () => {
  const panes = new Panes((slot) => ({ start: slot * 10, end: slot * 10 + 10 }));
  const pane = panes.at(0);
  for (const key of ['c', 'a', 'b']) pane.put(key, key.toUpperCase());
  const asked: string[] = [];
  const contents: UnboxedWindowContents<string, string, string> = {
    first: (r) => r,
    add: (held) => held,
    emit(held, key, window, out) {
      asked.push(key);
      out.collect(`${key}:${String(held)}@${window.start}`);
      if (key === 'a') out.collect('a again');
    },
  };
  assert.is(panes.takeDue(8), undefined, 'expected the window open before the watermark reaches 9');
  const results = new PaneResults(panes.takeDue(9)!, contents);
  assert.equal(asked, [], 'expected nothing computed before the first pull');
  assert.equal(results.next(), { done: false, value: 'c:C@0' });
  assert.equal(asked, ['c']);
  assert.equal([...results], ['a:A@0', 'a again', 'b:B@0']);
  assert.equal(asked, ['c', 'a', 'b']);
  assert.equal(panes.open, [], 'expected the window gone once fired');
});

State.run();
Lazy.run();
