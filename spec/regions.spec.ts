import fc from 'fast-check';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { buildGraph, job } from '../lib/api/job.ts';
import { sinks, sources } from '../lib/api/connectors-catalog.ts';
import type { StreamEnvironment } from '../lib/api/environment.ts';
import { OutputTag } from '../lib/operator/output-tag.ts';
import { resolveOptions } from '../lib/runtime/options.ts';
import { planJob, type ChainPlan, type PhysicalPlan } from '../lib/plan/physical-plan.ts';
import { pipelinedRegions, regionOfChains } from '../lib/plan/regions.ts';

const planOf = (build: (env: StreamEnvironment) => void, parallelism = 2): PhysicalPlan =>
  planJob(buildGraph(job('regions-spec', build) as Parameters<typeof buildGraph>[0], undefined), { ...resolveOptions({ workers: 2 }), parallelism });

/** The regions as lists of chain names, for messages that say what was expected. */
const named = (plan: PhysicalPlan): string[][] => pipelinedRegions(plan).map((r) => r.chains.map((c) => plan.chains[c]!.name));

const FromPlans = suite('pipelined regions of planned jobs');

FromPlans('one pipeline with a keyBy is one region, though it is several chains', () => {
  const plan = planOf((env) => {
    env
      .from(sources.fromArray([{ k: 'a', v: 1 }]))
      .keyBy((r) => r.k)
      .map((r) => r.v)
      .to(sinks.discard());
  });
  assert.ok(plan.chains.length > 1, `expected the keyBy to break the chain, got ${plan.chains.length} chain`);
  assert.equal(pipelinedRegions(plan), [{ id: 0, chains: plan.chains.map((c) => c.id) }], `expected one region of every chain, got ${JSON.stringify(named(plan))}`);
});

FromPlans('two pipelines that never meet are two regions, each with its own chains', () => {
  const plan = planOf((env) => {
    env.from(sources.fromArray([1, 2])).name('a').rebalance().map((x) => x).name('a-map').to(sinks.collect('a-out'));
    env.from(sources.fromArray([3, 4])).name('b').keyBy((x) => x % 2).map((x) => x).name('b-map').to(sinks.collect('b-out'));
  });
  const regions = named(plan);
  assert.is(regions.length, 2, `expected two regions, got ${JSON.stringify(regions)}`);
  assert.ok(regions[0]!.every((name) => name.startsWith('a')), `expected the first region to hold pipeline a only: ${JSON.stringify(regions)}`);
  assert.ok(regions[1]!.every((name) => name.startsWith('b')), `expected the second region to hold pipeline b only: ${JSON.stringify(regions)}`);
});

FromPlans('a union, a connect and a side output each join what they touch into one region', () => {
  const union = planOf((env) => {
    const a = env.from(sources.fromArray([1])).name('a');
    const b = env.from(sources.fromArray([2])).name('b');
    a.union(b).map((x) => x).to(sinks.discard());
  });
  assert.is(pipelinedRegions(union).length, 1, `union: expected one region, got ${JSON.stringify(named(union))}`);
  const connected = planOf((env) => {
    const a = env.from(sources.fromArray([1])).name('a');
    const b = env.from(sources.fromArray([2])).name('b');
    a.connect(b)
      .process<number>({
        process1: (x, _ctx, out) => out.collect(x),
        process2: (y, _ctx, out) => out.collect(y),
      })
      .to(sinks.discard());
  });
  assert.is(pipelinedRegions(connected).length, 1, `connect: expected one region, got ${JSON.stringify(named(connected))}`);
  const side = planOf((env) => {
    const late = new OutputTag<number>('late');
    const checked = env
      .from(sources.fromArray([1]))
      .keyBy((x) => x)
      .process<never>((x, ctx) => ctx.output(late, x));
    checked.sideOutput(late).to(sinks.discard());
  });
  assert.is(pipelinedRegions(side).length, 1, `side output: expected one region, got ${JSON.stringify(named(side))}`);
});

FromPlans('every chain is in exactly one region, and regionOfChains says which', () => {
  const plan = planOf((env) => {
    env.from(sources.fromArray([1])).map((x) => x).to(sinks.discard());
    env.from(sources.fromArray([2])).keyBy((x) => x).map((x) => x).to(sinks.discard());
    env.from(sources.fromArray([3])).to(sinks.discard());
  });
  const regions = pipelinedRegions(plan);
  const of = regionOfChains(regions);
  assert.is(regions.length, 3, `expected three regions, got ${JSON.stringify(named(plan))}`);
  for (const chain of plan.chains) assert.is(regions[of[chain.id]!]!.chains.includes(chain.id), true, `expected chain ${chain.name} in region ${of[chain.id]}`);
});

/** A plan of `n` chains whose only content is its edges (all the regions look at). */
const bare = (n: number, edges: readonly [number, number][]): PhysicalPlan => ({
  job: 'bare',
  maxParallelism: 128,
  workers: 1,
  channels: [],
  chains: Array.from({ length: n }, (_, id): ChainPlan => ({
    id,
    links: [],
    name: `c${id}`,
    parallelism: 1,
    isSource: false,
    workers: [0],
    outputs: edges.filter(([from]) => from === id).map(([, to]) => ({ to, partition: 'forward', operator: `c${to}`, input: 0 })),
  })),
});

const graphs = fc.integer({ min: 1, max: 12 }).chain((n) => fc.tuple(fc.constant(n), fc.array(fc.tuple(fc.nat(n - 1), fc.nat(n - 1)), { maxLength: 16 })));

const Invariants = suite('pipelined regions: invariants');

Invariants('regions partition the chains, no edge crosses two regions, and each region is connected', () => {
  fc.assert(
    fc.property(graphs, ([n, edges]) => {
      const plan = bare(n, edges);
      const regions = pipelinedRegions(plan);
      const of = regionOfChains(regions);
      assert.equal(regions.flatMap((r) => r.chains).sort((a, b) => a - b), [...Array(n).keys()], 'every chain once');
      regions.forEach((r, i) => assert.is(r.id, i, 'ids are positions'));
      for (const [a, b] of edges) assert.is(of[a], of[b], `edge ${a} → ${b} inside one region`);
      // Connected: a walk over the edges (either direction) from a region's first chain reaches all of it.
      for (const region of regions) {
        const seen = new Set([region.chains[0]!]);
        for (let grew = true; grew; ) {
          grew = false;
          for (const [a, b] of edges) {
            if (seen.has(a) !== seen.has(b)) {
              seen.add(a).add(b);
              grew = true;
            }
          }
        }
        assert.is(seen.size, region.chains.length, `region ${region.id} (${region.chains}) is connected`);
      }
    }),
  );
});

FromPlans.run();
Invariants.run();
