import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { buildGraph, job } from '../lib/api/job.ts';
import { sinks, sources } from '../lib/api/connectors-catalog.ts';
import type { StreamEnvironment } from '../lib/api/environment.ts';
import { WeirError } from '../lib/errors.ts';
import { OutputTag } from '../lib/operator/output-tag.ts';
import { functionText, type LogicalGraph } from '../lib/graph/logical-graph.ts';
import { resolveOptions } from '../lib/runtime/options.ts';
import { planJob, type ChannelPlan, type PhysicalPlan, type PlanOptions } from '../lib/plan/physical-plan.ts';
import { thrownBy } from './helpers.ts';

const graphOf = <P>(build: (env: StreamEnvironment, params: P) => void, params?: P, name = 'plan-spec'): LogicalGraph =>
  buildGraph(job<P>(name, build) as Parameters<typeof buildGraph>[0], params);

const plan = (graph: LogicalGraph, options: Partial<PlanOptions> = {}): PhysicalPlan =>
  planJob(graph, { ...resolveOptions({ workers: 2 }), ...options });

const nodesOf = (chain: { links: readonly { node: number }[] }): number[] => chain.links.map((l) => l.node);

const between = (p: PhysicalPlan, from: number, to: number): ChannelPlan[] =>
  p.channels.filter((c) => c.from.chain === from && !('egress' in c.to) && c.to.chain === to);

const chainOf = (p: PhysicalPlan, node: number): number => {
  const chain = p.chains.find((c) => nodesOf(c).includes(node));
  assert.ok(chain, `expected node #${node} to be in a chain`);
  return chain!.id;
};

const Chaining = suite('plan: chaining');

Chaining('map → filter → map with equal parallelism becomes one chain with the source and sink', () => {
  const g = graphOf((env) => {
    env
      .from(sources.fromArray([1, 2, 3]))
      .map((x) => x + 1)
      .filter((x) => x > 1)
      .map((x) => x * 2)
      .to(sinks.discard());
  });
  const p = plan(g, { parallelism: 3 });
  assert.is(p.chains.length, 1, `expected one chain, got ${p.chains.map((c) => c.name).join(' | ')}`);
  assert.equal(nodesOf(p.chains[0]!), [0, 1, 2, 3, 4], 'expected the chain to hold every node, source first');
  assert.is(p.chains[0]!.name, 'fromArray#0 → map#1 → filter#2 → map#3 → discard#4', 'expected the chain name to list its operators');
  assert.is(p.chains[0]!.parallelism, 3, 'expected the chain to run at the job parallelism');
  assert.ok(p.chains[0]!.isSource, 'expected a chain headed by a source to be marked as a source');
  assert.is(p.channels.length, 0, 'expected no channels inside a single chain without egress');
});

Chaining('operator names given with name() show in the chain name', () => {
  const g = graphOf((env) => {
    env.from(sources.fromArray([1])).name('numbers').map((x) => x).name('identity').to(sinks.discard()).name('drop');
  });
  assert.is(plan(g).chains[0]!.name, 'numbers → identity → drop', 'expected user names in the chain name');
});

Chaining('keyBy breaks the chain and connects every upstream subtask with every downstream subtask', () => {
  const g = graphOf((env) => {
    env
      .from(sources.fromArray([{ k: 'a', v: 1 }]))
      .parallelism(2)
      .keyBy((r) => r.k)
      .reduce((a, b) => ({ k: a.k, v: a.v + b.v }))
      .parallelism(3)
      .to(sinks.discard())
      .parallelism(3);
  });
  const p = plan(g);
  assert.is(p.chains.length, 2, 'expected the keyed edge to split source and reduce into two chains');
  const [source, reduce] = [chainOf(p, 0), chainOf(p, 1)];
  assert.is.not(source, reduce, 'expected source and reduce in different chains');
  assert.is(chainOf(p, 2), reduce, 'expected the sink chained onto the reduce (forward, same parallelism)');
  assert.is(p.chains[source]!.outputs[0]!.partition, 'hash', 'expected a hash-partitioned edge');
  const channels = between(p, source, reduce);
  assert.is(channels.length, 2 * 3, `expected p1 × p2 = 6 channels, got ${channels.length}`);
  const pairs = new Set(channels.map((c) => `${c.from.index}->${(c.to as { index: number }).index}`));
  assert.is(pairs.size, 6, `expected every (sender, receiver) pair exactly once, got ${[...pairs].join(' ')}`);
  for (const c of channels) {
    assert.is(c.slot, (c.to as { index: number }).index, 'expected a hash channel slot to equal the target subtask');
  }
});

