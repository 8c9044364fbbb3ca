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

const where = ({ at, maxParallelism, params }: ContextBase): OperatorContext => ({
  job: at.job,
  operator: at.operator,
  subtaskIndex: at.subtaskIndex,
  parallelism: at.parallelism,
  maxParallelism,
  params,
});

/**
 * The context of an operator on a stream that is not keyed. Its type has no keyed state; the
 * object still answers `keyedState`, `key` and `keys` with a clear error, for callers the type
 * system did not stop (JavaScript, casts), instead of inventing keys.
 */
export function operatorContext(base: ContextBase): OperatorContext {
  const { at } = base;
  return {
    ...where(base),
    keyedState(name: string): never {
      throw errors.keyedStateNotKeyed(at, name);
    },
    get key(): never {
      throw errors.keyNotKeyed(at);
    },
    keys(): never {
      throw errors.keyNotKeyed(at);
    },
  } as OperatorContext;
}

/**
 * The context of a keyed operator: `key` is the current record's key (its stage sets `keys.key`
 * before every call), and state handles are scoped to it. States are named per operator
 * (`node/name`), so two operators of a chain never share one by accident.
 */
export function keyedOperatorContext(base: ContextBase, node: number, backend: KeyedStateBackend, keys: KeyContext): KeyedOperatorContext<Key> {
  const prefix = `${node}/`;
  return {
    ...where(base),
    get key(): Key {
      return keys.key;
    },
    keyedState<H>(name: string, descriptor: StateDescriptor<H>): H {
      return backend.handle(prefix + name, descriptor, keys, base.at);
    },
    *keys(): IterableIterator<Key> {
      for (const key of backend.keys(prefix)) {
        keys.key = key;
        yield key;
      }
    },
  };
}
