/**
 * Poison-record counting: a record (its operator's key and the digest of its value) is poison once it
 * failed on `after` attempts with no failure naming no record in between; the verdict then fails the
 * job or skips the record. The record and its digest survive the trip between threads.
 */
import fc from 'fast-check';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { errors, WeirError } from '../lib/errors.ts';
import { deserializeError, serializeError } from '../lib/protocol/error-wire.ts';
import { resolveOptions } from '../lib/runtime/options.ts';
import { JobSupervisor } from '../lib/supervision/job-supervisor.ts';
import { PoisonRecords } from '../lib/supervision/poison-records.ts';
import { restarts } from '../lib/supervision/restart-strategy.ts';
import { ManualClock } from '../lib/util/clock.ts';
import { recordIdentity } from '../lib/util/record-identity.ts';
import { thrownBy } from './helpers.ts';

const at = { job: 'j', operator: 'parse', subtaskIndex: 1, parallelism: 2, stage: 'uid:parse' };

/** A failure of `parse` on record `{ n }`, as it reaches the coordinator (its digest taken in the worker). */
const failure = (n: number): Error => deserializeError(serializeError(errors.userFunction(at, { n }, new Error(`bad ${n}`), true, { value: { n }, stage: at.stage })));
/** A failure that names no record: a worker thread died. */
const died = (): Error => errors.workerDied('j', 0, new Error('exit 4'));

const Counter = suite('PoisonRecords');

Counter('a record that fails `after` attempts in a row is poison; with policy fail the verdict names it and the count', () => {
  const poison = new PoisonRecords('j', { after: 3, policy: 'fail' });
  assert.equal(poison.onFailure(failure(7)), { kind: 'none' });
  assert.equal(poison.onFailure(failure(7)), { kind: 'none' });
  const verdict = poison.onFailure(failure(7));
  assert.is(verdict.kind, 'fail');
  const error = (verdict as { error: WeirError }).error;
  assert.is(error.code, 'WEIR_E_POISON_RECORD');
  assert.is(error.operator, 'parse');
  assert.is(error.subtask, '2/2');
  assert.match(error.message, 'record {"n":7} failed operator "parse" (last on subtask 2/2) on 3 attempts in a row');
  assert.match(error.message, 'Last failure: bad 7.');
  assert.equal(poison.skipped, {}, 'nothing is skipped with policy fail');
});

Counter('with policy skip the verdict carries the dead letter, and the record is skipped from then on', () => {
  const poison = new PoisonRecords('j', { after: 2, policy: 'skip' });
  poison.onFailure(failure(7));
  const verdict = poison.onFailure(failure(7));
  assert.equal(verdict, { kind: 'skip', deadLetter: { record: { n: 7 }, error: { message: 'bad 7', operator: 'parse', subtask: '2/2', attempts: 2, kind: 'poison' } } });
  assert.equal(poison.skipped, { 'uid:parse': [recordIdentity({ n: 7 })] });
});

Counter('after 1: the first failure on a record makes it poison', () => {
  const poison = new PoisonRecords('j', { after: 1, policy: 'skip' });
  assert.is(poison.onFailure(failure(1)).kind, 'skip');
});

Counter('matches the model: poison once a record failed `after` times since the last failure that named no record', () => {
  // A failure on one of three records, or one that names none (-1).
  const failures = fc.array(fc.integer({ min: -1, max: 2 }), { maxLength: 30 });
  fc.assert(
    fc.property(failures, fc.integer({ min: 1, max: 4 }), (sequence, after) => {
      const poison = new PoisonRecords('j', { after, policy: 'fail' });
      const counts = new Map<number, number>();
      for (const n of sequence) {
        const verdict = poison.onFailure(n < 0 ? died() : failure(n));
        if (n < 0) {
          counts.clear();
          assert.is(verdict.kind, 'none', 'a failure with no record is never poison');
          continue;
        }
        const count = (counts.get(n) ?? 0) + 1;
        counts.set(n, count === after ? 0 : count);
        assert.is(verdict.kind, count === after ? 'fail' : 'none', `record ${n}, failure ${count} of ${after} in a row`);
      }
    }),
  );
});

Counter('a failure without a digested record (a bare error, a failure while opening) breaks every row', () => {
  const poison = new PoisonRecords('j', { after: 2, policy: 'fail' });
  poison.onFailure(failure(1));
  poison.onFailure(new Error('not a weir error'));
  assert.is(poison.onFailure(failure(1)).kind, 'none');
  poison.onFailure(errors.userFunction({ ...at, while: 'opening' }, undefined, new Error('open'), false));
  assert.is(poison.onFailure(failure(1)).kind, 'none');
});

