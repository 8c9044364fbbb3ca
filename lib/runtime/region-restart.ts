import type { LogicalGraph } from '../graph/logical-graph.ts';
import { displayName } from '../graph/logical-graph.ts';
import type { PhysicalPlan } from '../plan/physical-plan.ts';
import { pipelinedRegions, regionOfChains, type Region } from '../plan/regions.ts';

/**
 * What one restart restarts. The whole job (every region, on fresh hosts: the first deployment's
 * path) when the failure cannot be pinned on one region: a worker thread died or was stuck (its
 * actors belong to several regions), the host itself failed, a region's own restart failed, or the
 * job is one region. Otherwise the failed actor's region, rebuilt in place on the running hosts
 * while the other regions run on.
 */
export interface RestartScope {
  readonly wholeJob: boolean;
  /** The restarted chains, ascending (every chain for the whole job). */
  readonly chains: readonly number[];
  /** The same, as a set, for the hosts' and the ports' filters. */
  readonly chainSet: ReadonlySet<number>;
  /** The restarted operators, by name, in plan order (for the `restarting` and `recovered` events). */
  readonly operators: readonly string[];
  /** The collect outputs whose sinks restart: their uncommitted exactly-once output is aborted. */
  readonly outputs: readonly string[];
  /** The source nodes whose split counters go back to the checkpoint's. */
  readonly sources: readonly number[];
}

/**
 * The job's pipelined regions, and the scope of the restart a failure calls for.
 *
 * @example
 * ```ts
 * const regions = new RegionRestarts(graph, plan);
 * regions.scopeOf(outcome.chain); // the failed actor's region, if the job has more than one
 * regions.wholeJob;                // a worker thread died
 * ```
 */
export class RegionRestarts {
  readonly regions: readonly Region[];
  readonly wholeJob: RestartScope;
  readonly #regionOf: readonly number[];
  readonly #scopes: readonly RestartScope[];

  constructor(
    private readonly graph: LogicalGraph,
    private readonly plan: PhysicalPlan,
  ) {
    this.regions = pipelinedRegions(plan);
    this.#regionOf = regionOfChains(this.regions);
    this.wholeJob = this.#scope(plan.chains.map((c) => c.id), true);
    this.#scopes = this.regions.map((r) => this.#scope(r.chains, this.regions.length === 1));
  }

  /** The scope for a failure of an actor of chain `chain` (undefined: not pinned on an actor). */
  scopeOf(chain: number | undefined): RestartScope {
    return chain === undefined ? this.wholeJob : this.#scopes[this.#regionOf[chain]!]!;
  }

  #scope(chains: readonly number[], wholeJob: boolean): RestartScope {
    const members = chains.map((c) => this.plan.chains[c]!);
    const nodes = members.flatMap((c) => c.links.map((l) => this.graph.node(l.node)));
    return {
      wholeJob,
      chains,
      chainSet: new Set(chains),
      operators: nodes.map((n) => displayName(n)),
      outputs: members.flatMap((c) => (c.egress === undefined ? [] : [c.egress])),
      sources: nodes.filter((n) => n.kind === 'source').map((n) => n.id),
    };
  }
}
