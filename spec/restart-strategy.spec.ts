import fc from 'fast-check';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { WeirError } from '../lib/errors.ts';
import { RestartPolicy, restarts, type RestartDecision } from '../lib/supervision/restart-strategy.ts';

const Strategies = suite('restart strategies');

const delays = (decisions: RestartDecision[]) => decisions.map((d) => (d.restart ? d.delayMs : 'give up'));

Strategies('none gives up at the first failure', () => {
  assert.equal(new RestartPolicy(restarts.none()).onFailure(0), { restart: false, reason: 'no restart strategy is set' });
});

Strategies('fixed delay restarts exactly `attempts` times, each after the delay, whatever the timing', () => {
  fc.assert(
    fc.property(fc.nat(5), fc.nat(10_000), fc.array(fc.nat(100_000), { maxLength: 10 }), (attempts, delayMs, gaps) => {
      const policy = new RestartPolicy(restarts.fixedDelay({ attempts, delayMs }));
      let now = 0;
      const decisions = gaps.map((gap) => policy.onFailure((now += gap)));
      const expected = gaps.map((_, i) => (i < attempts ? delayMs : 'give up'));
      assert.equal(delays(decisions), expected);
    }),
  );
});

Strategies('failure rate gives up when more than maxFailures fall within perMs, as counted plainly', () => {
  fc.assert(
    fc.property(fc.nat(4), fc.integer({ min: 1, max: 1000 }), fc.array(fc.nat(400), { minLength: 1, maxLength: 12 }), (maxFailures, perMs, gaps) => {
      const policy = new RestartPolicy(restarts.failureRate({ maxFailures, perMs, delayMs: 7 }));
      const times: number[] = [];
      let now = 0;
      for (const gap of gaps) {
        times.push((now += gap));
        const decision = policy.onFailure(now);
        const within = times.filter((t) => t > now - perMs).length;
        assert.is(decision.restart, within <= maxFailures, `at ${now} with failures at ${times.join(', ')}`);
        if (!decision.restart) return; // the job has ended: no failure follows
        assert.is(decision.delayMs, 7);
      }
    }),
  );
});

Strategies('exponential backoff multiplies the delay up to its maximum and starts over after a quiet period', () => {
  const policy = new RestartPolicy(restarts.exponentialBackoff({ initialMs: 100, maxMs: 1000, multiplier: 3, jitter: 0, resetAfterMs: 5000 }));
  const early = [0, 10, 20, 30, 40].map((t) => policy.onFailure(t));
  assert.equal(delays(early), [100, 300, 900, 1000, 1000]);
  assert.equal(delays([policy.onFailure(40 + 5000)]), [100], 'a quiet period as long as resetAfterMs starts over');
  assert.equal(delays([policy.onFailure(40 + 5000 + 4999)]), [300], 'a shorter one does not');
});

Strategies('exponential backoff with attempts gives up after them, unless a quiet period came between', () => {
  const policy = new RestartPolicy(restarts.exponentialBackoff({ initialMs: 10, maxMs: 100, multiplier: 2, jitter: 0, resetAfterMs: 1000, attempts: 2 }));
  assert.equal(delays([0, 1, 2].map((t) => policy.onFailure(t))), [10, 20, 'give up']);
  const again = new RestartPolicy(policy.strategy);
  assert.equal(delays([0, 1, 1001, 1002].map((t) => again.onFailure(t))), [10, 20, 10, 20]);
});

Strategies('jitter varies each delay by at most its fraction either way, drawn from the given random source', () => {
  fc.assert(
    fc.property(fc.double({ min: 0, max: 1, noNaN: true }), fc.array(fc.double({ min: 0, max: 1, maxExcluded: true, noNaN: true }), { minLength: 1, maxLength: 8 }), (jitter, draws) => {
      let i = 0;
      const policy = new RestartPolicy(restarts.exponentialBackoff({ initialMs: 100, maxMs: 10_000, multiplier: 2, jitter, resetAfterMs: 1e6 }), () => draws[i++]!);
      draws.forEach((_, k) => {
        const decision = policy.onFailure(k);
        const base = Math.min(10_000, 100 * 2 ** k);
        assert.ok(decision.restart);
        if (decision.restart) assert.ok(decision.delayMs >= base * (1 - jitter) - 1e-9 && decision.delayMs <= Math.min(10_000, base * (1 + jitter)) + 1e-9, `delay ${decision.delayMs} around ${base} ± ${jitter}`);
      });
    }),
  );
});

Strategies('a strategy written wrong fails where it is written, naming the option', () => {
  const refused = (make: () => unknown, pattern: RegExp) => {
    try {
      make();
    } catch (error) {
      assert.instance(error, WeirError);
      assert.match((error as Error).message, pattern);
      return;
    }
    assert.unreachable(`expected ${String(make)} to throw`);
  };
  refused(() => restarts.fixedDelay({ attempts: -1, delayMs: 10 }), /"restarts\.fixedDelay\.attempts": got -1; allowed: a whole number ≥ 0/);
  refused(() => restarts.fixedDelay({ attempts: 1 } as never), /"restarts\.fixedDelay\.delayMs".*it has no default/);
  refused(() => restarts.failureRate({ maxFailures: 1, perMs: 0, delayMs: 1 }), /"restarts\.failureRate\.perMs": got 0/);
  refused(() => restarts.exponentialBackoff({ initialMs: 100, maxMs: 50, multiplier: 2, jitter: 0, resetAfterMs: 1 }), /"restarts\.exponentialBackoff\.maxMs": got 50; allowed: milliseconds from 100/);
  refused(() => restarts.exponentialBackoff({ initialMs: 1, maxMs: 5, multiplier: 0.5, jitter: 0, resetAfterMs: 1 }), /multiplier": got 0\.5; allowed: a number from 1 to 1000/);
  refused(() => restarts.exponentialBackoff({ initialMs: 1, maxMs: 5, multiplier: 2, jitter: 2, resetAfterMs: 1 }), /jitter": got 2/);
  refused(() => restarts.fixedDelay({ attempts: 1, delayMs: 1, delay: 5 } as never), /"restarts\.fixedDelay\.delay".*one of the options attempts, delayMs/);
});

Strategies.run();
