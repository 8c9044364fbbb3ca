import type { Collector } from '../operator/operator.ts';
import { userError, type SubtaskLocation } from '../errors.ts';
import type { KeySelector } from '../graph/logical-graph.ts';
import type { ResolvedPartition } from '../plan/physical-plan.ts';
import { keyGroupOf, subtaskOfKeyGroup } from '../state/key-groups.ts';
import { specialize } from '../util/specialize.ts';
import type { ChannelWriter } from './channel-writer.ts';

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

/** Routes one record; the chain's tail calls it. */
export interface Route {
  collect(record: unknown): void;
}

class ForwardRoute implements Route {
  constructor(private readonly writer: ChannelWriter) {}
  collect(record: unknown): void {
    this.writer.push(record);
  }
}

class RebalanceRoute implements Route {
  #next: number;
  constructor(
    private readonly writers: readonly ChannelWriter[],
    start: number,
  ) {
    this.#next = start % writers.length;
  }
  collect(record: unknown): void {
    this.writers[this.#next]!.push(record);
    if (++this.#next === this.writers.length) this.#next = 0;
  }
}

class BroadcastRoute implements Route {
  constructor(private readonly writers: readonly ChannelWriter[]) {}
  collect(record: unknown): void {
    for (let i = 0; i < this.writers.length; i++) this.writers[i]!.push(record);
  }
}

/** A hash route's `collect`, copied per route (see specialize): it calls this edge's key selector only. */
const hashCollect =
  (keyOf: KeySelector, groupOf: typeof keyGroupOf, maxParallelism: number, byKeyGroup: readonly ChannelWriter[], blame: (cause: unknown, record: unknown) => Error) =>
  (record: unknown): void => {
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
  constructor(writers: readonly ChannelWriter[], keyOf: KeySelector, maxParallelism: number, at: SubtaskLocation) {
    // key group → writer, precomputed so that a record costs one hash and one modulo
    const byKeyGroup = Array.from({ length: maxParallelism }, (_, group) => writers[subtaskOfKeyGroup(group, maxParallelism, writers.length)]!);
    const blame = (cause: unknown, record: unknown) => userError(cause, at, { value: record });
    this.collect = specialize(hashCollect, keyOf, keyGroupOf, maxParallelism, byKeyGroup, blame);
  }
}

class FanOut implements Route {
  constructor(private readonly routes: readonly Route[]) {}
  collect(record: unknown): void {
    for (let i = 0; i < this.routes.length; i++) this.routes[i]!.collect(record);
  }
}

const NOWHERE: Route = { collect() {} };

function route(spec: RouteSpec): Route {
  switch (spec.partition) {
    case 'forward':
      return new ForwardRoute(spec.writers[0]!);
    case 'rebalance':
      return spec.writers.length === 1 ? new ForwardRoute(spec.writers[0]!) : new RebalanceRoute(spec.writers, spec.start);
    case 'broadcast':
      return spec.writers.length === 1 ? new ForwardRoute(spec.writers[0]!) : new BroadcastRoute(spec.writers);
    case 'hash':
      return new HashRoute(spec.writers, spec.keyOf!, spec.maxParallelism, spec.at);
  }
}

/** The collector at the end of a chain: sends each record to its output edges' channels. */
export function createRouter(specs: readonly RouteSpec[]): Route {
  if (specs.length === 0) return NOWHERE;
  if (specs.length === 1) return route(specs[0]!);
  return new FanOut(specs.map(route));
}

