/**
 * Poison records: a record that fails the same operator on `poison.after` attempts in a row either
 * fails the job at once, naming it (`policy: 'fail'`), or is sent with its error to the dead letters
 * while the job restarts without it (`policy: 'skip'`); a record that fails once is not poison.
 * Restart delays pass on a ManualClock the test steps; no sleeps.
 */
import fc from 'fast-check';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { ManualClock, restarts, WeirError, type DeadLetter, type JobHandle, type RestartingEvent, type RunOptions } from 'weir';

import type { Checked, Params, Rec } from '../fixtures/poison.ts';
import { assertSameMultiset, fixture, rejectionOf, Runtime, stepUntil, watchdog } from '../helpers.ts';

const dir = mkdtempSync(join(tmpdir(), 'weir-poison-'));
let dirs = 0;
const markers = (): string => mkdtempSync(join(dir, `run-${dirs++}-`));

/** What `check` emits for `records` when the records with ids in `without` are not there. */
function expected(records: Params['records'], keyed: boolean, without: readonly number[]): Checked[] {
  const sums = new Map<string, number>();
  const out: Checked[] = [];
  records.forEach(({ key, v }, id) => {
    if (without.includes(id)) return;
    sums.set(key, (sums.get(key) ?? 0) + v);
    out.push({ id, key, out: keyed ? sums.get(key)! : v * 2 });
  });
  return out;
}

/** Steps the job's clock until the job settled (a restart waits for threads in real time, between steps). */
async function stepUntilSettled(clock: ManualClock, h: JobHandle): Promise<void> {
  let settled = false;
  h.done.then(() => (settled = true), () => (settled = true));
  await stepUntil(clock, () => settled, `job ${h.name} settled`);
}

/** Checked by `npm run typecheck`, never run: the option's words, and a dead letter's record type. */
export const typed = async (h: JobHandle): Promise<number> => {
  const ok: RunOptions = { poison: { after: 2, policy: 'skip' } };
  // @ts-expect-error a policy is 'fail' or 'skip'
  const wrong: RunOptions = { poison: { policy: 'drop' } };
  let sum = ok === wrong ? 0 : 1;
  for await (const letter of h.deadLetters<Rec>()) sum += letter.record.v + letter.error.attempts;
  // @ts-expect-error the record is a Rec: it has no field "value"
  for (const letter of await h.collectedDeadLetters<Rec>()) sum += letter.record.value;
  return sum;
};

const recordsArb = fc.array(fc.record({ key: fc.constantFrom('a', 'b', 'c'), v: fc.integer({ min: 0, max: 100 }) }), { minLength: 2, maxLength: 40 });

const runtime = new Runtime({ workers: 2 });

interface Started {
  h: JobHandle;
  clock: ManualClock;
  restarting: RestartingEvent[];
}

async function start(params: Params, options: { after?: number; policy?: 'fail' | 'skip'; attempts: number }): Promise<Started> {
  const clock = new ManualClock(0);
  const h = await runtime.run(fixture('poison'), {
    parallelism: params.parallelism,
    workers: params.parallelism,
    clock,
    batchSize: 4,
    restart: restarts.fixedDelay({ attempts: options.attempts, delayMs: 100 }),
    ...(options.after !== undefined || options.policy !== undefined
      ? { poison: { ...(options.after === undefined ? {} : { after: options.after }), ...(options.policy === undefined ? {} : { policy: options.policy }) } }
      : {}),
    params,
  });
  const restarting: RestartingEvent[] = [];
  h.on('restarting', (e) => restarting.push(e));
  return { h, clock, restarting };
}

const Skip = suite("poison: { policy: 'skip' }");

Skip('the dead letters hold exactly the poison records, and the rest of the output equals a job without them (parallelism 1 and 2, a map and a keyed operator)', async () => {
  await fc.assert(
    fc.asyncProperty(
      recordsArb,
      fc.uniqueArray(fc.nat(), { minLength: 1, maxLength: 2 }),
      fc.constantFrom(1, 2),
      fc.boolean(),
      async (records, picks, parallelism, keyed) => {
        const poison = [...new Set(picks.map((p) => p % records.length))];
        const params: Params = { records, poison, transient: [], markers: markers(), parallelism, keyed };
        const { h, clock, restarting } = await start(params, { after: 2, policy: 'skip', attempts: 4 * poison.length });
        const checked = h.collected<Checked>('checked');
        const dead = h.collectedDeadLetters<Rec>();
        await stepUntilSettled(clock, h);
        await h.done;
        assertSameMultiset(await checked, expected(records, keyed, poison), 'the output of check');
        const letters = await dead;
        assert.equal(
          letters.map((l) => l.record).sort((a, b) => a.id - b.id),
          poison.sort((a, b) => a - b).map((id) => ({ id, ...records[id]! })),
          'the dead letters: each poison record once',
        );
        for (const { record, error } of letters) {
          assert.equal(error, { message: `poison record ${record.id}`, operator: 'check', subtask: error.subtask, attempts: 2, kind: 'poison' }, 'the error of a dead letter');
          assert.match(error.subtask, new RegExp(`^[1-${parallelism}]/${parallelism}$`), 'the subtask of a dead letter');
        }
        // Each poison record failed twice in a row, and the second failure's restart passed over it.
        assert.is(restarting.length, 2 * poison.length, 'restarts: two per poison record');
      },
    ),
    { numRuns: 10, includeErrorInReport: true },
  );
});

