import type { PhysicalPlan } from './physical-plan.ts';

/**
 * A pipelined region (Flink's failover region): chains that exchange records, directly or through
 * other chains, in either direction. Nothing passes between two regions, so one can be torn down
 * and restored from a checkpoint while the others run on: no record of theirs is lost or repeated.
 */
export interface Region {
  /** Its position in `pipelinedRegions`, in the order of its first chain. */
  readonly id: number;
  /** Its chains' ids, ascending. */
  readonly chains: readonly number[];
}

/**
 * The plan's pipelined regions: the connected components of its chain graph, where every output
 * edge (forward, keyed, rebalance or broadcast, main or side output) joins its two chains. A job of
 * one pipeline is one region; two sources that never meet are two. Regions come in the order of
 * their lowest chain id, so the same plan gives the same regions.
 *
 * @example
 * ```ts
 * // a → map → sink, and b → keyBy → sum → sink, never joined:
 * pipelinedRegions(plan); // [{ id: 0, chains: [0] }, { id: 1, chains: [1, 2] }]
 * ```
 */
export function pipelinedRegions(plan: PhysicalPlan): Region[] {
  // Union-find over chain ids, the smaller root winning so that a region's root is its lowest chain.
  const parent = plan.chains.map((c) => c.id);
  const root = (c: number): number => {
    while (parent[c] !== c) c = parent[c] = parent[parent[c]!]!;
    return c;
  };
  for (const chain of plan.chains) {
    for (const out of chain.outputs) {
      const [a, b] = [root(chain.id), root(out.to)];
      if (a !== b) parent[Math.max(a, b)] = Math.min(a, b);
    }
  }
  const byRoot = new Map<number, number[]>();
  for (const chain of plan.chains) {
    const r = root(chain.id);
    let members = byRoot.get(r);
    if (!members) byRoot.set(r, (members = []));
    members.push(chain.id);
  }
  return [...byRoot.values()].map((chains, id) => ({ id, chains }));
}

/** The region of each chain, by chain id. */
export function regionOfChains(regions: readonly Region[]): number[] {
  const of: number[] = [];
  for (const region of regions) for (const chain of region.chains) of[chain] = region.id;
  return of;
}
