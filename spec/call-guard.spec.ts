/** Calls that cannot outlive their job: each settles with its own outcome, or with the job's abandonment. */
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { CallGuard } from '../lib/util/call-guard.ts';
import { rejectionOf, watchdog } from './helpers.ts';

/** A promise and the functions that settle it. */
function deferred<T>() {
  let resolve!: (value: T) => void;
  let reject!: (error: unknown) => void;
  const promise = new Promise<T>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  return { promise, resolve, reject };
}

/** Lets every reaction already queued run, and Node report rejections nobody handled. */
const turn = () => new Promise<void>((resolve) => setImmediate(resolve));

const Guard = suite('call guard');

Guard('a call settles with its own result and leaves nothing waiting', async () => {
  const guard = new CallGuard();
  const call = deferred<number>();
  const guarded = guard.call(call.promise);
  assert.is(guard.waiting, 1, 'expected the call counted while it is open');
  call.resolve(42);
  assert.is(await watchdog(guarded, 'the guarded call'), 42);
  assert.is(guard.waiting, 0, 'expected a settled call to leave nothing behind');
});

Guard('a call that fails rejects with its own error and leaves nothing waiting', async () => {
  const guard = new CallGuard();
  const call = deferred<number>();
  const guarded = guard.call(call.promise);
  const failure = new Error('worker said no');
  call.reject(failure);
  assert.is(await rejectionOf(guarded, 'the failing call'), failure);
  assert.is(guard.waiting, 0);
});

Guard('abandon rejects every waiting call with its error', async () => {
  const guard = new CallGuard();
  const calls = [guard.call(deferred<void>().promise), guard.call(deferred<void>().promise)];
  assert.is(guard.waiting, 2);
  const abandoned = new Error('worker died');
  guard.abandon(abandoned);
  assert.is(guard.waiting, 0, 'expected no call left waiting after abandon');
  for (const call of calls) assert.is(await rejectionOf(call, 'a call open at abandon'), abandoned);
});

Guard('after abandon, every later call rejects with the first abandonment\'s error', async () => {
  const guard = new CallGuard();
  const first = new Error('cancelled');
  guard.abandon(first);
  guard.abandon(new Error('a second reason'));
  const late = deferred<number>();
  const guarded = guard.call(late.promise);
  assert.is(guard.waiting, 0, 'expected a call after abandon not to wait at all');
  assert.is(await rejectionOf(guarded, 'a call after abandon'), first);
  late.resolve(1);
});

Guard('a call\'s own late outcome after abandon changes nothing and raises no unhandled rejection', async () => {
  const unhandled: unknown[] = [];
  const onUnhandled = (reason: unknown) => unhandled.push(reason);
  process.on('unhandledRejection', onUnhandled);
  try {
    const guard = new CallGuard();
    const open = deferred<number>();
    const guarded = guard.call(open.promise);
    const abandoned = new Error('port closed');
    guard.abandon(abandoned);
    open.reject(new Error('the worker answered too late'));
    const after = deferred<number>();
    const refused = guard.call(after.promise);
    after.reject(new Error('also too late'));
    assert.is(await rejectionOf(guarded, 'the open call'), abandoned);
    assert.is(await rejectionOf(refused, 'the later call'), abandoned);
    await turn();
    assert.equal(unhandled, [], 'expected the calls\' own rejections handled by the guard');
  } finally {
    process.off('unhandledRejection', onUnhandled);
  }
});

Guard.run();