Chaining('keyBy breaks the chain even when the parallelism is equal', () => {
  const g = graphOf((env) => {
    env
      .from(sources.fromArray(['a']))
      .keyBy((w) => w)
      .process<string>((w, _ctx, out) => out.collect(w))
      .to(sinks.discard());
  });
  const p = plan(g, { parallelism: 2 });
  assert.is(p.chains.length, 2, 'expected two chains');
  assert.is(between(p, 0, 1).length, 4, 'expected 2 × 2 channels');
});

Chaining('with one subtask on each side, keyBy, rebalance and broadcast fuse into the chain', () => {
  const build = (env: StreamEnvironment) => {
    env
      .from(sources.fromArray(['a']))
      .keyBy((w) => w)
      .process<string>((w, _ctx, out) => out.collect(w))
      .rebalance()
      .map((w) => w)
      .broadcast()
      .map((w) => w)
      .to(sinks.discard());
  };
  const p = plan(graphOf(build), { parallelism: 1 });
  assert.equal(
    p.chains.map((c) => nodesOf(c)),
    [[0, 1, 2, 3, 4]],
    `expected one chain at parallelism 1, got ${p.chains.map((c) => c.name).join(' | ')}`,
  );
  assert.is(p.channels.length, 0, 'expected no channel inside the fused chain');
  const mixed = graphOf((env) => {
    env.from(sources.fromArray(['a'])).parallelism(2).keyBy((w) => w).process<string>((w, _ctx, out) => out.collect(w)).parallelism(1).to(sinks.discard());
  });
  const mp = plan(mixed);
  assert.ok(chainOf(mp, 0) !== chainOf(mp, 2), 'expected a keyBy from two subtasks into one to stay an exchange');
  assert.equal(mp.chains[chainOf(mp, 0)]!.outputs.map((o) => o.partition), ['hash'], 'expected that exchange to hash');
});

Chaining('a side output read by its only consumer stays an edge of its own: fused, its records would go nowhere', () => {
  const alerts = new OutputTag<string>('alerts');
  const g = graphOf((env) => {
    env
      .from(sources.fromArray(['a']))
      .keyBy((w) => w)
      .process<never>((w, ctx) => ctx.output(alerts, w))
      .sideOutput(alerts)
      .to(sinks.discard());
  });
  const p = plan(g, { parallelism: 2 });
  assert.ok(chainOf(p, 2) !== chainOf(p, 1), `expected the side output's sink in a chain of its own, got ${p.chains.map((c) => c.name).join(' | ')}`);
  assert.equal(p.chains[chainOf(p, 1)]!.outputs.map((o) => o.tag), ['alerts'], 'expected the operator to send on the side output');
});

Chaining('chaining: false gives every operator its own actor, and every edge its channels', () => {
  const g = graphOf((env) => {
    env.from(sources.fromArray([1])).map((x) => x).keyBy((x) => x).reduce((a, b) => a + b).to(sinks.discard());
  });
  const p = plan(g, { parallelism: 1, chaining: false });
  assert.equal(p.chains.map((c) => nodesOf(c)), [[0], [1], [2], [3]], 'expected one chain per operator');
  assert.equal(
    p.chains.flatMap((c) => c.outputs.map((o) => o.partition)),
    ['forward', 'hash', 'forward'],
    'expected the partitions of the three edges',
  );
});

Chaining('a parallelism change makes a rebalance edge with all-to-all channels', () => {
  const g = graphOf((env) => {
    env
      .from(sources.fromArray([1, 2, 3]))
      .map((x) => x)
      .parallelism(3)
      .to(sinks.discard());
  });
  const p = plan(g, { parallelism: 2 });
  assert.is(p.chains.length, 3, `expected source | map | sink chains, got ${p.chains.map((c) => c.name).join(' | ')}`);
  const [source, map, sink] = [chainOf(p, 0), chainOf(p, 1), chainOf(p, 2)];
  assert.is(p.chains[source]!.outputs[0]!.partition, 'rebalance', 'expected 2 → 3 to be a rebalance edge');
  assert.is(p.chains[map]!.outputs[0]!.partition, 'rebalance', 'expected 3 → 2 to be a rebalance edge');
  assert.is(between(p, source, map).length, 6, 'expected 2 × 3 channels');
  assert.is(between(p, map, sink).length, 6, 'expected 3 × 2 channels');
});

