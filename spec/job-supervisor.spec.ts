/** The job supervisor's verdicts: the strategy decides on the job's clock; giving up names every failure. */
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { errors } from '../lib/errors.ts';
import { JobSupervisor } from '../lib/supervision/job-supervisor.ts';
import { restarts } from '../lib/supervision/restart-strategy.ts';
import { ManualClock } from '../lib/util/clock.ts';

const Supervisor = suite('JobSupervisor');

const failure = (n: number): Error =>
  errors.userFunction({ job: 'j', operator: 'parse', subtaskIndex: 0, parallelism: 2 }, { n }, new Error(`bad ${n}`), true);

Supervisor('with no strategy, the first failure is the job’s error, unchanged', () => {
  const supervisor = new JobSupervisor('j', restarts.none(), new ManualClock(0));
  const error = failure(1);
  const verdict = supervisor.onFailure(error);
  assert.equal(verdict, { restart: false, error });
});

Supervisor('fixed delay: restarts its attempts, then fails naming the last failure and listing the earlier ones', () => {
  const supervisor = new JobSupervisor('j', restarts.fixedDelay({ attempts: 2, delayMs: 250 }), new ManualClock(0));
  assert.equal(supervisor.onFailure(failure(1)), { restart: true, attempt: 1, delayMs: 250 });
  assert.equal(supervisor.onFailure(failure(2)), { restart: true, attempt: 2, delayMs: 250 });
  const verdict = supervisor.onFailure(failure(3));
  assert.ok(!verdict.restart);
  const error = (verdict as { error: Error & { code?: string; operator?: string; subtask?: string } }).error;
  assert.is(error.code, 'WEIR_E_RESTARTS_EXHAUSTED');
  assert.is(error.operator, 'parse');
  assert.is(error.subtask, '1/2');
  assert.is(error.cause, supervisor.failures[2]);
  assert.match(error.message, /Last failure: .*bad 3/);
  assert.match(error.message, /Earlier failures \(2\), oldest first:\n {2}1\. .*bad 1\n {2}2\. .*bad 2/);
});

Supervisor('failure rate: the time of each failure is the job clock’s', () => {
  const clock = new ManualClock(0);
  const supervisor = new JobSupervisor('j', restarts.failureRate({ maxFailures: 1, perMs: 1000, delayMs: 10 }), clock);
  assert.ok(supervisor.onFailure(failure(1)).restart);
  clock.advance(1000);
  assert.ok(supervisor.onFailure(failure(2)).restart, 'a second later the first failure is out of the window');
  clock.advance(999);
  assert.not.ok(supervisor.onFailure(failure(3)).restart, 'two failures within a second');
});

Supervisor.run();

const Worker = suite('WorkerSupervisor');

Worker('reports its thread’s first failure once; a stuck host is terminated when the attempt stops, a healthy one waited for', async () => {
  const { WorkerSupervisor } = await import('../lib/supervision/worker-supervisor.ts');
  const reported: string[] = [];
  const stuck = new WorkerSupervisor(0, 'lease-0', (e) => reported.push(e.message));
  stuck.deployed();
  assert.is(stuck.state, 'running');
  stuck.stuck(new Error('stuck in parse'));
  stuck.died(new Error('died after'));
  assert.equal(reported, ['stuck in parse'], 'only the first failure goes up');
  assert.is(stuck.state, 'dead');
  assert.not.ok(stuck.stop(), 'a dead thread is not terminated: the pool replaced it');

  const looping = new WorkerSupervisor(1, 'lease-1', (e) => reported.push(e.message));
  looping.deployed();
  looping.stuck(new Error('loop'));
  assert.ok(looping.stop(), 'a stuck host is terminated');
  assert.is(looping.state, 'terminating');
  looping.returned();
  assert.is(looping.state, 'stopped');

  const healthy = new WorkerSupervisor(2, 'lease-2', (e) => reported.push(e.message));
  healthy.deployed();
  assert.not.ok(healthy.stop());
  healthy.died(new Error('thread ended while stopping'));
  assert.is(healthy.state, 'stopped');
  assert.equal(reported, ['stuck in parse', 'loop'], 'nothing reported once the attempt is stopping');
});

Worker.run();
