/**
 * Keyed co-process functions on real worker threads: two keyed inputs, each by its own key
 * function, share the declared state of a key and its timers; event-time timers fire once per key
 * and time, in time order, when the watermark of both inputs passes; a processing-time timer
 * registered by every record of a key fires once, at the end of input; side outputs leave by tag.
 */
import fc from 'fast-check';
import { suite } from 'uvu';
import type { Order, Payment } from '../fixtures/connect.ts';
import { LARGE, type Params, type Report } from '../fixtures/co-process.ts';
import { assertSameMultiset, fixture, Runtime, timedRecords, watchdog } from '../helpers.ts';

/** The reference, plainly: per customer, a report at every time of one of their records, and one final report. */
function expected(p: Params): Report[] {
  const out: Report[] = [];
  const customers = new Set([...p.orders.map((o) => o.customer), ...p.payments.map((x) => x.payer)]);
  for (const customer of customers) {
    const orders = p.orders.filter((o) => o.customer === customer);
    const payments = p.payments.filter((x) => x.payer === customer);
    const totals = (time: number) => ({
      ordered: orders.filter((o) => o.ts <= time).reduce((n, o) => n + o.amount, 0),
      paid: payments.filter((x) => x.ts <= time).reduce((n, x) => n + x.paid, 0),
    });
    for (const time of new Set([...orders.map((o) => o.ts), ...payments.map((x) => x.ts)])) {
      out.push({ kind: 'event', customer, time, ...totals(time), stamp: time, inOrder: true, watermarkPassed: true });
    }
    out.push({ kind: 'processing', customer, time: p.processingAt, ...totals(Infinity), stamp: p.processingAt, inOrder: true, watermarkPassed: true });
  }
  return out;
}

const customers = fc.constantFrom('ann', 'bob', 'cy', 'dee');
const amounts = fc.integer({ min: 1, max: 50 });
const orders = timedRecords(fc.record({ customer: customers, amount: amounts }), (r, ts): Order => ({ ...r, ts }), 40);
const payments = timedRecords(fc.record({ payer: customers, paid: amounts }), (r, ts): Payment => ({ ...r, ts }), 40);

const CoProcess = suite('keyed co-process: shared keyed state and timers over two inputs');

let runtime: Runtime;
CoProcess.before(() => void (runtime = new Runtime({ workers: 2 })));
CoProcess.after(() => runtime.close());

CoProcess('state shared by both inputs, timers once per key and time in time order, both domains, a side output: equal to the reference at parallelism 1, 2 and 4', async () => {
  await fc.assert(
    fc.asyncProperty(
      orders,
      payments,
      fc.constantFrom(1, 2, 4),
      fc.constantFrom(1, 2),
      async (orders, payments, parallelism, sources) => {
        // An hour from now: no run of this spec reaches it, so the processing-time timers fire at the end of input only.
        const params: Params = { orders, payments, maxOutOfOrderMs: 20, parallelism, processingAt: Date.now() + 3_600_000 };
        const h = await watchdog(runtime.run(fixture('co-process'), { parallelism: sources, params }), 'start');
        const [reports, large] = await watchdog(Promise.all([h.collected<Report>('reports'), h.collected<Order>('large')]), 'co-process job');
        assertSameMultiset(reports, expected(params), `reports at p${parallelism} from ${sources} source subtask(s)`);
        assertSameMultiset(large, orders.filter((o) => o.amount > LARGE), 'the large orders of the side output');
      },
    ),
    { numRuns: 12 },
  );
});

CoProcess.run();
