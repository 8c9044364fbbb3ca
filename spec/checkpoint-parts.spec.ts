/**
 * The parts of checkpoints that need no running job: their options, and split counters whose
 * claims a checkpoint covers exactly (a split claimed after its claimer's barrier is claimed again
 * on restore, one claimed before it is not).
 */
import fc from 'fast-check';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { claimSplit, claimsMade, newSplitCounter, splitStateAt } from '../lib/checkpoint/split-claims.ts';
import { resolveOptions } from '../lib/runtime/options.ts';
import { thrownBy } from './helpers.ts';

const Options = suite('checkpoint options');

Options('defaults: no interval, a minute of timeout, two retained, nothing restored', () => {
  const o = resolveOptions({});
  assert.is(o.checkpointIntervalMs, undefined);
  assert.is(o.checkpointTimeoutMs, 60_000);
  assert.is(o.checkpointsRetained, 2);
  assert.is(o.restoreFrom, undefined);
  assert.is(o.allowNonRestoredState, false);
  assert.is(resolveOptions({ restoreFrom: 'savepoints/sp-1' }).restoreFrom, 'savepoints/sp-1', 'a savepoint directory, read when the job starts');
  const set = resolveOptions({ checkpointIntervalMs: 500, checkpointTimeoutMs: 2000, checkpointsRetained: 5 });
  assert.equal([set.checkpointIntervalMs, set.checkpointTimeoutMs, set.checkpointsRetained], [500, 2000, 5]);
});

Options('bad values name the option, the value and what is allowed', () => {
  const cases: [Record<string, unknown>, RegExp][] = [
    [{ checkpointIntervalMs: 0 }, /Invalid option "checkpointIntervalMs": got 0; allowed: a number of milliseconds from 1 to 86400000/],
    [{ checkpointIntervalMs: '1s' }, /"checkpointIntervalMs": got "1s"/],
    [{ checkpointTimeoutMs: -5 }, /Invalid option "checkpointTimeoutMs": got -5/],
    [{ checkpointTimeoutMs: Infinity }, /"checkpointTimeoutMs"/],
    [{ checkpointsRetained: 0 }, /Invalid option "checkpointsRetained": got 0; allowed: a whole number from 1 to 100/],
    [{ checkpointsRetained: 1.5 }, /"checkpointsRetained"/],
    [{ restoreFrom: {} }, /Invalid option "restoreFrom".*allowed: a completed checkpoint, as handle.checkpoint\(\) resolves it/],
    [{ restoreFrom: '' }, /Invalid option "restoreFrom": got ""; allowed: .* or the directory of a savepoint/],
    [{ restoreFrom: 42 }, /"restoreFrom": got 42/],
    [{ allowNonRestoredState: 'yes' }, /Invalid option "allowNonRestoredState": got "yes"; allowed: true or false/],
  ];
  for (const [options, message] of cases) {
    const error = thrownBy(() => resolveOptions(options), JSON.stringify(options));
    assert.is(error.code, 'WEIR_E_OPTION');
    assert.match(error.message, message);
  }
});

const Splits = suite('split counters under checkpoints');

Splits('claims hand out the returned splits first, then count on', () => {
  const buffer = newSplitCounter({ returned: [4, 9], next: 12 });
  assert.equal([0, 0, 0, 0].map(() => claimSplit(buffer, 0)), [4, 9, 12, 13]);
});

Splits('restoring a checkpoint gives back exactly the splits its subtasks had not claimed before their barriers', () => {
  fc.assert(
    fc.property(
      fc.record({ returned: fc.uniqueArray(fc.nat(50), { maxLength: 4 }), next: fc.integer({ min: 51, max: 60 }) }),
      fc.nat(6),
      fc.array(fc.record({ subtask: fc.nat(2), barrier: fc.boolean() }), { maxLength: 30 }),
      (start, before, events) => {
        const buffer = newSplitCounter(start);
        // Claims before the checkpoint was triggered (epoch 0), then a random interleaving of three
        // subtasks claiming and injecting checkpoint 1's barrier.
        const covered: number[] = [];
        for (let i = 0; i < before; i++) covered.push(claimSplit(buffer, 0));
        const since = claimsMade(buffer);
        const injected = [0, 0, 0];
        const after: number[] = [];
        for (const { subtask, barrier } of events) {
          if (barrier) injected[subtask] = 1;
          else (injected[subtask] === 1 ? after : covered).push(claimSplit(buffer, injected[subtask]!));
        }
        const state = splitStateAt(buffer, since, 1)!;
        // The restored counter hands out the splits claimed after a barrier, and every split never claimed, each once.
        const restored = newSplitCounter(state);
        const handedOut = Array.from({ length: after.length + 20 }, () => claimSplit(restored, 0));
        const fresh = new Set(covered);
        for (const s of after) assert.ok(handedOut.includes(s), `split ${s}, claimed after its barrier, is claimed again`);
        for (const s of handedOut) assert.not.ok(fresh.has(s), `split ${s} is covered by the checkpoint: not claimed again`);
        assert.is(new Set(handedOut).size, handedOut.length, 'no split twice');
        // And nothing is skipped: the first run's splits and the restored ones together are the same sequence.
        const straight = newSplitCounter(start);
        const all = Array.from({ length: covered.length + handedOut.length }, () => claimSplit(straight, 0));
        assert.equal([...covered, ...handedOut].sort((a, b) => a - b), all.sort((a, b) => a - b));
      },
    ),
  );
});

Options.run();
Splits.run();
