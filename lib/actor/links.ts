import { userError, type SubtaskLocation } from '../errors.ts';
import { displayName, type KeyedBy, type KeySelector, type LogicalGraph, type LogicalNode } from '../graph/logical-graph.ts';
import type { Operator, OperatorContext, TwoInputOperator } from '../operator/operator.ts';
import type { OutputTag } from '../operator/output-tag.ts';
import type { Source, SourceReader } from '../operator/source.ts';
import type { ChainPlan } from '../plan/physical-plan.ts';
import type { SourceDeadLetter } from '../protocol/control.ts';
import type { KeyedStateBackend } from '../state/keyed-state-backend.ts';
import { OperatorStore } from '../state/operator-state-store.ts';
import { TimerQueue } from '../state/timer-queue.ts';
import { claimSplit } from '../checkpoint/split-claims.ts';
import { operatorKey } from '../checkpoint/checkpoint.ts';
import type { Clock } from '../util/clock.ts';
import type { JsonValue } from '../util/json.ts';
import type { ChainLink } from './chain.ts';
import { keyedOperatorContext, operatorContext, type ContextBase } from './operator-context.ts';
import type { OperatorLink } from './operator-stage.ts';
import type { RecordTime } from './pending-input.ts';

/** What the links of a chain are made with: one actor's share of the job. */
export interface LinkSetup {
  readonly graph: LogicalGraph;
  readonly chain: ChainPlan;
  /** The subtask, named after its chain. */
  readonly at: SubtaskLocation;
  readonly maxParallelism: number;
  readonly params: unknown;
  readonly jobId: string;
  readonly keyed: KeyedStateBackend;
  readonly time: RecordTime;
  readonly clock: Clock;
  /** The shared split counter of each source node, by node id. */
  readonly splitCounters: Readonly<Record<number, SharedArrayBuffer>>;
  /** The last checkpoint whose barrier this subtask injected (0: none): logged with each split it claims. */
  readonly checkpointEpoch?: () => number;
  /** The next unfinished split of an earlier run dealt to this subtask (see `SourceContext.resumeSplit`). */
  readonly resumeSplit?: () => JsonValue | undefined;
  /** The route of a side output of the chain's last operator, if the tag has a consumer. */
  readonly side: (tag: string) => ((record: unknown) => void) | undefined;
  readonly wakeAt: (time: number) => void;
  readonly late: () => void;
  /** The subtask waits for `promise` (see `OperatorContext.waitFor`); `at` is blamed if it rejects. */
  readonly waitFor: (promise: PromiseLike<unknown>, at: SubtaskLocation) => void;
  /** A parked source has records again (see `SourceContext.wakeUp`). */
  readonly wakeUp: () => void;
  /** A source's dead letter (see `SourceContext.deadLetter`). */
  readonly deadLetter: (letter: SourceDeadLetter) => void;
}


/** The chain's stages, and its source reader if it starts at a source. */
export interface Links {
  readonly links: ChainLink[];
  readonly source?: { readonly reader: SourceReader<unknown>; readonly at: SubtaskLocation };
  /** Whether a stage assigns timestamps (the actor then wakes up every watermark interval). */
  readonly assigns: boolean;
}

/**
 * Creates and opens the operators of one subtask's chain, as the plan lays it out: each operator
 * with its context (keyed ones with their key context, state and timers), `withTimestamps` stages
 * with their generator, and the source's reader. A throwing `open` is blamed on its operator.
 */
export function openLinks(setup: LinkSetup): Links {
  const { graph, chain } = setup;
  const links: ChainLink[] = [];
  let source: Links['source'];
  chain.links.forEach((link, position) => {
    const node = graph.node(link.node);
    const at = { ...setup.at, operator: displayName(node) };
    if (node.kind === 'source') {
      source = { reader: openSource(setup, node.id, node.source!, at), at };
    } else if (node.assigner) {
      const { timestampOf, generator, idleMs } = node.assigner;
      links.push({ kind: 'assigner', at, timestampOf, generator: generator(), idleMs });
    } else {
      // Side outputs exist for the chain's last operator (one with a side consumer ends its chain).
      const last = position === chain.links.length - 1;
      // A record that fails an operator is counted (and skipped, if poison) by the operator's key.
      links.push(openOperator(setup, node, { ...at, stage: operatorKey(node) }, link.keyedBy, link.fused === 'hash', last));
    }
  });
  return { links, ...(source ? { source } : {}), assigns: links.some((l) => l.kind === 'assigner') };
}

