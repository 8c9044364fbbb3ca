import { errors } from '../errors.ts';
import { displayName, type KeyedBy, type LogicalGraph, type Partition } from '../graph/logical-graph.ts';

/**
 * The physical plan: every decision about how a job runs, made once in the coordinator and read by
 * the workers, never recomputed there. Which operators are fused into one actor (and which exchanges
 * became function calls), where every subtask runs, and for every channel its two ends, its kind
 * (in-thread, between threads, to the coordinator), its bounds and whether it copies records.
 */
export interface PhysicalPlan {
  readonly job: string;
  readonly chains: readonly ChainPlan[];
  readonly channels: readonly ChannelPlan[];
  readonly maxParallelism: number;
  readonly workers: number;
}

/** An edge's partitioning once parallelisms are known. */
export type ResolvedPartition = 'forward' | 'rebalance' | 'broadcast' | 'hash';

/** One operator of a chain. */
export interface LinkPlan {
  /** Logical node id. */
  readonly node: number;
  /** For a keyed operator, the key selector (graph id) its stage keys each record with; one per input for two inputs. */
  readonly keyedBy?: KeyedBy;
  /**
   * The exchange in front of this operator that the plan fused into the chain, because both sides
   * have one subtask each (on the same thread): a function call stands in for it. Absent for the
   * head of a chain and for plain forward calls.
   */
  readonly fused?: Exclude<ResolvedPartition, 'forward'>;
}

/**
 * Operators fused into one actor: a forward edge of equal parallelism, or any edge between two
 * operators of one subtask each (which can only go to that one subtask, on the same thread), costs a
 * function call, not a hand-off.
 */
export interface ChainPlan {
  readonly id: number;
  /** The chain's operators, head first. */
  readonly links: readonly LinkPlan[];
  readonly name: string;
  readonly parallelism: number;
  readonly isSource: boolean;
  /** Outgoing edges to other chains, in the order the router serves them. */
  readonly outputs: readonly OutputPlan[];
  /** Where records leave for the coordinator (collect sinks). */
  readonly egress?: string;
  /** The worker thread of each subtask, by subtask index. */
  readonly workers: readonly number[];
}

export interface OutputPlan {
  /** Downstream chain. */
  readonly to: number;
  readonly partition: ResolvedPartition;
  /** For hash partitioning: the key selector (graph id) that routes records. */
  readonly keySelector?: number;
  /** The operator a failing key selector is reported as, e.g. `keyBy → vwap`. */
  readonly operator: string;
  /** The side output this edge carries (`stream.sideOutput(tag)`); absent for the main output. */
  readonly tag?: string;
  /** Which input of the downstream operator the edge feeds: 1 for the second of a two-input operator. */
  readonly input: 0 | 1;
}

/** Where one subtask runs. */
export interface SubtaskRef {
  readonly chain: number;
  readonly index: number;
}

/** In-thread (a queue, records by reference), between threads (a MessagePort, encoded batches), or to the coordinator. */
export type ChannelKind = 'local' | 'port' | 'egress';

/** One channel: a bounded, credit-controlled FIFO between two subtasks, or from a subtask to the coordinator. */
export interface ChannelPlan {
  readonly id: number;
  readonly from: SubtaskRef;
  /** Index of the sender's output (`ChainPlan.outputs`), or `outputs.length` for the egress. */
  readonly output: number;
  /** Position of this channel among the output's channels (the target subtask for hash/rebalance/broadcast). */
  readonly slot: number;
  readonly to: SubtaskRef | { readonly egress: string };
  readonly kind: ChannelKind;
  /** The sender's worker, and the receiver's (-1: the coordinator). */
  readonly fromWorker: number;
  readonly toWorker: number;
  /** Messages in flight at most (the receiver's mailbox slots). */
  readonly capacity: number;
  /** Estimated bytes in flight at most (one batch may go over it, so that any record can pass). */
  readonly maxBytes: number;
  /** Records per batch at most. */
  readonly batchSize: number;
  /** A batch leaves once its records are estimated at this many bytes. */
  readonly batchBytes: number;
  /**
   * The sender's records may reach other channels too (a broadcast, or a stream read by several
   * operators): this in-thread channel hands over a copy of each record, so that no two consumers
   * share an object, as they could not across threads.
   */
  readonly copy: boolean;
  /** What the receiving end is called in metrics and errors: `vwap 2/4`, `output "hourly"`. */
  readonly toName: string;
  readonly fromName: string;
  /** The records carry event time: each batch carries their timestamps. */
  readonly timed: boolean;
  /** Which input of the receiving operator the channel feeds (0, or 1 for the second of a two-input operator). */
  readonly input: 0 | 1;
}

export interface PlanOptions {
  parallelism: number;
  maxParallelism: number;
  workers: number;
  /** Fuse operators into chains where the data allows it (Flink's operator chaining). */
  chaining: boolean;
  mailboxCapacity: number;
  collectCapacity: number;
  batchSize: number;
  batchBytes: number;
  mailboxBytes: number;
  collectBytes: number;
}

/**
 * In-thread channels: at most this many slots. Sender and receiver share a thread, so more slots
 * overlap nothing; they only keep records alive longer (GC, cache) and let a source run ahead of
 * its own consumer, claiming splits that a less loaded worker would have read. At parallelism 2 in
 * the bid bench, 16 → 4 slots gave +10% records/s (7 of 8 interleaved pairs), and 2 more again.
 */
export const LOCAL_CAPACITY = 2;

/**
 * In-thread batches: at most this many records. A hand-over in the same thread copies nothing, so
 * big batches buy nothing here, while every record a queued batch holds survives the next
 * young-generation GC: at 4096 records a full in-thread mailbox made a busy worker's scavenges
 * twice as expensive.
 */
