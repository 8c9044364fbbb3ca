/**
 * Two keyed streams connected into one two-input operator, on real worker threads: each record
 * reaches the operator by its own input and key function, state and timers are shared, and the
 * operator's watermark is the lower of its inputs' (a stream without timestamps does not count).
 */
import fc from 'fast-check';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { ManualClock } from 'weir';
import type { Balance, Order, Params, Payment } from '../fixtures/connect.ts';
import { advanceUntil, assertSameMultiset, disordered, fixture, Runtime, watchdog } from '../helpers.ts';

/** The reference: for every customer and every time one of their records has, the totals up to then. */
function expected(p: Params): Balance[] {
  const out: Balance[] = [];
  const customers = new Set([...p.orders.map((o) => o.customer), ...p.payments.map((x) => x.payer)]);
  for (const customer of customers) {
    const orders = p.orders.filter((o) => o.customer === customer);
    const payments = p.payments.filter((x) => x.payer === customer);
    const times = new Set([...orders.map((o) => o.ts), ...payments.map((x) => x.ts)]);
    for (const time of times) {
      const ordered = orders.filter((o) => o.ts <= time).reduce((n, o) => n + o.amount, 0);
      const paid = payments.filter((x) => x.ts <= time).reduce((n, x) => n + x.paid, 0);
      out.push({ customer, time, ordered, paid });
    }
  }
  return out;
}

const timed = <T extends { ts: number }>(make: (customer: string, amount: number, ts: number) => T) =>
  fc
    .array(fc.record({ customer: fc.constantFrom('ann', 'bob', 'cy'), amount: fc.integer({ min: 1, max: 50 }), step: fc.integer({ min: 0, max: 9 }), jitter: fc.integer({ min: 0, max: 20 }) }), { maxLength: 40 })
    .map((rows) => {
      let t = 0;
      const records = rows.map((r) => ({ record: make(r.customer, r.amount, (t += r.step)), arrival: t + r.jitter }));
      return disordered(records, (r) => r.arrival).map((r) => r.record);
    });

const Connect = suite('connect: keyed two-input operators');

let runtime: Runtime;
Connect.before(() => void (runtime = new Runtime({ workers: 2 })));
Connect.after(() => runtime.close());

Connect('each input by its own key function, state and timers shared, the watermark the lower of both: equals the reference at any parallelism', async () => {
  await fc.assert(
    fc.asyncProperty(
      timed<Order>((customer, amount, ts) => ({ customer, amount, ts })),
      timed<Payment>((payer, paid, ts) => ({ payer, paid, ts })),
      fc.constantFrom(1, 2, 4),
      fc.constantFrom(1, 2),
      async (orders, payments, parallelism, sources) => {
        const params: Params = { orders, payments, maxOutOfOrderMs: 20, parallelism };
        const h = await watchdog(runtime.run(fixture('connect'), { parallelism: sources, params }), 'start');
        const balances = await watchdog(h.collected<Balance>('balances'), 'connect job');
        assertSameMultiset(balances, expected(params), `balances at p${parallelism} from ${sources} source subtask(s)`);
      },
    ),
    { numRuns: 12 },
  );
});

Connect('an input without timestamps does not hold back the watermark: timers fire while it stays open', async () => {
  const clock = new ManualClock(0);
  const timedRuntime = new Runtime({ workers: 2, clock });
  const orders: Order[] = Array.from({ length: 20 }, (_, i) => ({ customer: i % 2 ? 'ann' : 'bob', amount: i, ts: i * 10 }));
  const params: Params = { orders, payments: [], maxOutOfOrderMs: 0, parallelism: 2, untimedPayments: true };
  const h = await timedRuntime.run(fixture('connect'), { parallelism: 1, batchSize: 1, watermarkIntervalMs: 100, params });
  const fired: Balance[] = [];
  void (async () => {
    for await (const b of h.output<Balance>('balances')) fired.push(b);
  })();
  // The orders' watermark reaches 180 (190 − 0 − 1): every timer up to there fires, with the payments still open.
  await advanceUntil(clock, () => fired.length === 19, 'timers of the orders');
  assertSameMultiset(fired, expected({ ...params, orders: orders.filter((o) => o.ts <= 180) }), 'balances before the end');
  assert.is((await h.cancel()).status, 'cancelled');
  await timedRuntime.close();
});

Connect.run();
