import { keyedDistinctOperator, windowedDistinctOperator } from '../../actors/distinct.ts';
import type { TimeWindowAssigner } from '../../actors/two-sided-window.ts';
import { windowSetOperator, type SetOperation } from '../../actors/window-set-operations.ts';
import { errors } from '../errors.ts';
import type { Partition } from '../graph/logical-graph.ts';
import type { Key } from '../state/key-groups.ts';
import { attachTwoInput } from './connected-streams.ts';
import { attachOperator, POSITION, type DataStream, type KeyedStream, type Stream } from './data-stream.ts';
import { assignerFunctions, checkFunction, checkTimeWindows, describeAssigner } from './two-input-windows.ts';

/** Options of `distinct`: without a window, each key passes once for the whole run. */
export interface DistinctOptions<T> {
  /** Distinct per window (tumbling, sliding or session): each key's earliest record of each window. */
  readonly window?: TimeWindowAssigner<T>;
}

/** Options of `intersect` and `except`: records are compared by `key`, within each window of `window`. */
export interface SetOperationOptions<T, K extends Key> {
  readonly key: (record: T) => K;
  readonly window: TimeWindowAssigner<T>;
}

/** `keyed.distinct(options)`: see `KeyedStream.distinct`. */
export function distinctOf<T, K extends Key>(keyed: KeyedStream<T, K>, options: DistinctOptions<T>): DataStream<T> {
  const { graph, edge, partition } = keyed[POSITION]();
  if (typeof options !== 'object' || options === null) throw errors.invalidWindowing('distinct()', 'options is an object such as { window: windows.tumbling({ minutes: 1 }) }.');
  for (const key of Object.keys(options)) if (key !== 'window') throw errors.invalidWindowing('distinct()', `unknown option "${key}": the only option is window.`);
  const keyedBy = (partition as Extract<Partition, { type: 'hash' }>).selector;
  if (options.window === undefined) return attachOperator<T>(graph, { type: 'distinct', inputs: [edge], factory: keyedDistinctOperator<T, K>(), functions: [], keyedBy });
  const assigner = checkTimeWindows<T>('distinct({ window })', options.window, [keyed]);
  return attachOperator<T>(graph, {
    type: 'distinct',
    inputs: [edge],
    factory: windowedDistinctOperator<T, K>(assigner),
    functions: assignerFunctions(assigner as TimeWindowAssigner<unknown>),
    keyedBy,
    describe: { assigner: describeAssigner(assigner as TimeWindowAssigner<unknown>) },
  });
}

/** `first.intersect(second, options)` and `first.except(second, options)`: see `DataStream.intersect`. */
export function setOperation<T, K extends Key>(operation: SetOperation, first: Stream<T>, second: Stream<T>, options: SetOperationOptions<T, K>): DataStream<T> {
  const call = `${operation}()`;
  if (typeof options !== 'object' || options === null) throw errors.invalidWindowing(call, 'needs options { key, window }, e.g. { key: (r) => r.id, window: windows.tumbling({ minutes: 1 }) }.');
  for (const key of Object.keys(options)) if (key !== 'key' && key !== 'window') throw errors.invalidWindowing(call, `unknown option "${key}": the options are key and window.`);
  checkFunction(`${call} key`, options.key, '(record) => key');
  if (options.window === undefined) throw errors.invalidWindowing(call, 'needs a window, e.g. { window: windows.tumbling({ minutes: 1 }) }: an unbounded stream has no end at which a key is known to be absent.');
  const assigner = checkTimeWindows<T>(call, options.window, [first, second]);
  return attachTwoInput<T>(
    first.keyBy(options.key) as Stream<unknown>,
    second.keyBy(options.key) as Stream<unknown>,
    {
      type: operation,
      factory: windowSetOperator<T, K>(operation, assigner),
      functions: assignerFunctions(assigner as TimeWindowAssigner<unknown>),
      describe: { assigner: describeAssigner(assigner as TimeWindowAssigner<unknown>) },
    },
    true,
  );
}