Chaining('a forward edge between chains connects subtask i only to subtask i', () => {
  const g = graphOf((env) => {
    const s = env.from(sources.fromArray([1]));
    s.map((x) => x).to(sinks.discard());
    s.map((x) => -x).to(sinks.discard());
  });
  const p = plan(g, { parallelism: 3 });
  const source = chainOf(p, 0);
  assert.is(nodesOf(p.chains[source]!).length, 1, 'expected a source with two consumers not to chain onto either');
  assert.is(p.chains[source]!.outputs.length, 2, 'expected the source chain to have two outputs');
  for (const out of p.chains[source]!.outputs) assert.is(out.partition, 'forward', 'expected forward edges at equal parallelism');
  const channels = p.channels.filter((c) => c.from.chain === source);
  assert.is(channels.length, 3 * 2, 'expected one channel per subtask per output');
  for (const c of channels) {
    assert.is((c.to as { index: number }).index, c.from.index, 'expected a forward channel to keep the subtask index');
  }
});

Chaining('rebalance() and broadcast() break the chain at equal parallelism', () => {
  const g = graphOf((env) => {
    const s = env.from(sources.fromArray([1]));
    s.rebalance().map((x) => x).to(sinks.discard());
    s.broadcast().map((x) => x).to(sinks.discard());
  });
  const p = plan(g, { parallelism: 2 });
  const source = p.chains[chainOf(p, 0)]!;
  assert.equal(source.outputs.map((o) => o.partition), ['rebalance', 'broadcast'], 'expected the explicit partitions to be kept');
  assert.is(p.channels.filter((c) => c.from.chain === source.id).length, 2 * 2 * 2, 'expected all-to-all channels for both edges');
});

Chaining('union makes a node with two inputs, fed by both streams', () => {
  const g = graphOf((env) => {
    const a = env.from(sources.fromArray([1]));
    const b = env.from(sources.fromArray([2]));
    a.union(b).map((x) => x).to(sinks.discard());
  });
  const union = g.nodes.find((n) => n.type === 'union');
  assert.ok(union, 'expected a union node');
  assert.equal(union!.inputs.map((e) => e.from), [0, 1], 'expected the union to take both sources as inputs');
  const p = plan(g, { parallelism: 2 });
  const u = chainOf(p, union!.id);
  assert.is(nodesOf(p.chains[u]!)[0], union!.id, 'expected the union to head its own chain (it has two inputs)');
  assert.ok(nodesOf(p.chains[u]!).length >= 2, 'expected the map and sink to chain onto the union');
  for (const source of [0, 1]) {
    assert.is(between(p, chainOf(p, source), u).length, 2, `expected source #${source} to send on a forward channel per subtask to the union`);
  }
});

Chaining('a collect sink gets one egress channel per subtask', () => {
  const g = graphOf((env) => {
    env.from(sources.fromArray([1])).map((x) => x).to(sinks.collect('out')).parallelism(3);
  });
  const p = plan(g, { parallelism: 2 });
  const sink = p.chains[chainOf(p, 2)]!;
  assert.is(sink.egress, 'out', 'expected the sink chain to name its egress');
  const egress = p.channels.filter((c) => 'egress' in c.to);
  assert.is(egress.length, 3, `expected 3 egress channels for a sink at parallelism 3, got ${egress.length}`);
  assert.equal(egress.map((c) => c.from.index).sort(), [0, 1, 2], 'expected one egress channel from each sink subtask');
  for (const c of egress) {
    assert.equal(c.to, { egress: 'out' }, 'expected the egress channel to lead to output "out"');
    assert.is(c.output, sink.outputs.length, 'expected the egress to be the output after the regular outputs');
    assert.is(c.from.chain, sink.id, 'expected egress channels to leave the sink chain');
  }
});

Chaining('channel ids are their positions in the plan', () => {
  const g = graphOf((env) => {
    env.from(sources.fromArray([{ k: 1 }])).keyBy((r) => r.k).reduce((a) => a).to(sinks.collect('c'));
  });
  const p = plan(g, { parallelism: 4 });
  p.channels.forEach((c, i) => assert.is(c.id, i, `expected channel ${i} to have id ${i}`));
});