Skip('a record that fails once is not poison: the job restarts once and delivers every record, with no dead letter', async () => {
  const records = Array.from({ length: 20 }, (_, i) => ({ key: `k${i % 3}`, v: i }));
  const params: Params = { records, poison: [], transient: [7], markers: markers(), parallelism: 2, keyed: true };
  const { h, clock, restarting } = await start(params, { after: 2, policy: 'skip', attempts: 3 });
  const checked = h.collected<Checked>('checked');
  const dead = h.collectedDeadLetters();
  await stepUntilSettled(clock, h);
  await h.done;
  assertSameMultiset(await checked, expected(records, true, []), 'the output of check');
  assert.equal(await dead, [], 'no dead letter');
  assert.equal(restarting.map((e) => e.cause.message.includes('transient failure at record 7')), [true], 'one restart, for the transient failure');
});

Skip('a dead letter is read as it comes with deadLetters(), and the iteration ends with the job', async () => {
  const records = Array.from({ length: 12 }, (_, i) => ({ key: 'k', v: i }));
  const params: Params = { records, poison: [5], transient: [], markers: markers(), parallelism: 1, keyed: false };
  const { h, clock } = await start(params, { after: 1, policy: 'skip', attempts: 1 });
  const letters: DeadLetter<Rec>[] = [];
  const reading = (async () => {
    for await (const letter of h.deadLetters<Rec>()) letters.push(letter);
  })();
  await stepUntilSettled(clock, h);
  await h.done;
  await watchdog(reading, 'the dead letters ended');
  assert.equal(letters, [{ record: { id: 5, key: 'k', v: 5 }, error: { message: 'poison record 5', operator: 'check', subtask: '1/1', attempts: 1, kind: 'poison' } }]);
});

const Fail = suite("poison: { policy: 'fail' } (the default)");

Fail('a record that fails poison.after attempts in a row fails the job with WEIR_E_POISON_RECORD, with restarts left', async () => {
  const records = Array.from({ length: 20 }, (_, i) => ({ key: `k${i % 2}`, v: i }));
  const params: Params = { records, poison: [11], transient: [], markers: markers(), parallelism: 2, keyed: true };
  // The default: after 3, fail; the strategy would allow 10 restarts.
  const { h, clock, restarting } = await start(params, { attempts: 10 });
  const dead = rejectionOf(h.collectedDeadLetters(), 'the dead letters of a failed job');
  const settled = stepUntilSettled(clock, h);
  const error = await rejectionOf(h.done, 'done of the poisoned job');
  await settled;
  assert.instance(error, WeirError);
  const e = error as WeirError;
  assert.is(e.code, 'WEIR_E_POISON_RECORD', e.message);
  assert.is(e.operator, 'check');
  assert.match(e.subtask ?? '', /^[12]\/2$/);
  assert.match(e.message, 'record {"id":11,"key":"k1","v":11} failed operator "check"');
  assert.match(e.message, 'on 3 attempts in a row');
  assert.match(e.message, 'poison record 11');
  assert.equal(e.record?.value, { id: 11, key: 'k1', v: 11 }, 'the error carries the record');
  assert.is(restarting.length, 2, 'two restarts, then the third failure ends the job');
  const deadError = await dead;
  assert.is(deadError, error, 'the dead letters end with the job error');
});

Fail('a different record failing in between does not break a row; a record failing once among them is not poison', async () => {
  const records = Array.from({ length: 16 }, (_, i) => ({ key: 'k', v: i }));
  // Record 3 fails once (transient); record 9 is poison: failures 3, 9, 9 → the job fails on 9's second failure.
  const params: Params = { records, poison: [9], transient: [3], markers: markers(), parallelism: 1, keyed: false };
  const { h, clock, restarting } = await start(params, { after: 2, policy: 'fail', attempts: 5 });
  const settled = stepUntilSettled(clock, h);
  const error = await rejectionOf(h.done, 'done of the poisoned job');
  await settled;
  assert.is((error as WeirError).code, 'WEIR_E_POISON_RECORD', error.message);
  assert.match(error.message, '"id":9');
  assert.is(restarting.length, 2, 'restarts after the transient failure and after the first failure of record 9');
});

Fail.after(async () => {
  await runtime.close();
  rmSync(dir, { recursive: true, force: true });
});

Skip.run();
Fail.run();
