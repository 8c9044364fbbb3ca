import type { KeyedOperatorContext, KeyedOperatorFactory } from '../lib/operator/operator.ts';
import type { Key } from '../lib/state/key-groups.ts';
import { state, type ValueState } from '../lib/state/state-descriptors.ts';
import type { TimeWindow } from '../lib/window/windows.ts';
import { wrappedAssigner, type TimeWindowAssigner, type Timed } from './two-sided-window.ts';
import { windowOperator } from './window-operator.ts';

/**
 * Distinct per key, for ever: the first record of each key to arrive passes, every later one of
 * that key is dropped. It keeps one flag per key seen, for as long as the job runs (use the
 * windowed form when keys keep coming).
 *
 * @example
 * ```ts
 * logins.keyBy((l) => l.user).transform('first-login', keyedDistinctOperator());
 * ```
 */
export function keyedDistinctOperator<T, K extends Key>(): KeyedOperatorFactory<T, T, K> {
  return () => {
    let seen: ValueState<boolean>;
    return {
      open(ctx: KeyedOperatorContext<K>) {
        seen = ctx.keyedState('seen', state.value(false));
      },
      process(record, out) {
        if (seen.value()) return;
        seen.update(true);
        out.collect(record);
      },
    };
  };
}

/**
 * Distinct per key and window: when a window fires, the earliest record of each key in it (by
 * event time; ties: the first to arrive) is emitted, stamped with the window's last millisecond.
 * Each window keeps one record per key, and goes when it fires.
 *
 * @example
 * ```ts
 * logins.keyBy((l) => l.user).transform('daily-users', windowedDistinctOperator(windows.tumbling({ days: 1 })));
 * ```
 */
export function windowedDistinctOperator<T, K extends Key>(assigner: TimeWindowAssigner<T>): KeyedOperatorFactory<T, T, K> {
  const windowed = windowOperator<Timed<T>, T, K, TimeWindow>({
    assigner: wrappedAssigner<T, Timed<T>>(assigner),
    fn: {
      kind: 'reduce',
      reduce: (a: Timed<T>, b: Timed<T>) => (b.t < a.t ? b : a),
      window: (earliest: Timed<T>) => earliest.v,
    },
  });
  return () => {
    const inner = windowed();
    let ctx: KeyedOperatorContext<K>;
    return {
      open(context) {
        ctx = context;
        inner.open?.(context);
      },
      process: (v, out) => inner.process({ t: ctx.timestamp, v }, out),
      onTimer: (time, domain, out) => inner.onTimer?.(time, domain, out),
      // Windows without lateness fire on the watermark, not on timers (see eventTimePanes).
      onWatermark: (watermark, out) => inner.onWatermark?.(watermark, out),
      close: (out) => inner.close?.(out),
    };
  };
}