Chaining.run();

const Decisions = suite('plan: the record of every decision the workers read');

Decisions('every subtask has its worker, and every channel its kind from the two workers', () => {
  const g = graphOf((env) => {
    env.from(sources.fromArray([{ k: 1 }])).keyBy((r) => r.k).reduce((a) => a).to(sinks.collect('c'));
  });
  const p = plan(g, { parallelism: 3, workers: 2 });
  for (const chain of p.chains) assert.equal(chain.workers, [0, 1, 0], `expected subtask i of ${chain.name} on worker i mod 2`);
  for (const c of p.channels) {
    assert.is(c.fromWorker, p.chains[c.from.chain]!.workers[c.from.index], 'expected the sender worker from the placement');
    if (c.kind === 'egress') {
      assert.is(c.toWorker, -1, 'expected an egress to lead to the coordinator');
      continue;
    }
    const to = c.to as { chain: number; index: number };
    assert.is(c.toWorker, p.chains[to.chain]!.workers[to.index], 'expected the receiver worker from the placement');
    assert.is(c.kind, c.fromWorker === c.toWorker ? 'local' : 'port', `expected channel ${c.id} to be local exactly when both ends share a worker`);
  }
  assert.ok(p.channels.some((c) => c.kind === 'local') && p.channels.some((c) => c.kind === 'port'), 'expected both kinds at p3 on 2 workers');
});

Decisions('channel bounds: ports take the job options, in-thread channels at most 2 slots of 256 records, egress the collect bounds', () => {
  const g = graphOf((env) => {
    env.from(sources.fromArray([{ k: 1 }])).keyBy((r) => r.k).reduce((a) => a).to(sinks.collect('c'));
  });
  const p = plan(g, { parallelism: 2, workers: 2, mailboxCapacity: 5, batchSize: 1000, collectCapacity: 7, mailboxBytes: 4096, collectBytes: 8192, batchBytes: 2048 });
  for (const c of p.channels) {
    const expected =
      c.kind === 'port'
        ? { capacity: 5, maxBytes: 4096, batchSize: 1000 }
        : c.kind === 'local'
          ? { capacity: 2, maxBytes: Infinity, batchSize: 256 }
          : { capacity: 7, maxBytes: 8192, batchSize: 1000 };
    assert.equal({ capacity: c.capacity, maxBytes: c.maxBytes, batchSize: c.batchSize }, expected, `bounds of ${c.kind} channel ${c.id}`);
    assert.is(c.batchBytes, 2048, 'expected every channel to take batchBytes');
  }
});

Decisions('keyed operators and fused exchanges are recorded per link', () => {
  const g = graphOf((env) => {
    env
      .from(sources.fromArray(['a']))
      .keyBy((w) => w)
      .process<string>((w, _ctx, out) => out.collect(w))
      .rebalance()
      .map((w) => w)
      .to(sinks.discard());
  });
  const [chain] = plan(g, { parallelism: 1 }).chains;
  assert.equal(
    chain!.links.map((l) => ({ node: l.node, fused: l.fused, keyed: l.keyedBy !== undefined })),
    [
      { node: 0, fused: undefined, keyed: false },
      { node: 1, fused: 'hash', keyed: true },
      { node: 2, fused: 'rebalance', keyed: false },
      { node: 3, fused: undefined, keyed: false },
    ],
  );
  const selector = chain!.links[1]!.keyedBy as number;
  assert.is(g.keySelector(selector)('abc'), 'abc', 'expected the link to name the keyBy function by its graph id');
  const p2 = plan(g, { parallelism: 2 });
  const source = p2.chains[chainOf(p2, 0)]!;
  assert.equal(source.outputs.map((o) => ({ partition: o.partition, keySelector: o.keySelector, operator: o.operator })), [
    { partition: 'hash', keySelector: selector, operator: 'keyBy → process#1' },
  ]);
});