function openSource(setup: LinkSetup, node: number, source: Source<unknown>, at: SubtaskLocation): SourceReader<unknown> {
  const counter = setup.splitCounters[node]!;
  const epoch = setup.checkpointEpoch ?? (() => 0);
  try {
    return source.open({
      subtaskIndex: setup.at.subtaskIndex,
      parallelism: setup.at.parallelism,
      nextSplit: () => claimSplit(counter, epoch()),
      resumeSplit: setup.resumeSplit ?? (() => undefined),
      clock: setup.clock,
      wakeUp: setup.wakeUp,
      deadLetter: (record, reason, key) => setup.deadLetter({ record, reason: String(reason), key: `${node}:${key}`, at }),
    });
  } catch (cause) {
    throw userError(cause, { ...at, while: 'opening' });
  }
}

function openOperator(setup: LinkSetup, node: LogicalNode, at: SubtaskLocation, keyedBy: KeyedBy | undefined, fused: boolean, last: boolean): OperatorLink {
  const created = node.createOperator!() as Operator<unknown, unknown, never>;
  const operator = node.inputs.some((e) => e.input === 1) ? oneInput(created as unknown as TwoInputOperator<unknown, unknown, unknown, never>, setup.time) : created;
  const watermark = { watermark: -Infinity };
  const operatorState = new OperatorStore();
  const base: ContextBase = {
    operatorState,
    at,
    maxParallelism: setup.maxParallelism,
    params: setup.params,
    jobId: setup.jobId,
    time: setup.time,
    stage: watermark,
    clock: setup.clock,
    side: (tag: OutputTag<unknown>, record: unknown) => {
      // Without a consumer (or before the chain's end) a side record has nowhere to go, as in Flink.
      const route = last ? setup.side(tag.id) : undefined;
      route?.(record);
    },
    late: setup.late,
    waitFor: (promise) => setup.waitFor(promise, at),
  };
  if (keyedBy === undefined) {
    open(operator, operatorContext(base), at);
    return { kind: 'operator', operator: operator as Operator<unknown, unknown>, at, watermark, operatorState };
  }
  // A number to start with: V8 then keeps the field unboxed for numeric keys (a string key widens it once).
  const keys = { key: 0 as string | number };
  const timers = { event: new TimerQueue(), processing: new TimerQueue() };
  open(operator, keyedOperatorContext(base, node.id, setup.keyed, keys, timers, setup.wakeAt), at);
  return {
    kind: 'operator',
    operator: operator as Operator<unknown, unknown>,
    at,
    watermark,
    operatorState,
    keyed: { keyOf: keyOf(setup.graph, keyedBy, setup.time), keys, at: { ...at, operator: `keyBy → ${at.operator}` }, check: fused, timers },
  };
}

/** The key of a record: by the input's own selector, for a two-input operator keyed on both. */
function keyOf(graph: LogicalGraph, keyedBy: KeyedBy, time: RecordTime): KeySelector {
  if (typeof keyedBy === 'number') return graph.keySelector(keyedBy);
  const [first, second] = keyedBy.map((id) => graph.keySelector(id)) as [KeySelector, KeySelector];
  return (record) => (time.input === 0 ? first(record) : second(record));
}

/**
 * A two-input operator as the stage runs operators: `process` hands each record to `process1` or
 * `process2` by the input it came by (the actor sets `time.input` per batch); every other hook is
 * the operator's own.
 */
function oneInput<C extends OperatorContext>(operator: TwoInputOperator<unknown, unknown, unknown, C>, time: RecordTime): Operator<unknown, unknown, C> {
  const wrapped: Operator<unknown, unknown, C> = {
    process: (record, out) => (time.input === 0 ? operator.process1(record, out) : operator.process2(record, out)),
  };
  // Bound, so that an operator written as a class keeps its `this`; absent hooks stay absent.
  for (const hook of ['open', 'onWatermark', 'onTimer', 'close', 'snapshot', 'restore', 'onCheckpointComplete', 'dispose'] as const) {
    const fn = operator[hook] as ((...args: never[]) => unknown) | undefined;
    if (fn) (wrapped as unknown as Record<string, unknown>)[hook] = fn.bind(operator);
  }
  return wrapped;
}

function open<C extends OperatorContext>(operator: Operator<unknown, unknown, C>, context: C, at: SubtaskLocation): void {
  try {
    operator.open?.(context);
  } catch (cause) {
    throw userError(cause, { ...at, while: 'opening' });
  }
}
