/**
 * Type-level assertions about the public API: checked by `npm run typecheck`, never run as a test.
 * Each `const _x: Expect<Equals<A, B>> = true` fails to compile if the types differ, and each
 * `// @ts-expect-error` line fails to compile if the error it expects disappears.
 */
import {
  job,
  run,
  sinks,
  sources,
  state,
  type Collector,
  type DataStream,
  type DataStreamSink,
  type JobDefinition,
  type JobHandle,
  type JobResult,
  type Key,
  type KeyedStream,
  type PartitionedStream,
  type RunOptions,
  type ValueState,
  type ListState,
  type MapState,
  type ReducingState,
  type AggregatingState,
  type StateDescriptor,
  type Ttl,
} from 'weir';

export type Equals<A, B> = (<T>() => T extends A ? 1 : 2) extends <T>() => T extends B ? 1 : 2 ? true : false;
export type Expect<T extends true> = T;

interface Trade {
  symbol: string;
  price: number;
  size: number;
}

export const typed = job('api-types', (env, params: { n: number }) => {
  const trades = env.from(sources.fromArray<Trade>([{ symbol: 'A', price: 1, size: 2 }]));
  const _trades: Expect<Equals<typeof trades, DataStream<Trade>>> = true;

  // map changes the record type.
  const prices = trades.map((t) => t.price);
  const _prices: Expect<Equals<typeof prices, DataStream<number>>> = true;

  const fromLiteral = env.from(sources.fromArray([{ a: 1 }])).map((r) => r.a);
  const _fromLiteral: Expect<Equals<typeof fromLiteral, DataStream<number>>> = true;

  // generate infers the record type from its function.
  const generated = env.from(sources.generate((i) => ({ i, even: i % 2 === 0 }), { count: params.n }));
  const _generated: Expect<Equals<typeof generated, DataStream<{ i: number; even: boolean }>>> = true;

  // flatMap takes any iterable.
  const words = env.from(sources.fromArray(['a b'])).flatMap((line) => line.split(' '));
  const _words: Expect<Equals<typeof words, DataStream<string>>> = true;
  const chars = words.flatMap(function* (w) {
    yield* w;
  });
  const _chars: Expect<Equals<typeof chars, DataStream<string>>> = true;

  // filter with a type guard narrows; a plain predicate keeps the type.
  const mixed = env.from(sources.fromArray<string | number>([1, 'a']));
  const onlyNumbers = mixed.filter((x): x is number => typeof x === 'number');
  const _onlyNumbers: Expect<Equals<typeof onlyNumbers, DataStream<number>>> = true;
  const stillMixed = mixed.filter((x) => String(x).length > 0);
  const _stillMixed: Expect<Equals<typeof stillMixed, DataStream<string | number>>> = true;

  // keyBy carries the key type to process' ctx.key; declared states give typed handles (from
  // their initial values), and the type of `out` gives the output type: no type arguments.
  const bySymbol = trades.keyBy((t) => t.symbol);
  const _bySymbol: Expect<Equals<typeof bySymbol, KeyedStream<Trade, string>>> = true;
  const volumes = bySymbol.process({
    state: { volume: state.value(0), last: state.value<Trade>(), seen: state.value(() => ({ n: 0 })) },
    process(t, ctx, out: Collector<{ symbol: string; volume: number }>) {
      const _key: Expect<Equals<typeof ctx.key, string>> = true;
      const _volume: Expect<Equals<typeof ctx.state.volume, ValueState<number>>> = true;
      const _last: Expect<Equals<typeof ctx.state.last, ValueState<Trade | undefined>>> = true;
      const _seen: Expect<Equals<ReturnType<typeof ctx.state.seen.value>, { n: number }>> = true;
      const volume = ctx.state.volume.value() + t.size;
      ctx.state.volume.update(volume);
      ctx.state.last.update(t);
      out.collect({ symbol: ctx.key, volume });
    },
  });
  const _volumes: Expect<Equals<typeof volumes, DataStream<{ symbol: string; volume: number }>>> = true;

  // Every kind of state gives its handle type from its declaration, with a ttl or without.
  const perSymbol = bySymbol.process({
    state: {
      prices: state.list<number>({ ttl: { ms: 60_000 } }),
      bidders: state.map<string, Trade>(),
      total: state.reducing((a: number, b: number) => a + b),
      mean: state.aggregating({
        create: () => ({ sum: 0, n: 0 }),
        add: (acc, t: Trade) => ({ sum: acc.sum + t.price, n: acc.n + 1 }),
        result: (acc) => acc.sum / acc.n,
      }),
      last: state.value<Trade>(undefined, { ttl: { ms: 1000, time: 'event', update: 'onReadAndWrite' } }),
      count: state.value(0, { ttl: { ms: 1000 } }),
    },
    process(t, ctx, out: Collector<number>) {
      const _prices: Expect<Equals<typeof ctx.state.prices, ListState<number>>> = true;
      const _bidders: Expect<Equals<typeof ctx.state.bidders, MapState<string, Trade>>> = true;
      const _total: Expect<Equals<typeof ctx.state.total, ReducingState<number>>> = true;
      const _mean: Expect<Equals<typeof ctx.state.mean, AggregatingState<Trade, number>>> = true;
      const _last: Expect<Equals<typeof ctx.state.last, ValueState<Trade | undefined>>> = true;
      const _count: Expect<Equals<typeof ctx.state.count, ValueState<number>>> = true;
      const _list: Expect<Equals<ReturnType<typeof ctx.state.prices.get>, number[]>> = true;
      const _entry: Expect<Equals<ReturnType<typeof ctx.state.bidders.get>, Trade | undefined>> = true;
      const _reduced: Expect<Equals<ReturnType<typeof ctx.state.total.get>, number | undefined>> = true;
      ctx.state.prices.add(t.price);
      ctx.state.bidders.put(t.symbol, t);
      for (const [symbol, trade] of ctx.state.bidders.entries()) {
        const _pair: Expect<Equals<[typeof symbol, typeof trade], [string, Trade]>> = true;
      }
      ctx.state.total.add(t.size);
      ctx.state.mean.add(t);
      // @ts-expect-error a list holds its declared element type only
      ctx.state.prices.add('not a number');
      // @ts-expect-error a map its declared value type
      ctx.state.bidders.put(t.symbol, t.price);
      // @ts-expect-error and its declared key type
      ctx.state.bidders.get(1);
      // @ts-expect-error an aggregating state takes what add takes
      ctx.state.mean.add(t.price);
      out.collect(ctx.state.mean.get() ?? 0);
    },
  });
  const _perSymbol: Expect<Equals<typeof perSymbol, DataStream<number>>> = true;
  const _ttl: Expect<Equals<Ttl, { readonly ms: number; readonly time?: 'processing' | 'event'; readonly update?: 'onWrite' | 'onReadAndWrite' }>> = true;

  // Mistaken declarations do not compile. (Not called: some of them throw at run time too.)
  const _badStates = () => {
    // @ts-expect-error map keys are strings or numbers, so that snapshots stay plain data
    state.map<{ id: string }, number>();
    // @ts-expect-error a reduction returns the type it combines
    state.reducing((a: number, b: number) => String(a + b));
    // @ts-expect-error aggregating needs result
    state.aggregating({ create: () => 0, add: (a: number, v: number) => a + v });
    // @ts-expect-error a ttl is measured in processing or event time only
    state.list<number>({ ttl: { ms: 1000, time: 'wall' } });
    // @ts-expect-error a ttl needs ms
    state.list<number>({ ttl: { time: 'event' } });
    // @ts-expect-error options have a ttl and nothing else
    state.value(0, { ttl: { ms: 5 }, retain: true });
    // @ts-expect-error a list declaration does not give a map
    const _wrong: StateDescriptor<MapState<string, number>> = state.list<number>();
  };

  // The function form: the output type from `out`'s type, or given explicitly.
  const bySize = trades.keyBy((t) => t.size);
  const sizes = bySize.process((_t, ctx, out: Collector<number>) => {
    const _key: Expect<Equals<typeof ctx.key, number>> = true;
    out.collect(ctx.key);
  });
  const _sizes: Expect<Equals<typeof sizes, DataStream<number>>> = true;
  const named = bySize.process<string>((t, _ctx, out) => out.collect(t.symbol));
  const _named: Expect<Equals<typeof named, DataStream<string>>> = true;
  // Nothing says what is emitted: unknown, never never.
  const untyped = bySize.process((t, _ctx, out) => out.collect(t.symbol));
  const _untyped: Expect<Equals<typeof untyped, DataStream<unknown>>> = true;

  // A keyed transform gets the key and keyed state; a transform on a stream that is not keyed does not.
  bySymbol.transform<number>('keyed', () => {
    let count: ValueState<number>;
    let recent: ListState<number>;
    return {
      open(ctx) {
        const _k: Expect<Equals<typeof ctx.key, string>> = true;
        count = ctx.keyedState('count', state.value(0));
        recent = ctx.keyedState('recent', state.list<number>({ ttl: { ms: 60_000 } }));
        const sizes = ctx.keyedState('sizes', state.map<number, string>());
        const _sizes: Expect<Equals<typeof sizes, MapState<number, string>>> = true;
        // @ts-expect-error a handle of the declared kind only
        const _notList: ListState<number> = ctx.keyedState('max', state.reducing((a: number, b: number) => Math.max(a, b)));
      },
      process(t, out) {
        count.update(count.value() + t.size);
        recent.add(t.price);
        out.collect(count.value());
      },
    };
  });
  trades.transform<number>('not keyed', () => ({
    open(ctx) {
      // @ts-expect-error keyed state needs a keyed stream
      ctx.keyedState('count', state.value(0));
      // @ts-expect-error and so does the key
      void ctx.key;
    },
    process(t, out) {
      out.collect(t.size);
    },
  }));

  // reduce keeps the record type.
  const totals = bySymbol.reduce((a, b) => ({ ...a, size: a.size + b.size }));
  const _totals: Expect<Equals<typeof totals, DataStream<Trade>>> = true;

  // aggregate: accumulator inferred from create, result type from result, key type from keyBy.
  const vwap = bySymbol.aggregate({
    create: () => ({ volume: 0, notional: 0 }),
    add: (acc, t) => ({ volume: acc.volume + t.size, notional: acc.notional + t.size * t.price }),
    result: (acc, symbol) => ({ symbol, vwap: acc.notional / acc.volume }),
  });
  const _vwap: Expect<Equals<typeof vwap, DataStream<{ symbol: string; vwap: number }>>> = true;

  // union keeps the type; rebalance and broadcast too, as streams on their way to the next operator.
  const _union: Expect<Equals<ReturnType<typeof prices.union>, DataStream<number>>> = true;
  const _rebalanced: Expect<Equals<ReturnType<typeof prices.rebalance>, PartitionedStream<number>>> = true;
  const _broadcast: Expect<Equals<ReturnType<typeof prices.broadcast>, PartitionedStream<number>>> = true;
  const rebalancedPrices = prices.rebalance().map((p) => p * 2);
  const _rebalancedPrices: Expect<Equals<typeof rebalancedPrices, DataStream<number>>> = true;
  prices.union(prices.rebalance(), bySymbol.map((t) => t.price));

  // A partitioning handle has no operator settings: they would land on the operator before it.
  // (Not called: the handles indeed have no such methods at run time.)
  const _refused = () => {
    // @ts-expect-error keyBy(...).name() would rename the upstream operator
    bySymbol.name('x');
    // @ts-expect-error keyBy(...).uid() too
    bySymbol.uid('x');
    // @ts-expect-error keyBy(...).parallelism() too
    bySymbol.parallelism(2);
    // @ts-expect-error rebalance().name() too
    prices.rebalance().name('x');
    // @ts-expect-error broadcast().parallelism() too
    prices.broadcast().parallelism(2);
  };

  // Handles chain and sinks end the stream.
  const sink = prices.name('prices').uid('prices').parallelism(2).to(sinks.collect<number>('prices'));
  const _sink: Expect<Equals<typeof sink, DataStreamSink>> = true;
  vwap.to(sinks.collect('vwap'));
  volumes.to(sinks.discard());
  onlyNumbers.to(sinks.console('n'));

  // @ts-expect-error a collect sink of strings does not take a stream of numbers
  prices.to(sinks.collect<string>('wrong'));

  // @ts-expect-error records have no property "missing"
  trades.map((t) => t.missing);

  // @ts-expect-error keys are strings or numbers, not objects
  trades.keyBy((t) => ({ symbol: t.symbol }));

  // @ts-expect-error union only merges streams of the same type
  prices.union(words);

  // @ts-expect-error a state holds its declared type only
  bySymbol.process({ state: { n: state.value(0) }, process: (_t, ctx) => ctx.state.n.update('not a number') });

  // @ts-expect-error and there is no state that was not declared
  bySymbol.process({ state: { n: state.value(0) }, process: (_t, ctx) => ctx.state.m.value() });

  // @ts-expect-error out takes the output type only
  bySymbol.process((_t, _ctx, out: Collector<number>) => out.collect('not a number'));

  // @ts-expect-error the filter guard must narrow the record type
  mixed.filter((x): x is boolean => typeof x === 'boolean');

  const _key: Expect<Equals<Key, string | number>> = true;
});

const _definition: Expect<Equals<typeof typed, JobDefinition<{ n: number }>>> = true;

// run() resolves to a handle whose outputs are typed by the caller.
export async function typedHandle(): Promise<number[]> {
  const options: RunOptions<{ n: number }> = { parallelism: 2, workers: 1, params: { n: 3 } };
  const handle = await run(new URL('./not-run.ts', import.meta.url), options);
  const _handle: Expect<Equals<typeof handle, JobHandle>> = true;
  const result = await handle.done;
  const _result: Expect<Equals<typeof result, JobResult>> = true;
  const _status: Expect<Equals<typeof result.status, 'finished' | 'cancelled' | 'stopped'>> = true;
  // @ts-expect-error unknown options are refused at compile time too
  await run('x.ts', { paralelism: 2 });
  const rows = await handle.collected<number>('prices');
  const _rows: Expect<Equals<typeof rows, number[]>> = true;
  const iterator = handle.output<{ symbol: string }>('vwap');
  for await (const row of iterator) {
    const _row: Expect<Equals<typeof row, { symbol: string }>> = true;
  }
  return rows;
}