Decisions('in-thread channels copy records exactly where a record can reach more than one channel', () => {
  const fanOut = graphOf((env) => {
    const s = env.from(sources.fromArray([{ v: 1 }]));
    s.map((r) => r).to(sinks.discard());
    s.map((r) => r).to(sinks.discard());
  });
  const broadcast = graphOf((env) => void env.from(sources.fromArray([{ v: 1 }])).broadcast().map((r) => r).to(sinks.discard()));
  const keyed = graphOf((env) => void env.from(sources.fromArray([{ v: 1 }])).keyBy((r) => r.v).reduce((a) => a).to(sinks.discard()));
  for (const [name, g, copies] of [['fan-out', fanOut, true], ['broadcast', broadcast, true], ['keyBy', keyed, false]] as const) {
    const p = plan(g, { parallelism: 2, workers: 2, chaining: false });
    const fromSource = p.channels.filter((c) => c.from.chain === chainOf(p, 0));
    for (const c of fromSource) {
      assert.is(c.copy, copies && c.kind === 'local', `${name}: channel ${c.fromName} → ${c.toName} (${c.kind}) copy`);
    }
  }
});

const Refusals = suite('plan: refusals');

Refusals('a keyed operator with parallelism above maxParallelism is refused with a clear error', () => {
  const g = graphOf((env) => {
    env
      .from(sources.fromArray([1]))
      .keyBy((x) => x)
      .reduce((a, b) => a + b)
      .name('totals')
      .parallelism(8)
      .to(sinks.discard());
  });
  const error = thrownBy(() => plan(g, { maxParallelism: 4 }), 'planJob with p 8 > maxParallelism 4');
  assert.instance(error, WeirError, 'expected a WeirError');
  assert.is(error.code, 'WEIR_E_GRAPH', 'expected code WEIR_E_GRAPH');
  assert.match(error.message, /"totals"/, `expected the message to name the operator: ${error.message}`);
  assert.match(error.message, /parallelism 8/, `expected the message to give the parallelism: ${error.message}`);
  assert.match(error.message, /maxParallelism 4/, `expected the message to give maxParallelism: ${error.message}`);
  assert.match(error.message, /lower it or raise maxParallelism/, `expected the message to say what to do: ${error.message}`);
  // At the limit it is fine.
  const atLimit = plan(g, { maxParallelism: 8 });
  assert.is(atLimit.chains[chainOf(atLimit, 1)]!.parallelism, 8, 'expected parallelism = maxParallelism to be accepted');
});

Refusals('two operators with the same uid are refused', () => {
  const error = thrownBy(
    () =>
      graphOf((env) => {
        const s = env.from(sources.fromArray([1])).uid('numbers');
        s.map((x) => x).uid('numbers').to(sinks.discard());
      }),
    'building a graph with a duplicate uid',
  );
  assert.is(error.code, 'WEIR_E_GRAPH', 'expected code WEIR_E_GRAPH');
  assert.match(error.message, /uid "numbers"/, `expected the message to quote the uid: ${error.message}`);
  assert.match(error.message, /unique/, `expected the message to say uids must be unique: ${error.message}`);
});

Refusals('two collect sinks with the same name are refused', () => {
  const error = thrownBy(
    () =>
      graphOf((env) => {
        const s = env.from(sources.fromArray([1]));
        s.to(sinks.collect('out'));
        s.map((x) => x + 1).to(sinks.collect('out'));
      }),
    'building a graph with two collect sinks named "out"',
  );
  assert.is(error.code, 'WEIR_E_GRAPH', 'expected code WEIR_E_GRAPH');
  assert.match(error.message, /"out"/, `expected the message to quote the name: ${error.message}`);
});

Refusals('a graph without a source is refused', () => {
  const error = thrownBy(() => graphOf(() => {}), 'building an empty graph');
  assert.is(error.code, 'WEIR_E_GRAPH', 'expected code WEIR_E_GRAPH');
  assert.match(error.message, /env\.from/, `expected the message to say how to start a pipeline: ${error.message}`);
});

Refusals('parallelism(), uid() and name() refuse bad values at build time', () => {
  for (const bad of [0, -1, 1.5, NaN]) {
    const error = thrownBy(
      () => graphOf((env) => void env.from(sources.fromArray([1])).map((x) => x).parallelism(bad)),
      `parallelism(${bad})`,
    );
    assert.is(error.code, 'WEIR_E_GRAPH', `expected parallelism(${bad}) to be refused with WEIR_E_GRAPH`);
    assert.match(error.message, /whole number/, `expected the message to say what is allowed: ${error.message}`);
  }
  assert.is(thrownBy(() => graphOf((env) => void env.from(sources.fromArray([1])).uid('')), 'uid("")').code, 'WEIR_E_GRAPH');
  assert.is(thrownBy(() => graphOf((env) => void env.from(sources.fromArray([1])).name('')), 'name("")').code, 'WEIR_E_GRAPH');
});

