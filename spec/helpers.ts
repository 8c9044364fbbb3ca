/**
 * Shared helpers of the spec suite (not a spec itself: uvu only runs `*.spec.ts`).
 */
import fc from 'fast-check';
import * as assert from 'uvu/assert';
import { run as runJob, Runtime as JobRuntime, systemClock, type JobHandle, type JobOptions, type ManualClock, type RunOptions, type SourceContext } from 'weir';

/**
 * `run()` as the specs run jobs: with `checkRecords` on unless a spec says otherwise, so that a
 * record that could not cross threads fails a test even where it stays on one thread.
 */
export function run<P = unknown>(module: string | URL, options: RunOptions<P> = {}): Promise<JobHandle> {
  return runJob(module, { checkRecords: true, ...options });
}

/** A `Runtime` whose jobs run with `checkRecords` on unless a spec says otherwise (see `run`). */
export class Runtime extends JobRuntime {
  override run<P = unknown>(module: string | URL, options: JobOptions<P> = {}): Promise<JobHandle> {
    return super.run(module, { checkRecords: true, ...options });
  }
}

/** The URL of a job module in spec/fixtures. */
export const fixture = (name: string): URL => new URL(`./fixtures/${name}.ts`, import.meta.url);

/** Active handles and requests of this process, counted by type (`MessagePort`, `Worker`, `Timeout`, …). */
export function resourceCounts(): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const type of process.getActiveResourcesInfo()) counts[type] = (counts[type] ?? 0) + 1;
  return counts;
}

/** The resource types a job owns while it runs: none of them may outlive the job. */
const JOB_RESOURCES = ['MessagePort', 'Worker', 'Timeout', 'Immediate'];

/**
 * Asserts that no resource type a job could hold has more entries than before the job. Compares
 * counts by type, so that whatever the harness itself holds (before and after alike) cancels out.
 */
export function assertNothingLeft(before: Record<string, number>, what: string): void {
  const after = resourceCounts();
  // Only the types a job creates: others (e.g. a file read by the TypeScript loader) are the harness's.
  for (const type of JOB_RESOURCES) {
    const extra = (after[type] ?? 0) - (before[type] ?? 0);
    assert.ok(
      extra <= 0,
      `${what}: expected no ${type} left behind, found ${extra} more than before the job ` +
        `(before ${JSON.stringify(before)}, after ${JSON.stringify(after)})`,
    );
  }
}

/**
 * Turns a hang into a failure: resolves or rejects like `promise`, or rejects after `ms`. This is a
 * watchdog with a generous limit, never a timing assertion; its timer is cleared as soon as
 * `promise` settles.
 */
