import { errors, type SubtaskLocation } from '../errors.ts';
import type { KeyedOperatorContext, OperatorContext } from '../operator/operator.ts';
import type { Key } from '../state/key-groups.ts';
import type { KeyContext, KeyedStateBackend } from '../state/keyed-state-backend.ts';
import type { StateDescriptor } from '../state/state-descriptors.ts';

/** Where an operator runs, and what it is called. */
export interface ContextBase {
  readonly at: SubtaskLocation;
  readonly maxParallelism: number;
  readonly params: unknown;
}

/** What every operator's context says: where it runs. */
class Place implements OperatorContext {
  readonly job: string;
  readonly operator: string;
  readonly subtaskIndex: number;
  readonly parallelism: number;
  readonly maxParallelism: number;
  readonly params: unknown;
  protected readonly at: SubtaskLocation;

  constructor({ at, maxParallelism, params }: ContextBase) {
    this.at = at;
    this.job = at.job;
    this.operator = at.operator;
    this.subtaskIndex = at.subtaskIndex;
    this.parallelism = at.parallelism;
    this.maxParallelism = maxParallelism;
    this.params = params;
  }
}

/**
 * The context of an operator on a stream that is not keyed. Its type has no keyed state; the
 * object still answers `keyedState`, `key` and `keys` with a clear error, for callers the type
 * system did not stop (JavaScript, casts), instead of inventing keys.
 */
class UnkeyedContext extends Place {
  keyedState(name: string): never {
    throw errors.keyedStateNotKeyed(this.at, name);
  }

  get key(): unknown {
    throw errors.keyNotKeyed(this.at);
  }

  keys(): IterableIterator<Key> {
    throw errors.keyNotKeyed(this.at);
  }
}

/**
 * The context of a keyed operator: `key` is the current record's key (its stage sets `keys.key`
 * before every call), and state handles are scoped to it. States are named per operator
 * (`node/name`), so two operators of a chain never share one by accident. A class, not an object
 * literal: `ctx.key` is read on every record, and a getter on a prototype is one V8 can inline.
 */
class KeyedContext extends Place implements KeyedOperatorContext<Key> {
  readonly #prefix: string;

  constructor(
    base: ContextBase,
    node: number,
    private readonly backend: KeyedStateBackend,
    private readonly current: KeyContext,
  ) {
    super(base);
    this.#prefix = `${node}/`;
  }

  get key(): Key {
    return this.current.key;
  }

  keyedState<H>(name: string, descriptor: StateDescriptor<H>): H {
    return this.backend.handle(this.#prefix + name, descriptor, this.current, this.at);
  }

  keys(): IterableIterator<Key> {
    return this.backend.keysOf(this.#prefix, this.current);
  }
}

export const operatorContext = (base: ContextBase): OperatorContext => new UnkeyedContext(base);

export const keyedOperatorContext = (base: ContextBase, node: number, backend: KeyedStateBackend, keys: KeyContext): KeyedOperatorContext<Key> =>
  new KeyedContext(base, node, backend, keys);
