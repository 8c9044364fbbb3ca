import type { OperatorFactory } from '../operator/operator.ts';
import type { Source } from '../operator/source.ts';
import type { Delivery } from '../operator/sink.ts';
import type { JsonValue } from '../util/json.ts';
import { errors } from '../errors.ts';
import type { Key } from '../state/key-groups.ts';
import { digest } from '../util/hash.ts';

/** How records of an edge are distributed over the downstream subtasks. */
export type Partition =
  /** forward when both sides have the same parallelism, else rebalance */
  | { readonly type: 'default' }
  | { readonly type: 'rebalance' }
  | { readonly type: 'broadcast' }
  /** By key: `selector` is the graph's key selector id (see `LogicalGraph.keySelector`). */
  | { readonly type: 'hash'; readonly selector: number };

/** The key selector id of a keyed operator's input, or of each of a two-input operator's inputs. */
export type KeyedBy = number | readonly [number, number];

/** A `keyBy` function. */
export type KeySelector = (record: unknown) => Key;

export interface LogicalEdge {
  readonly from: number;
  readonly partition: Partition;
  /** The side output of `from` this edge reads (`stream.sideOutput(tag)`); absent for its main output. */
  readonly tag?: string;
  /** 1 for an edge into the second input of a two-input operator (`connect`, joins); absent for the first. */
  readonly input?: 1;
}

/** How a `withTimestamps` node gives records their event time and the stream its watermarks. */
export interface AssignerSpec {
  readonly timestampOf: (record: unknown) => number;
  /** A fresh generator per subtask. */
  readonly generator: () => { onEvent(record: unknown, timestamp: number): void; onPeriodic(): number | undefined };
  readonly idleMs?: number;
}

/** One operator of the user's pipeline, before parallel instances exist. */
export interface LogicalNode {
  /** Position in the graph: deterministic for a deterministic build(). */
  readonly id: number;
  readonly kind: 'source' | 'operator' | 'sink';
  /** The transformation, e.g. `map`, `keyed-reduce`. */
  readonly type: string;
  name?: string;
  uid?: string;
  parallelism?: number;
  readonly inputs: readonly LogicalEdge[];
  /** Configuration that enters the fingerprint. */
  readonly describe: JsonValue;
  /** User functions; their source text enters the fingerprint. */
  readonly functions: readonly Function[];
  readonly source?: Source<unknown>;
  readonly createOperator?: OperatorFactory<unknown, unknown>;
  /**
   * For keyed operators: the id of the key selector of their input (see `LogicalGraph.keySelector`);
   * for keyed two-input operators, one per input.
   */
  readonly keyedBy?: KeyedBy;
  /** Name of the coordinator output a collect sink feeds. */
  readonly egress?: string;
  /** When the records of the egress reach the caller (absent: at-least-once). */
  readonly delivery?: Delivery;
  /** For a `withTimestamps` node: where timestamps and watermarks come from. */
  readonly assigner?: AssignerSpec;
}

/** The name shown in errors, metrics and progress: the user's name, else `type#id`. */
export const displayName = (node: LogicalNode): string => node.name ?? node.uid ?? `${node.type}#${node.id}`;


/** The logical graph a job module's build() describes. Built identically in the coordinator and every worker. */
export class LogicalGraph {
  readonly nodes: LogicalNode[] = [];
  /** Every keyBy's function, by id: partitions and keyed nodes refer to them by id, so plans can too. */
  readonly #keySelectors: KeySelector[] = [];
  /** Side-output tags by id: one tag object per id, since each carries its record type. */
  readonly #tags = new Map<string, object>();

  constructor(readonly job: string) {}

  /** Registers a keyBy function; returns its id. */
  addKeySelector(fn: KeySelector): number {
    this.#keySelectors.push(fn);
    return this.#keySelectors.length - 1;
  }

  /** Checks that `tag` is the only tag object with its id in this job. */
  useTag(tag: { readonly id: string }): void {
    const known = this.#tags.get(tag.id);
    if (known === undefined) this.#tags.set(tag.id, tag);
    else if (known !== tag) {
      throw errors.invalidGraph(
        this.job,
        `the side-output tag "${tag.id}" is declared twice; each OutputTag carries its record type, so create it once (const late = new OutputTag<Trade>("${tag.id}")) and use that one object everywhere.`,
      );
    }
  }

  /** Whether each node's records carry event time: those after a `withTimestamps`, by node id. */
  timed(): boolean[] {
    const timed: boolean[] = [];
    for (const n of this.nodes) timed[n.id] = n.assigner !== undefined || n.inputs.some((e) => timed[e.from]);
    return timed;
  }