export function watchdog<T>(promise: Promise<T>, what: string, ms = 60_000): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const limit = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} did not settle within ${ms} ms (hang)`)), ms);
  });
  return Promise.race([promise, limit]).finally(() => clearTimeout(timer));
}

/** The error `promise` rejects with; fails the test if it resolves. */
export async function rejectionOf(promise: Promise<unknown>, what: string): Promise<Error & { code?: string; cause?: unknown }> {
  let value: unknown;
  try {
    value = await watchdog(promise, what);
  } catch (error) {
    assert.instance(error, Error, `${what}: expected an Error instance`);
    return error as Error & { code?: string };
  }
  assert.unreachable(`${what}: expected a rejection, but it resolved with ${JSON.stringify(value)?.slice(0, 200)}`);
  throw new Error('unreachable');
}

/** The error `fn` throws synchronously; fails the test if it does not throw. */
export function thrownBy(fn: () => unknown, what: string): Error & { code?: string } {
  try {
    fn();
  } catch (error) {
    assert.instance(error, Error, `${what}: expected an Error instance`);
    return error as Error & { code?: string };
  }
  assert.unreachable(`${what}: expected it to throw`);
  throw new Error('unreachable');
}

/** Counts of each distinct value (by JSON), for multiset comparisons that print well. */
export function multiset(values: readonly unknown[]): Map<string, number> {
  const m = new Map<string, number>();
  for (const v of values) {
    const k = JSON.stringify(v);
    m.set(k, (m.get(k) ?? 0) + 1);
  }
  return m;
}

/** Asserts that two arrays hold the same records the same number of times, in any order. */
export function assertSameMultiset(actual: readonly unknown[], expected: readonly unknown[], what: string): void {
  assert.is(actual.length, expected.length, `${what}: expected ${expected.length} records, got ${actual.length}`);
  const a = multiset(actual);
  const e = multiset(expected);
  for (const [k, n] of e) {
    assert.is(a.get(k) ?? 0, n, `${what}: expected ${k} ${n} time(s), got ${a.get(k) ?? 0}`);
  }
  for (const [k, n] of a) {
    assert.ok(e.has(k), `${what}: unexpected record ${k} (${n} time(s))`);
  }
}

/**
 * Moves a job's clock 50 ms at a time, letting the workers run between steps, until `done` says
 * so; the watchdog only guards against a hang in real time.
 */
export async function advanceUntil(clock: ManualClock, done: () => boolean | Promise<boolean>, what: string): Promise<void> {
  await watchdog(
    (async () => {
      for (let steps = 0; !(await done()); steps++) {
        if (steps > 20_000) throw new Error(`${what}: not after 20000 clock steps`);
        clock.advance(50);
        await new Promise((resolve) => setImmediate(resolve));
      }
    })(),
    what,
  );
}

/**
 * Steps a job's clock `ms` per turn of the event loop until `done`. Unlike `advanceUntil`, no cap on
 * the steps: a restart waits for threads in real time, and a loaded machine turns the loop thousands
 * of times meanwhile; the watchdog (in real time) guards against a hang.
 */
export async function stepUntil(clock: ManualClock, done: () => boolean, what: string, ms = 50): Promise<void> {
  await watchdog(
    (async () => {
      while (!done()) {
        clock.advance(ms);
        await new Promise((resolve) => setImmediate(resolve));
      }
    })(),
    what,
    120_000,
  );
}

/**
 * Records in the order they would arrive: sorted by `arrival` (a record's time plus its delay), so
 * that each comes at most its delay after records with later times. Stable: ties keep their order.
 */
export function disordered<T>(records: readonly T[], arrival: (record: T) => number): T[] {
  return [...records].sort((a, b) => arrival(a) - arrival(b));
}

/**
 * Random records at non-decreasing times (steps of 0 to 9 ms), each made from a `row`, then
 * `disordered` by a delay of up to 20 ms: input for a job with `maxOutOfOrderMs: 20`. `seq` is a
 * record's place before the disorder.
 */
export const timedRecords = <R, T>(row: fc.Arbitrary<R>, make: (row: R, ts: number, seq: number) => T, maxLength: number): fc.Arbitrary<T[]> =>
  fc.array(fc.record({ row, step: fc.integer({ min: 0, max: 9 }), jitter: fc.integer({ min: 0, max: 20 }) }), { maxLength }).map((rows) => {
    let t = 0;
    const records = rows.map((r, seq) => ({ record: make(r.row, (t += r.step), seq), arrival: t + r.jitter }));
    return disordered(records, (r) => r.arrival).map((r) => r.record);
  });

/**
 * A source subtask's context as the runtime gives it, for opening a reader in a unit spec: splits
 * from a counter of its own, the system clock, wake-ups ignored, dead letters thrown (pass your own
 * to collect them).
 */
export function sourceContext(context: Partial<SourceContext> & { readonly subtaskIndex: number; readonly parallelism: number }): SourceContext {
  let split = 0;
  return {
    nextSplit: () => split++,
    resumeSplit: () => undefined,
    clock: systemClock,
    wakeUp: () => {},
    deadLetter: (record, reason) => {
      throw new Error(`dead letter ${JSON.stringify(record)}: ${reason}`);
    },
    ...context,
  };
}
