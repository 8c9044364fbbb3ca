/**
 * Type-level assertions about joins and set operations: checked by `npm run typecheck`, never run
 * as a test (see api-types.ts for the conventions).
 */
import {
  job,
  OutputTag,
  sinks,
  sources,
  windows,
  type Collector,
  type DataStream,
  type IntervalJoin,
  type JoinKeyed,
  type TimeWindow,
  type WindowedJoin,
} from 'weir';
import type { Equals, Expect } from './api-types.ts';

interface Click {
  ad: string;
  user: number;
  ts: number;
}

interface View {
  adId: string;
  ts: number;
}

export const joinTyped = job('join-types', (env) => {
  const clicks = env.from(sources.fromArray<Click>([])).withTimestamps((c) => c.ts);
  const views = env.from(sources.fromArray<View>([])).withTimestamps((v) => v.ts);

  // Window join: the key type comes from where, equalTo must agree, apply sees both record types.
  const keyed = clicks.join(views).where((c) => c.ad).equalTo((v) => v.adId);
  const _keyed: Expect<Equals<typeof keyed, JoinKeyed<Click, View, string>>> = true;
  const windowed = keyed.window(windows.tumbling({ minutes: 1 }));
  const _windowed: Expect<Equals<typeof windowed, WindowedJoin<Click, View, string>>> = true;
  const joined = windowed.apply((c, v, { key, window }) => {
    const _c: Expect<Equals<typeof c, Click>> = true;
    const _v: Expect<Equals<typeof v, View>> = true;
    const _key: Expect<Equals<typeof key, string>> = true;
    const _w: Expect<Equals<typeof window, TimeWindow>> = true;
    return { ad: key, lag: c.ts - v.ts };
  });
  const _joined: Expect<Equals<typeof joined, DataStream<{ ad: string; lag: number }>>> = true;

  // coGroup: both groups typed, the output type from out.
  const grouped = clicks
    .coGroup(views)
    .where((c) => c.user)
    .equalTo((v) => v.ts)
    .window(windows.sliding({ size: 10_000, slide: 1_000 }))
    .apply((user, cs, vs, out: Collector<{ user: number; n: number }>, window) => {
      const _user: Expect<Equals<typeof user, number>> = true;
      const _cs: Expect<Equals<typeof cs, readonly Click[]>> = true;
      const _vs: Expect<Equals<typeof vs, readonly View[]>> = true;
      out.collect({ user, n: cs.length + vs.length + window.start * 0 });
    });
  const _grouped: Expect<Equals<typeof grouped, DataStream<{ user: number; n: number }>>> = true;

  // Interval join: keyed streams of one key type; the function sees both records and the key.
  const between = clicks.keyBy((c) => c.ad).intervalJoin(views.keyBy((v) => v.adId));
  const _between: Expect<Equals<typeof between, IntervalJoin<Click, View, string>>> = true;
  const matched = between.between(-1_000, { seconds: 5 }, { upperBoundExclusive: true }).process((c, v, ctx, out: Collector<[string, number]>) => {
    const _key: Expect<Equals<typeof ctx.key, string>> = true;
    out.collect([ctx.key, ctx.rightTimestamp - ctx.leftTimestamp + c.user * 0 + v.ts * 0]);
    ctx.output(new OutputTag<number>('lags'), ctx.timestamp);
  });
  const _matched: Expect<Equals<typeof matched, DataStream<[string, number]>>> = true;

  // Set operations keep the record type.
  const firsts = clicks.keyBy((c) => c.user).distinct();
  const _firsts: Expect<Equals<typeof firsts, DataStream<Click>>> = true;
  const daily = clicks.keyBy((c) => c.user).distinct({ window: windows.tumbling({ days: 1 }) });
  const _daily: Expect<Equals<typeof daily, DataStream<Click>>> = true;
  const both = clicks.intersect(clicks, { key: (c) => c.ad, window: windows.tumbling(1_000) });
  const _both: Expect<Equals<typeof both, DataStream<Click>>> = true;
  const only = clicks.except(clicks, { key: (c) => c.user, window: windows.session({ seconds: 30 }) });
  const _only: Expect<Equals<typeof only, DataStream<Click>>> = true;

  const _mistakes = () => {
    // @ts-expect-error the key types of where and equalTo must agree
    clicks.join(views).where((c) => c.ad).equalTo((v) => v.ts);
    // @ts-expect-error the key types of where and equalTo must agree (coGroup)
    clicks.coGroup(views).where((c) => c.user).equalTo((v) => v.adId);
    // @ts-expect-error an interval join needs the same key type on both streams
    clicks.keyBy((c) => c.ad).intervalJoin(views.keyBy((v) => v.ts));
    // @ts-expect-error count windows are not windows of time
    keyed.window(windows.countTumbling(3));
    // @ts-expect-error intersect compares streams of one record type
    clicks.intersect(views, { key: (c: Click) => c.ad, window: windows.tumbling(1_000) });
    // @ts-expect-error a join function gets the records of each stream, in order
    windowed.apply((v: View, c: Click) => v.adId + c.ad);
  };

  joined.to(sinks.collect('joined'));
  grouped.to(sinks.discard());
  matched.to(sinks.discard());
  firsts.to(sinks.discard());
  daily.to(sinks.discard());
  both.to(sinks.discard());
  only.to(sinks.discard());
});