  /** The key selector with this id. */
  keySelector(id: number): KeySelector {
    const fn = this.#keySelectors[id];
    if (!fn) throw errors.internal(`job "${this.job}" has no key selector ${id}`);
    return fn;
  }

  add(node: Omit<LogicalNode, 'id'>): LogicalNode {
    const full: LogicalNode = { ...node, id: this.nodes.length };
    this.nodes.push(full);
    return full;
  }

  node(id: number): LogicalNode {
    const node = this.nodes[id];
    if (!node) throw errors.invalidGraph(this.job, `no operator with id ${id}`);
    return node;
  }

  /** One line per node: what the fingerprint covers, and what a mismatch report quotes. */
  describe(): string[] {
    return this.nodes.map((n) =>
      [
        `#${n.id} ${n.kind}:${n.type}`,
        `name=${n.name ?? ''}`,
        `uid=${n.uid ?? ''}`,
        `p=${n.parallelism ?? 'default'}`,
        `in=[${n.inputs.map((e) => `${e.from}${e.tag === undefined ? '' : `[${e.tag}]`}:${this.#partitionText(e.partition)}${e.input === 1 ? '→2' : ''}`).join(',')}]`,
        `keyed=${n.keyedBy ?? ''}`,
        `cfg=${JSON.stringify(n.describe)}`,
        `fn=[${n.functions.map(functionText).join('‖')}]`,
      ].join(' '),
    );
  }

  #partitionText(p: Partition): string {
    return p.type === 'hash' ? `hash#${p.selector}(${functionText(this.keySelector(p.selector))})` : p.type;
  }

  fingerprint(): string {
    return digest(this.describe());
  }

  /** Checks what can be checked before planning; throws WEIR_E_GRAPH. */
  validate(): void {
    if (!this.nodes.some((n) => n.kind === 'source')) {
      throw errors.invalidGraph(this.job, 'the graph has no source; start a pipeline with env.from(source).');
    }
    const uids = new Set<string>();
    const egress = new Set<string>();
    for (const n of this.nodes) {
      if (n.uid !== undefined) {
        if (uids.has(n.uid)) throw errors.invalidGraph(this.job, `uid "${n.uid}" is used by two operators; uids must be unique.`);
        uids.add(n.uid);
      }
      if (n.egress !== undefined) {
        if (egress.has(n.egress)) throw errors.invalidGraph(this.job, `two collect sinks are named "${n.egress}"; names must be unique.`);
        egress.add(n.egress);
      }
    }
  }

  /** The delivery of collect sink `name` (at-least-once unless it asked for exactly-once). */
  egressDelivery(name: string): Delivery {
    return this.nodes.find((n) => n.egress === name)?.delivery ?? 'at-least-once';
  }

  /** Names of the collect sinks, for `JobHandle.output`. */
  egressNames(): string[] {
    return this.nodes.flatMap((n) => (n.egress === undefined ? [] : [n.egress]));
  }
}

/**
 * A user function's source text, as the fingerprint compares it. A TypeScript job module may be
 * transformed more than once in one thread (under `node --import tsx` weir's own tsx hooks run
 * too), and esbuild then numbers its helpers (`__name2(fn, "format")` where a worker has
 * `__name(fn, "format")`): same function, different text. Helper numbers are dropped.
 */
export const functionText = (fn: Function): string => {
  const shown = (fn as { [SHOWN_AS]?: string | Function })[SHOWN_AS];
  if (shown !== undefined) return typeof shown === 'string' ? shown : functionText(shown);
  return fn.toString().replace(/\b(__[A-Za-z]+)\d+\(/g, '$1(');
};

const SHOWN_AS = Symbol('weir.shownAs');

/**
 * Marks a function weir makes itself (a wrapper of a user function, a constant key) so that the
 * fingerprint compares `shown` (the wrapped user function, or a fixed text) instead of its source:
 * weir's own code may be loaded from its sources in one thread and from its build in another.
 *
 * @example
 * ```ts
 * const result = shownAs((acc, _key, window) => user.result(acc, window), user.result);
 * ```
 */
export function shownAs<F extends Function>(fn: F, shown: string | Function): F {
  Object.defineProperty(fn, SHOWN_AS, { value: shown });
  return fn;
}

/** Explains how two graph descriptions differ, for WEIR_E_GRAPH_MISMATCH. */
export function describeDifference(expected: readonly string[], actual: readonly string[]): string {
  const n = Math.max(expected.length, actual.length);
  for (let i = 0; i < n; i++) {
    if (expected[i] !== actual[i]) {
      const clip = (s: string | undefined) => (s === undefined ? '(missing)' : s.length > 160 ? `${s.slice(0, 160)}…` : s);
      return `operator #${i}: coordinator has "${clip(expected[i])}", worker has "${clip(actual[i])}"`;
    }
  }
  return 'the fingerprints differ';
}
