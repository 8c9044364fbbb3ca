/**
 * The broadcast state pattern on real worker threads: every subtask of the connected operator gets
 * every broadcast record and keeps identical broadcast state; keyed records read it. Which of the
 * two inputs' records comes first is not decided, so the job lets trades wait for an event-time
 * timer at their time (by then the watermark says every rule valid at that time has arrived), and
 * gives new keys what `applyToKeyedState` gave the keys already there: the result is then the
 * reference's, whatever the order.
 */
import fc from 'fast-check';
import { suite } from 'uvu';
import type { Out, Params, Rule, Trade } from '../fixtures/broadcast-rules.ts';
import { assertSameMultiset, disordered, fixture, Runtime, watchdog } from '../helpers.ts';

/** The reference: each trade against the latest version of each rule valid at its time; per symbol the final bonus and versions. */
function expected(p: Params): Out[] {
  const out: Out[] = [];
  const latest = (id: string, time: number) =>
    p.rules
      .filter((r) => r.id === id && r.ts <= time)
      .sort((a, b) => a.ts - b.ts || a.seq - b.seq)
      .at(-1);
  for (const t of p.trades) {
    for (const id of ['a', 'b']) {
      const rule = latest(id, t.ts);
      if (rule && rule.limit !== null && t.price > rule.limit) out.push({ kind: 'alert', symbol: t.symbol, time: t.ts, price: t.price, rule: id, limit: rule.limit });
    }
  }
  // Of the versions of one rule at one time, only the latest is kept.
  const kept = p.rules.filter((r) => !p.rules.some((o) => o.id === r.id && o.ts === r.ts && o.seq > r.seq));
  const versions = kept.map((r) => `${r.id}@${r.ts}@${r.seq}`).sort();
  const bonus = p.rules.reduce((n, r) => n + r.weight, 0);
  for (const symbol of new Set(p.trades.map((t) => t.symbol))) out.push({ kind: 'final', symbol, bonus, versions });
  return out;
}

/** Records at non-decreasing times, each arriving up to 20 ms late. */
const timed = <R, T extends { ts: number }>(row: fc.Arbitrary<R>, make: (row: R, ts: number, seq: number) => T, maxLength: number) =>
  fc.array(fc.record({ row, step: fc.integer({ min: 0, max: 9 }), jitter: fc.integer({ min: 0, max: 20 }) }), { maxLength }).map((rows) => {
    let t = 0;
    const records = rows.map((r, seq) => ({ record: make(r.row, (t += r.step), seq), arrival: t + r.jitter }));
    return disordered(records, (r) => r.arrival).map((r) => r.record);
  });

const rules = timed(
  fc.record({ id: fc.constantFrom<'a' | 'b'>('a', 'b'), limit: fc.option(fc.integer({ min: 1, max: 50 }), { nil: null, freq: 4 }), weight: fc.integer({ min: 1, max: 9 }) }),
  (r, ts, seq): Rule => ({ ...r, ts, seq }),
  12,
);
const trades = timed(fc.record({ symbol: fc.constantFrom('x', 'y', 'z', 'w'), price: fc.integer({ min: 1, max: 60 }) }), (r, ts): Trade => ({ ...r, ts }), 40);

const Broadcast = suite('broadcast state: rules to every subtask, read by keyed records');

let runtime: Runtime;
Broadcast.before(() => void (runtime = new Runtime({ workers: 2 })));
Broadcast.after(() => runtime.close());

Broadcast('alerts as of each trade time, every key given every rule, identical broadcast state on every subtask: equal to the reference at parallelism 1, 2 and 4', async () => {
  await fc.assert(
    fc.asyncProperty(rules, trades, fc.constantFrom(1, 2, 4), fc.constantFrom(1, 2), async (rules, trades, parallelism, sources) => {
      const params: Params = { rules, trades, maxOutOfOrderMs: 20, parallelism, processingAt: Date.now() + 3_600_000 };
      const h = await watchdog(runtime.run(fixture('broadcast-rules'), { parallelism: sources, params }), 'start');
      const out = await watchdog(h.collected<Out>('out'), 'broadcast job');
      assertSameMultiset(out, expected(params), `output at p${parallelism} from ${sources} source subtask(s)`);
    }),
    { numRuns: 12 },
  );
});

Broadcast.run();