Counter.run();

const Supervisor = suite('JobSupervisor with poison records');

Supervisor('policy fail ends the job at the poison record although the strategy has restarts left', () => {
  const supervisor = new JobSupervisor('j', restarts.fixedDelay({ attempts: 10, delayMs: 5 }), new ManualClock(0), { after: 2, policy: 'fail' });
  assert.equal(supervisor.onFailure(failure(3)), { restart: true, attempt: 1, delayMs: 5 });
  const verdict = supervisor.onFailure(failure(3));
  assert.is(verdict.restart, false);
  assert.is((verdict as { error: Error & { code?: string } }).error.code, 'WEIR_E_POISON_RECORD');
});

Supervisor('policy skip restarts with the dead letter, as the strategy allows; the skipped records go to every later deployment', () => {
  const supervisor = new JobSupervisor('j', restarts.fixedDelay({ attempts: 2, delayMs: 5 }), new ManualClock(0), { after: 2, policy: 'skip' });
  supervisor.onFailure(failure(3));
  const verdict = supervisor.onFailure(failure(3));
  assert.equal(verdict, { restart: true, attempt: 2, delayMs: 5, deadLetter: { record: { n: 3 }, error: { message: 'bad 3', operator: 'parse', subtask: '2/2', attempts: 2, kind: 'poison' } } });
  assert.equal(supervisor.skipped, { 'uid:parse': [recordIdentity({ n: 3 })] });
  const last = supervisor.onFailure(failure(4));
  assert.is(last.restart, false, 'a third failure: the strategy gives up');
  assert.is((last as { error: Error & { code?: string } }).error.code, 'WEIR_E_RESTARTS_EXHAUSTED');
});

Supervisor.run();

const Wire = suite('a failed record between threads');

Wire('the record and its digest cross threads; the digest is the worker’s, of the value the operator was given', () => {
  fc.assert(
    fc.property(fc.jsonValue(), (value) => {
      const error = errors.userFunction(at, value, new Error('bad'), true, { value, stage: at.stage });
      const arrived = deserializeError(structuredClone(serializeError(error))) as WeirError;
      assert.equal(arrived.record, { value, stage: at.stage, id: recordIdentity(value) });
    }),
  );
});

Wire('a record that cannot be cloned travels as its text, with the digest of the record itself', () => {
  const value = { n: 1, parse: function parse() {} };
  const error = errors.userFunction(at, value, new Error('bad'), true, { value, stage: at.stage });
  const arrived = deserializeError(structuredClone(serializeError(error))) as WeirError;
  assert.equal(arrived.record, { value: '{"n":1,"parse":"[function parse]"}', stage: at.stage, id: recordIdentity(value) });
});

Wire('records with the same JSON text (keys in the same order) have one digest, others different digests', () => {
  // Through JSON and back: -0 becomes 0, which the digest (as Object.is) tells apart.
  const json = fc.jsonValue().map((v) => JSON.parse(JSON.stringify(v)) as unknown);
  fc.assert(
    fc.property(json, json, (a, b) => {
      assert.is(recordIdentity(a) === recordIdentity(b), JSON.stringify(a) === JSON.stringify(b));
    }),
  );
});

Wire.run();

const Options = suite('the poison option');

Options('defaults to after 3, policy fail; takes a whole number ≥ 1 and fail or skip', () => {
  assert.equal(resolveOptions({}, 1).poison, { after: 3, policy: 'fail' });
  const restart = restarts.fixedDelay({ attempts: 3, delayMs: 0 });
  assert.equal(resolveOptions({ restart, poison: { after: 1, policy: 'skip' } }, 1).poison, { after: 1, policy: 'skip' });
  assert.match(thrownBy(() => resolveOptions({ poison: { after: 0 } }, 1), 'after 0').message, 'Invalid option "poison.after": got 0; allowed: a whole number from 1 to 1000');
  assert.match(thrownBy(() => resolveOptions({ poison: { policy: 'drop' } }, 1), 'policy drop').message, `Invalid option "poison.policy": got "drop"; allowed: 'fail' or 'skip'`);
  assert.match(thrownBy(() => resolveOptions({ poison: { afterr: 2 } }, 1), 'a typo').message, 'Unknown option "afterr"');
});

Options('skip needs a restart strategy: a record is skipped by restarting without it', () => {
  const error = thrownBy(() => resolveOptions({ poison: { policy: 'skip' } }, 1), 'skip without restarts');
  assert.is(error.code, 'WEIR_E_OPTION');
  assert.match(error.message, 'with a restart strategy');
});

Options.run();