export const LOCAL_BATCH_SIZE = 256;

/** The worker a subtask lives on: subtask i of every chain shares worker i mod W, so forward hops stay in-thread. */
const placeSubtask = (index: number, workers: number): number => index % workers;

/** The worker of a subtask, as the plan placed it. */
export const workerOf = (plan: PhysicalPlan, ref: SubtaskRef): number => plan.chains[ref.chain]!.workers[ref.index]!;

/** Subtask name as metrics and errors show it: `vwap 2/4`. */
export const subtaskName = (chain: ChainPlan, index: number): string => `${chain.name} ${index + 1}/${chain.parallelism}`;

/** Turns the logical graph into chains, subtasks and channels. Pure: the same graph and options give the same plan. */
export function planJob(graph: LogicalGraph, options: PlanOptions): PhysicalPlan {
  const { nodes } = graph;
  const parallelism = nodes.map((n) => n.parallelism ?? options.parallelism);
  nodes.forEach((n, i) => {
    if (n.keyedBy !== undefined && parallelism[i]! > options.maxParallelism) {
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
    // A side output is not the operator's output: fused, its records would go nowhere (only the
    // main output runs on down a chain).
    return (
      edge.tag === undefined &&
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
    const links: LinkPlan[] = ids.map((n, position) => {
      const node = nodes[n]!;
      const input = position === 0 ? undefined : resolve(node.inputs[0]!.partition, node.inputs[0]!.from, n);
      return {
        node: n,
        ...(node.keyedBy === undefined ? {} : { keyedBy: node.keyedBy }),
        ...(input === undefined || input === 'forward' ? {} : { fused: input }),
      };
    });
    const outputs: OutputPlan[] = consumers[tail]!.map(({ node, inputIndex }) => {
      const { partition, tag, input } = nodes[node]!.inputs[inputIndex]!;
      return {
        to: chainOfNode[node]!,
        input: input ?? 0,
        partition: resolve(partition, tail, node),
        ...(partition.type === 'hash' ? { keySelector: partition.selector } : {}),
        operator: `keyBy → ${displayName(nodes[node]!)}`,
        ...(tag === undefined ? {} : { tag }),
      };
    });
    const egress = nodes[tail]!.egress;
    const p = parallelism[ids[0]!]!;
    return {
      id,
      links,
      name: ids.map((n) => displayName(nodes[n]!)).join(' → '),
      parallelism: p,
      isSource: nodes[ids[0]!]!.kind === 'source',
      outputs,
      ...(egress === undefined ? {} : { egress }),
      workers: Array.from({ length: p }, (_, index) => placeSubtask(index, options.workers)),
    };
  });

  const timed = graph.timed();
  const chainTimed = chains.map((c) => timed[c.links[c.links.length - 1]!.node]!);
  return { job: graph.job, chains, channels: planChannels(chains, chainTimed, options), maxParallelism: options.maxParallelism, workers: options.workers };
}

/** Every channel of every subtask, with its kind, bounds and whether it copies. */
function planChannels(chains: readonly ChainPlan[], timed: readonly boolean[], options: PlanOptions): ChannelPlan[] {
  const channels: ChannelPlan[] = [];
  for (const chain of chains) {
    // A record of this chain can reach more than one channel: each in-thread consumer gets a copy.
    // Side outputs count apart: a record goes to the main output or to one side output.
    const fansOut = (tag: string | undefined): boolean => {
      const edges = chain.outputs.filter((o) => o.tag === tag);
      return edges.length + (tag === undefined && chain.egress !== undefined ? 1 : 0) > 1 || edges.some((o) => o.partition === 'broadcast' && chains[o.to]!.parallelism > 1);
    };
    for (let index = 0; index < chain.parallelism; index++) {
      const from = { chain: chain.id, index };
      const fromWorker = chain.workers[index]!;
      const between = (output: number, slot: number, target: ChainPlan, targetIndex: number): ChannelPlan => {
        const copies = fansOut(chain.outputs[output]!.tag);
        const toWorker = target.workers[targetIndex]!;
        const local = toWorker === fromWorker;
        return {
          id: channels.length,
          from,
          output,
          slot,
          to: { chain: target.id, index: targetIndex },
          kind: local ? 'local' : 'port',
          fromWorker,
          toWorker,
          capacity: local ? Math.min(options.mailboxCapacity, LOCAL_CAPACITY) : options.mailboxCapacity,
          maxBytes: local ? Infinity : options.mailboxBytes,
          batchSize: local ? Math.min(options.batchSize, LOCAL_BATCH_SIZE) : options.batchSize,
          batchBytes: options.batchBytes,
          copy: local && copies,
          toName: subtaskName(target, targetIndex),
          fromName: subtaskName(chain, index),
          timed: timed[chain.id]!,
          input: chain.outputs[output]!.input,
        };
      };
      chain.outputs.forEach((out, output) => {
        const target = chains[out.to]!;
        if (out.partition === 'forward') channels.push(between(output, 0, target, index));
        else for (let j = 0; j < target.parallelism; j++) channels.push(between(output, j, target, j));
      });
      if (chain.egress !== undefined) {
        channels.push({
          id: channels.length,
          from,
          output: chain.outputs.length,
          slot: 0,
          to: { egress: chain.egress },
          kind: 'egress',
          fromWorker,
          toWorker: -1,
          capacity: options.collectCapacity,
          maxBytes: options.collectBytes,
          batchSize: options.batchSize,
          batchBytes: options.batchBytes,
          copy: false,
          toName: `output "${chain.egress}"`,
          fromName: subtaskName(chain, index),
          // The coordinator's outputs take records, not their time.
          timed: false,
          input: 0,
        });
      }
    }
  }
  return channels;
}