Refusals.run();

const Fingerprint = suite('graph fingerprint');

interface FpParams {
  p: number;
  items: number[];
}
const fpJob = (env: StreamEnvironment, params: FpParams) => {
  env
    .from(sources.fromArray(params.items))
    .map((x) => x + 1)
    .parallelism(params.p)
    .keyBy((x) => x % 3)
    .reduce((a, b) => a + b)
    .to(sinks.collect('out'));
};

Fingerprint('is equal for two builds of the same job with the same params', () => {
  const a = graphOf(fpJob, { p: 2, items: [1, 2, 3] });
  const b = graphOf(fpJob, { p: 2, items: [1, 2, 3] });
  assert.type(a.fingerprint(), 'string');
  assert.is(a.fingerprint(), b.fingerprint(), 'expected identical builds to have identical fingerprints');
  assert.equal(a.describe(), b.describe(), 'expected identical descriptions');
});

Fingerprint('differs when a parallelism differs', () => {
  const a = graphOf(fpJob, { p: 2, items: [1, 2, 3] });
  const b = graphOf(fpJob, { p: 3, items: [1, 2, 3] });
  assert.is.not(a.fingerprint(), b.fingerprint(), 'expected a different parallelism to change the fingerprint');
});

Fingerprint('differs when a function body differs', () => {
  const build = (delta: 1 | 2) =>
    delta === 1
      ? graphOf((env) => void env.from(sources.fromArray([1])).map((x) => x + 1).to(sinks.discard()))
      : graphOf((env) => void env.from(sources.fromArray([1])).map((x) => x + 2).to(sinks.discard()));
  assert.is.not(build(1).fingerprint(), build(2).fingerprint(), 'expected x + 1 and x + 2 to give different fingerprints');
});

Fingerprint('differs when a key selector differs', () => {
  const a = graphOf((env) => void env.from(sources.fromArray([{ a: 1, b: 2 }])).keyBy((r) => r.a).reduce((x) => x).to(sinks.discard()));
  const b = graphOf((env) => void env.from(sources.fromArray([{ a: 1, b: 2 }])).keyBy((r) => r.b).reduce((x) => x).to(sinks.discard()));
  assert.is.not(a.fingerprint(), b.fingerprint(), 'expected keyBy(r => r.a) and keyBy(r => r.b) to give different fingerprints');
});

Fingerprint('differs when the contents of a fromArray source differ', () => {
  const a = graphOf(fpJob, { p: 2, items: [1, 2, 3] });
  const b = graphOf(fpJob, { p: 2, items: [1, 2, 4] });
  assert.is.not(a.fingerprint(), b.fingerprint(), 'expected different array contents to change the fingerprint');
});

Fingerprint('differs when a name, a uid or a partitioning differs', () => {
  const base = graphOf((env) => void env.from(sources.fromArray([1])).map((x) => x).to(sinks.discard()));
  const named = graphOf((env) => void env.from(sources.fromArray([1])).map((x) => x).name('m').to(sinks.discard()));
  const uid = graphOf((env) => void env.from(sources.fromArray([1])).map((x) => x).uid('m').to(sinks.discard()));
  const rebalanced = graphOf((env) => void env.from(sources.fromArray([1])).rebalance().map((x) => x).to(sinks.discard()));
  const prints = [base, named, uid, rebalanced].map((g) => g.fingerprint());
  assert.is(new Set(prints).size, 4, `expected four different fingerprints, got ${prints.join(' ')}`);
});

Fingerprint("ignores the numbers esbuild gives its helpers when a module is transformed twice", () => {
  // Stand-ins for esbuild's keepNames helper, as a second transform renames it.
  const __name = <F>(fn: F, _name: string): F => fn;
  const __name2 = __name;
  const once = (i: number) => ({ format: __name((v: number) => `${v}${i}`, 'format') });
  const twice = (i: number) => ({ format: __name2((v: number) => `${v}${i}`, 'format') });
  assert.is.not(once.toString(), twice.toString());
  assert.is(functionText(once), functionText(twice));
  assert.is.not(functionText(once), functionText((i: number) => ({ format: __name((v: number) => `${i}${v}`, 'format') })));
});

Fingerprint.run();
