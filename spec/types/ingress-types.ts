/**
 * Type-level assertions about daemon inputs and Node streams: checked by `npm run typecheck`, never
 * run as a test. The record type given to `sources.input<T>` and `handle.input<T>` is carried through.
 */
import { Readable, Writable } from 'node:stream';
import { job, sinks, sources, type DataStream, type JobHandle, type JobInput } from 'weir';
import type { Equals, Expect } from './api-types.ts';

interface Order {
  customer: string;
  amount: number;
}

export const inputs = job('ingress-types', (env) => {
  const orders = env.from(sources.input<Order>('orders'));
  const _stream: Expect<Equals<typeof orders, DataStream<Order>>> = true;
  const lines = env.from(sources.fromReadable(() => Readable.from(['a', 'b']), { format: 'lines' }));
  const _lines: Expect<Equals<typeof lines, DataStream<string>>> = true;
  orders.to(sinks.toWritable<Order>(() => new Writable({ objectMode: true, write: (_r, _e, done) => done() })));
  // @ts-expect-error a writable sink of orders takes orders only
  lines.to(sinks.toWritable<Order>(() => new Writable({ objectMode: true })));
});

export async function daemon(handle: JobHandle): Promise<void> {
  const orders = handle.input<Order>('orders');
  const _input: Expect<Equals<typeof orders, JobInput<Order>>> = true;
  await orders.write({ customer: 'c', amount: 1 });
  // @ts-expect-error a record of another type is refused
  await orders.write({ customer: 'c' });
  const _next: Expect<Equals<typeof orders.next, number>> = true;
  await orders.end();
}
