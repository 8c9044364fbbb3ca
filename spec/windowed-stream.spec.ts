/** The windowed stream API: malformed use is refused as the graph is built, naming the call. */
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { buildGraph, job } from '../lib/api/job.ts';
import { OutputTag, sinks, sources, windows } from '../lib/index.ts';
import { refusal } from './refusal.ts';

const Misuse = suite('windows: malformed use is refused when the graph is built, naming the call');

Misuse('an event-time window on a stream without timestamps', () => {
  const error = refusal((env) => {
    env.from(sources.fromArray([{ k: 'a', ts: 1 }])).keyBy((r) => r.k).window(windows.tumbling(1000)).reduce((a) => a);
  });
  assert.is(error.code, 'WEIR_E_GRAPH');
  assert.match(error.message, /window\(\): tumbling windows of event time need records with timestamps, and "fromArray#0" has none: call withTimestamps/);
});

Misuse('processing-time and count windows need no timestamps', () => {
  const graph = buildGraph(
    job('fine', (env) => {
      const keyed = env.from(sources.fromArray([{ k: 'a' }])).keyBy((r) => r.k);
      keyed.window(windows.tumbling({ size: 1000, time: 'processing' })).reduce((a) => a).to(sinks.collect('p'));
      keyed.window(windows.countTumbling(2)).reduce((a) => a).to(sinks.collect('c'));
    }),
    undefined,
  );
  assert.ok(graph.nodes.some((n) => n.type === 'window'));
});

Misuse('a zero or negative size, naming the assigner and the option', () => {
  assert.throws(() => windows.tumbling(0), /windows\.tumbling: size must be > 0 ms, got 0\./);
  assert.throws(() => windows.sliding({ size: 10, slide: -1 }), /windows\.sliding: slide must be > 0 ms, got -1\./);
  assert.throws(() => windows.session({ gap: 0 }), /windows\.session: gap must be > 0 ms, got 0\./);
  assert.throws(() => windows.countTumbling(0), /windows\.countTumbling: size must be a whole number ≥ 1, got 0\./);
});

Misuse('a side-output tag declared twice with one id (each tag carries its type)', () => {
  const error = refusal((env) => {
    const keyed = env
      .from(sources.fromArray([{ k: 'a', ts: 1 }]))
      .withTimestamps((r) => r.ts)
      .keyBy((r) => r.k);
    keyed.window(windows.tumbling(10)).sideOutputLateData(new OutputTag<{ k: string; ts: number }>('late')).reduce((a) => a);
    keyed.window(windows.tumbling(20)).sideOutputLateData(new OutputTag<{ k: string; ts: number }>('late')).reduce((a) => a);
  });
  assert.match(error.message, /the side-output tag "late" is declared twice/);
});

Misuse('the global window without a trigger', () => {
  const error = refusal((env) => {
    env.from(sources.fromArray([1])).keyBy((n) => n).window(windows.global()).reduce((a, b) => a + b);
  });
  assert.match(error.message, /windows\.global\(\) never ends, so it needs a trigger/);
});

Misuse.run();
