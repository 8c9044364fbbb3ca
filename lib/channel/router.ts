import type { Collector } from '../operator/operator.ts';
import { userError, type SubtaskLocation } from '../errors.ts';
import type { KeySelector } from '../graph/logical-graph.ts';
import type { ResolvedPartition } from '../plan/physical-plan.ts';
import { keyGroupOf, subtaskOfKeyGroup } from '../state/key-groups.ts';
import { specialize } from '../util/specialize.ts';
import type { ChannelWriter, Flow } from './channel-writer.ts';

/**
 * Where the router puts a record while an output of its actor has no credit: the chain keeps it
 * in front of the router, in order (see Chain). Checked at the router's entry, in the same function
 * that routes, so the check costs no call of its own.
 */
export interface Hold {
  readonly flow: Flow;
  record(record: unknown): void;
}

/** For a router used on its own (tests): never stalled. */
const NEVER: Hold = { flow: { stalled: 0 }, record() {} };

/** How one output edge picks channels; the tail of every actor's chain. */
export interface RouteSpec {
  readonly partition: ResolvedPartition;
  /** One writer per downstream subtask (one for forward). */
  readonly writers: readonly ChannelWriter[];
  /** The key selector, for hash partitioning. */
  readonly keyOf?: KeySelector;
  /** Who to blame when the key selector throws or returns something that is not a key. */
  readonly at: SubtaskLocation;
  readonly maxParallelism: number;
  /** Where round-robin starts, so that parallel senders do not all hit subtask 0 first. */
  readonly start: number;
}

/** Routes one record; the chain's tail calls it. `collect` is a function of its own, bound: the chain calls it as is. */
export interface Route {
  readonly collect: (record: unknown) => void;
}

/** A forward route's `collect`, copied per route (see specialize). */
const forwardCollect =
  (writer: ChannelWriter, flow: Flow, hold: Hold) =>
  (record: unknown): void => {
    if (flow.stalled !== 0) hold.record(record);
    else writer.push(record);
  };

class ForwardRoute implements Route {
  readonly collect: (record: unknown) => void;
  constructor(writer: ChannelWriter, hold: Hold) {
    this.collect = specialize(forwardCollect, writer, hold.flow, hold);
  }
}

class RebalanceRoute implements Route {
  #next: number;
  constructor(
    private readonly writers: readonly ChannelWriter[],
    start: number,
    private readonly hold: Hold,
  ) {
    this.#next = start % writers.length;
  }
  readonly collect = (record: unknown): void => {
    if (this.hold.flow.stalled !== 0) return this.hold.record(record);
    this.writers[this.#next]!.push(record);
    if (++this.#next === this.writers.length) this.#next = 0;
  };
}

class BroadcastRoute implements Route {
  constructor(
    private readonly writers: readonly ChannelWriter[],
    private readonly hold: Hold,
  ) {}
  readonly collect = (record: unknown): void => {
    if (this.hold.flow.stalled !== 0) return this.hold.record(record);
    for (let i = 0; i < this.writers.length; i++) this.writers[i]!.push(record);
  };
}

/** A hash route's `collect`, copied per route (see specialize): it calls this edge's key selector only. */
const hashCollect =
  (keyOf: KeySelector, groupOf: typeof keyGroupOf, maxParallelism: number, byKeyGroup: readonly ChannelWriter[], blame: (cause: unknown, record: unknown) => Error, flow: Flow, hold: Hold) =>
  (record: unknown): void => {
    if (flow.stalled !== 0) {
      hold.record(record);
      return;
    }
    let group: number;
    try {
      group = groupOf(keyOf(record), maxParallelism);
    } catch (cause) {
      throw blame(cause, record);
    }
    byKeyGroup[group]!.push(record);
  };

class HashRoute implements Route {
  readonly collect: (record: unknown) => void;
  constructor(writers: readonly ChannelWriter[], keyOf: KeySelector, maxParallelism: number, at: SubtaskLocation, hold: Hold) {
    // key group → writer, precomputed so that a record costs one hash and one modulo
    const byKeyGroup = Array.from({ length: maxParallelism }, (_, group) => writers[subtaskOfKeyGroup(group, maxParallelism, writers.length)]!);
    const blame = (cause: unknown, record: unknown) => userError(cause, at, { value: record });
    this.collect = specialize(hashCollect, keyOf, keyGroupOf, maxParallelism, byKeyGroup, blame, hold.flow, hold);
  }
}

class FanOut implements Route {
  constructor(
    private readonly routes: readonly Route[],
    private readonly hold: Hold,
  ) {}
  readonly collect = (record: unknown): void => {
    if (this.hold.flow.stalled !== 0) return this.hold.record(record);
    for (let i = 0; i < this.routes.length; i++) this.routes[i]!.collect(record);
  };
}

const NOWHERE: Route = { collect: () => {} };

function route(spec: RouteSpec, hold: Hold): Route {
  switch (spec.partition) {
    case 'forward':
      return new ForwardRoute(spec.writers[0]!, hold);
    case 'rebalance':
      return spec.writers.length === 1 ? new ForwardRoute(spec.writers[0]!, hold) : new RebalanceRoute(spec.writers, spec.start, hold);
    case 'broadcast':
      return spec.writers.length === 1 ? new ForwardRoute(spec.writers[0]!, hold) : new BroadcastRoute(spec.writers, hold);
    case 'hash':
      return new HashRoute(spec.writers, spec.keyOf!, spec.maxParallelism, spec.at, hold);
  }
}

/**
 * The collector at the end of a chain: sends each record to its output edges' channels, or, while
 * an output of the actor has no credit, hands it to `hold`.
 */
export function createRouter(specs: readonly RouteSpec[], hold: Hold = NEVER): Route {
  if (specs.length === 0) return NOWHERE;
  if (specs.length === 1) return route(specs[0]!, hold);
  // Each edge of a fan-out routes a record the FanOut let through: they must not hold it again.
  return new FanOut(
    specs.map((spec) => route(spec, NEVER)),
    hold,
  );
}

