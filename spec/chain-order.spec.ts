/**
 * Credit holding inside a chain changes when records move, never which records or in what order:
 * a run with stalls anywhere emits exactly what a run without stalls emits.
 */
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import fc from 'fast-check';
import type { ChainLink } from '../lib/actor/chain.ts';
import { chainOf, link } from './fixtures/chain-harness.ts';

const Property = suite('chain: a stalled run emits what an unstalled run emits');

type Mode = 'collect' | 'array' | 'generator';
interface StageSpec {
  readonly mode: Mode;
  /** Records emitted per input, picked by a hash of the input. */
  readonly fanouts: readonly number[];
  readonly closeEmits: number;
}

const charSum = (s: string): number => [...s].reduce((a, c) => a + c.charCodeAt(0), 0);

function emit(mode: Mode, values: string[], out: { collect(r: unknown): void; collectAll(rs: Iterable<unknown>): void }): void {
  if (mode === 'collect') for (const v of values) out.collect(v);
  else if (mode === 'array') out.collectAll(values);
  else out.collectAll((function* () { yield* values; })());
}

const stageLink = (spec: StageSpec, i: number): ChainLink =>
  link<unknown, string>(`stage${i}`, {
    process(record, out) {
      const r = String(record);
      const n = spec.fanouts[charSum(r) % spec.fanouts.length]!;
      emit(spec.mode, Array.from({ length: n }, (_, j) => `${r}/${i}.${j}`), out);
    },
    close(out) {
      emit(spec.mode, Array.from({ length: spec.closeEmits }, (_, j) => `close${i}.${j}`), out);
    },
  });

/** Runs input through the chain as an actor would: a batch (or a source's chunk) only once the chain is ready. */
function drive(stages: readonly StageSpec[], inputs: readonly { records: number[]; asSource: boolean }[], stallAfter: readonly number[]) {
  const { chain, records, signals, resumeAll } = chainOf(stages.map(stageLink), stallAfter);
  for (const input of inputs) {
    resumeAll();
    if (input.asSource) for (const r of input.records) chain.head.collect(r);
    else chain.head.collectAll(input.records);
  }
  resumeAll();
  chain.head.signal({ type: 'end' });
  resumeAll();
  return { records, signals, ended: chain.ended, pending: chain.pending };
}

Property('random fan-outs and stall points over 2-3 stages give the same output, in the same order, and the end comes once, last', () => {
  const stage = fc.record({
    mode: fc.constantFrom<Mode>('collect', 'array', 'generator'),
    fanouts: fc.array(fc.nat(3), { minLength: 1, maxLength: 4 }),
    closeEmits: fc.nat(3),
  });
  const input = fc.record({ records: fc.array(fc.nat(99), { maxLength: 6 }), asSource: fc.boolean() });
  fc.assert(
    fc.property(fc.array(stage, { minLength: 2, maxLength: 3 }), fc.array(input, { maxLength: 5 }), fc.uniqueArray(fc.integer({ min: 1, max: 400 }), { maxLength: 40 }), (stages, inputs, stalls) => {
      const straight = drive(stages, inputs, []);
      const stalled = drive(stages, inputs, stalls);
      assert.equal(stalled.records, straight.records, 'expected the stalled run to emit the same records in the same order');
      assert.equal(straight.signals, [{ type: 'end', after: straight.records.length }], 'expected one end, after every record, without stalls');
      assert.equal(stalled.signals, straight.signals, 'expected one end, after every record, with stalls');
      assert.ok(stalled.ended && !stalled.pending, 'expected the chain ended with nothing left');
    }),
    { numRuns: 300 },
  );
});

Property.run();
