import { errors } from '../errors.ts';
import { displayName, type LogicalGraph, type Partition } from '../graph/logical-graph.ts';

/** An edge's partitioning once parallelisms are known. */
export type ResolvedPartition = 'forward' | 'rebalance' | 'broadcast' | 'hash';

/**
 * Operators fused into one actor: a forward edge of equal parallelism, or any edge between two
 * operators of one subtask each (which can only go to that one subtask, on the same thread), costs a
 * function call, not a hand-off.
 */
export interface ChainPlan {
  readonly id: number;
  /** Logical node ids, head first. */
  readonly nodes: readonly number[];
  readonly name: string;
  readonly parallelism: number;
  readonly isSource: boolean;
  /** Outgoing edges to other chains, in the order the router serves them. */
  readonly outputs: readonly OutputPlan[];
  /** Where records leave for the coordinator (collect sinks). */
  readonly egress?: string;
}

export interface OutputPlan {
  /** Downstream chain. */
  readonly to: number;
  readonly partition: ResolvedPartition;
  /** Logical node whose `hash` partition key selector applies (the edge's source in the graph). */
  readonly edge: { readonly from: number; readonly toNode: number; readonly inputIndex: number };
}

/** Where one subtask runs. */
export interface SubtaskRef {
  readonly chain: number;
  readonly index: number;
}

/** One channel: a bounded, credit-controlled FIFO between two subtasks, or from a subtask to the coordinator. */
export interface ChannelPlan {
  readonly id: number;
  readonly from: SubtaskRef;
  /** Index of the sender's output (`ChainPlan.outputs`), or `outputs.length` for the egress. */
  readonly output: number;
  /** Position of this channel among the output's channels (the target subtask for hash/rebalance). */
  readonly slot: number;
  readonly to: SubtaskRef | { readonly egress: string };
}

export interface PhysicalPlan {
  readonly job: string;
  readonly chains: readonly ChainPlan[];
  readonly channels: readonly ChannelPlan[];
  readonly maxParallelism: number;
  readonly workers: number;
}

export interface PlanOptions {
  parallelism: number;
  maxParallelism: number;
  workers: number;
  /** Fuse operators into chains where the data allows it (Flink's operator chaining). */
  chaining: boolean;
}

/** The worker a subtask lives on: subtask i of every chain shares worker i mod W, so forward hops stay in-thread. */
export const workerOf = (ref: SubtaskRef, workers: number): number => ref.index % workers;

/** Turns the logical graph into chains, subtasks and channels. Pure: the coordinator and the workers compute the same plan. */
export function planJob(graph: LogicalGraph, options: PlanOptions): PhysicalPlan {
  const { nodes } = graph;
  const parallelism = nodes.map((n) => n.parallelism ?? options.parallelism);
  nodes.forEach((n, i) => {
    if (n.keyOf && parallelism[i]! > options.maxParallelism) {
      throw errors.invalidGraph(
        graph.job,
        `keyed operator "${displayName(n)}" has parallelism ${parallelism[i]}, above maxParallelism ${options.maxParallelism} (the number of key groups); lower it or raise maxParallelism.`,
      );
    }
  });
  const consumers = nodes.map(() => [] as { node: number; inputIndex: number }[]);
  nodes.forEach((n) => n.inputs.forEach((e, inputIndex) => consumers[e.from]!.push({ node: n.id, inputIndex })));

  const resolve = (p: Partition, from: number, to: number): ResolvedPartition => {
    if (p.type !== 'default') return p.type;
    return parallelism[from] === parallelism[to] ? 'forward' : 'rebalance';
  };
  const chainsOnto = (to: number): boolean => {
    const node = nodes[to]!;
    if (!options.chaining || node.inputs.length !== 1) return false;
    const edge = node.inputs[0]!;
    // With one subtask on each side, hash, rebalance and broadcast all send every record to that one
    // subtask, which lives on the same worker (subtask 0 → worker 0): a hand-off would only add cost.
    const single = parallelism[edge.from] === 1 && parallelism[to] === 1;
    return (
      consumers[edge.from]!.length === 1 &&
      nodes[edge.from]!.kind !== 'sink' &&
      (single || resolve(edge.partition, edge.from, to) === 'forward')
    );
  };

  const chainOfNode = new Array<number>(nodes.length).fill(-1);
  const members: number[][] = [];
  for (const node of nodes) {
    if (chainsOnto(node.id)) continue;
    const chain = [node.id];
    chainOfNode[node.id] = members.length;
    for (let tail = node.id; consumers[tail]!.length === 1 && chainsOnto(consumers[tail]![0]!.node); ) {
      tail = consumers[tail]![0]!.node;
      chain.push(tail);
      chainOfNode[tail] = members.length;
    }
    members.push(chain);
  }

  const chains: ChainPlan[] = members.map((ids, id) => {
    const tail = ids[ids.length - 1]!;
    const outputs: OutputPlan[] = consumers[tail]!.map(({ node, inputIndex }) => ({
      to: chainOfNode[node]!,
      partition: resolve(nodes[node]!.inputs[inputIndex]!.partition, tail, node),
      edge: { from: tail, toNode: node, inputIndex },
    }));
    const egress = nodes[tail]!.egress;
    return {
      id,
      nodes: ids,
      name: ids.map((n) => displayName(nodes[n]!)).join(' → '),
      parallelism: parallelism[ids[0]!]!,
      isSource: nodes[ids[0]!]!.kind === 'source',
      outputs,
      ...(egress === undefined ? {} : { egress }),
    };
  });

  const channels: ChannelPlan[] = [];
  for (const chain of chains) {
    for (let index = 0; index < chain.parallelism; index++) {
      const from = { chain: chain.id, index };
      chain.outputs.forEach((out, output) => {
        const target = chains[out.to]!;
        if (out.partition === 'forward') {
          channels.push({ id: channels.length, from, output, slot: 0, to: { chain: target.id, index } });
        } else {
          for (let j = 0; j < target.parallelism; j++) {
            channels.push({ id: channels.length, from, output, slot: j, to: { chain: target.id, index: j } });
          }
        }
      });
      if (chain.egress !== undefined) {
        channels.push({ id: channels.length, from, output: chain.outputs.length, slot: 0, to: { egress: chain.egress } });
      }
    }
  }
  return { job: graph.job, chains, channels, maxParallelism: options.maxParallelism, workers: options.workers };
}
