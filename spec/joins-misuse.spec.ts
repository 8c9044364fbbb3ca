/** Joins and set operations: malformed use is refused as the graph is built, naming the call. */
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { buildGraph, job } from '../lib/api/job.ts';
import { sinks, sources, windows, type KeyedStream, type StreamEnvironment as Environment } from '../lib/index.ts';
import { refusal } from './refusal.ts';

interface R {
  k: string;
  ts: number;
}

const Misuse = suite('joins and set operations: malformed use is refused when the graph is built, naming the call');

const timed = (env: Environment) => env.from(sources.fromArray<R>([{ k: 'a', ts: 1 }])).withTimestamps((r) => r.ts);
const untimed = (env: Environment) => env.from(sources.fromArray<R>([{ k: 'a', ts: 1 }]));

Misuse('an event-time window join of a stream without timestamps names the stream and the call', () => {
  const error = refusal((env) => {
    timed(env).join(untimed(env)).where((r) => r.k).equalTo((r) => r.k).window(windows.tumbling(10)).apply((a, b) => a.ts + b.ts);
  });
  assert.is(error.code, 'WEIR_E_GRAPH');
  assert.match(error.message, /join\(\)\.window\(\): tumbling windows of event time need records with timestamps, and "fromArray#\d+" has none: call withTimestamps/);
});

Misuse('coGroup, intersect, except and windowed distinct refuse streams without timestamps too', () => {
  const calls: [RegExp, (env: Environment) => void][] = [
    [/coGroup\(\)\.window\(\)/, (env) => void untimed(env).coGroup(timed(env)).where((r) => r.k).equalTo((r) => r.k).window(windows.sliding({ size: 10, slide: 5 }))],
    [/intersect\(\)/, (env) => void timed(env).intersect(untimed(env), { key: (r) => r.k, window: windows.tumbling(10) })],
    [/except\(\)/, (env) => void untimed(env).except(timed(env), { key: (r) => r.k, window: windows.session(10) })],
    [/distinct\(\{ window \}\)/, (env) => void untimed(env).keyBy((r) => r.k).distinct({ window: windows.tumbling(10) })],
  ];
  for (const [call, define] of calls) assert.match(refusal(define).message, call);
});

Misuse('processing-time windows need no timestamps', () => {
  const graph = buildGraph(
    job('fine', (env) => {
      untimed(env).join(untimed(env)).where((r) => r.k).equalTo((r) => r.k).window(windows.tumbling({ size: 10, time: 'processing' })).apply((a) => a).to(sinks.collect('j'));
    }),
    undefined,
  );
  assert.ok(graph.nodes.some((n) => n.type === 'join' && n.inputs.some((e) => e.input === 1)));
});

Misuse('count and global windows are refused: joins take windows of time', () => {
  assert.match(
    refusal((env) => void timed(env).join(timed(env)).where((r) => r.k).equalTo((r) => r.k).window(windows.countTumbling(3) as never)).message,
    /join\(\)\.window\(\): takes windows of time from `windows`: tumbling, sliding or session .* got count windows/,
  );
  assert.match(refusal((env) => void timed(env).keyBy((r) => r.k).distinct({ window: windows.global() as never })).message, /distinct\(\{ window \}\): takes windows of time .* got global windows/);
});

Misuse('non-positive window sizes are refused by the assigner, naming it', () => {
  assert.match(refusal((env) => void timed(env).join(timed(env)).where((r) => r.k).equalTo((r) => r.k).window(windows.tumbling(0))).message, /windows\.tumbling: size must be > 0 ms/);
  assert.match(refusal((env) => void timed(env).intersect(timed(env), { key: (r) => r.k, window: windows.sliding({ size: 10, slide: -1 }) })).message, /windows\.sliding: slide/);
});

Misuse('key selectors and functions must be functions', () => {
  assert.match(refusal((env) => void timed(env).join(timed(env)).where('k' as never)).message, /join\(\)\.where\(\): needs a function \(record\) => key, got string/);
  assert.match(refusal((env) => void timed(env).coGroup(timed(env)).where((r) => r.k).equalTo(null as never)).message, /coGroup\(\)\.equalTo\(\): needs a function/);
  assert.match(refusal((env) => void timed(env).join(timed(env)).where((r) => r.k).equalTo((r) => r.k).window(windows.tumbling(5)).apply(undefined as never)).message, /join\(\)\.apply\(\): needs a function/);
  assert.match(refusal((env) => void timed(env).intersect(timed(env), { key: 'k' as never, window: windows.tumbling(5) })).message, /intersect\(\) key: needs a function/);
});

Misuse('intersect and except need a window; unknown options are named', () => {
  assert.match(refusal((env) => void timed(env).except(timed(env), { key: (r: R) => r.k } as never)).message, /except\(\): needs a window/);
  assert.match(refusal((env) => void timed(env).intersect(timed(env), { key: (r: R) => r.k, window: windows.tumbling(5), windw: 1 } as never)).message, /intersect\(\): unknown option "windw"/);
  assert.match(refusal((env) => void timed(env).keyBy((r) => r.k).distinct({ windw: windows.tumbling(5) } as never)).message, /distinct\(\): unknown option "windw"/);
});

const keyedPair = (env: Environment): [KeyedStream<R, string>, KeyedStream<R, string>] => [timed(env).keyBy((r) => r.k), timed(env).keyBy((r) => r.k)];

Misuse('between: lower above upper, an empty interval, fractions of a millisecond', () => {
  assert.match(refusal((env) => void keyedPair(env)[0].intervalJoin(keyedPair(env)[1]).between(5, -5)).message, /intervalJoin\(\)\.between\(\): lower \(5\) is above upper \(-5\): no pair could ever join; swap them/);
  assert.match(refusal((env) => void keyedPair(env)[0].intervalJoin(keyedPair(env)[1]).between(3, 3, { upperBoundExclusive: true })).message, /intervalJoin\(\)\.between\(\): the interval \[3, 3\] with an exclusive bound is empty/);
  assert.match(refusal((env) => void keyedPair(env)[0].intervalJoin(keyedPair(env)[1]).between(0, 1, { lowerBoundExclusive: true, upperBoundExclusive: true })).message, /holds no whole millisecond/);
  assert.match(refusal((env) => void keyedPair(env)[0].intervalJoin(keyedPair(env)[1]).between(0.5, 2)).message, /intervalJoin\(\)\.between\(\): bounds are whole milliseconds/);
  assert.match(refusal((env) => void keyedPair(env)[0].intervalJoin(keyedPair(env)[1]).between(NaN, 2)).message, /intervalJoin\(\)\.between\(\)/);
  assert.match(refusal((env) => void keyedPair(env)[0].intervalJoin(keyedPair(env)[1]).between(0, 2, { lowerExclusive: true } as never)).message, /unknown option "lowerExclusive"/);
});

Misuse('an interval join needs two keyed streams with timestamps', () => {
  assert.match(refusal((env) => void timed(env).keyBy((r) => r.k).intervalJoin(untimed(env).keyBy((r) => r.k))).message, /intervalJoin\(\): both streams of an interval join need records with timestamps, and "fromArray#\d+" has none/);
  assert.match(refusal((env) => void timed(env).keyBy((r) => r.k).intervalJoin(timed(env) as never)).message, /intervalJoin\(\) needs another keyed stream: call keyBy\(\) on it first/);
});

Misuse.run();
