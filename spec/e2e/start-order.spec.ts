/**
 * No actor works before its job starts: a worker deployed early, whose clock moves while another
 * worker still deploys, does not read its sources until the coordinator starts the job. (A source
 * with event time used to read at its first watermark interval after opening: a worker that died
 * there failed a job still deploying without its restart strategy, and during a restart cost an
 * extra restart.)
 */
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { ManualClock, restarts, type JobHandle, type RestartingEvent } from 'weir';
import type { Params } from '../fixtures/held-deploy.ts';
import { assertSameMultiset, fixture, Runtime, watchdog } from '../helpers.ts';

const StartOrder = suite('actors wait for the job to start');
const runtime = new Runtime({ workers: 2 });
const dir = mkdtempSync(join(tmpdir(), 'weir-start-order-'));
StartOrder.after(async () => {
  await runtime.close();
  rmSync(dir, { recursive: true, force: true });
});

const turn = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

StartOrder('a source with event time on a worker deployed early reads nothing until every worker is deployed: a worker that dies then goes to the restart strategy', async () => {
  const p: Params = { count: 40, first: join(dir, 'first'), go: join(dir, 'go'), opened: join(dir, 'opened'), marker: join(dir, 'marker') };
  const clock = new ManualClock(0);
  const started = runtime.run(fixture('held-deploy'), { workers: 2, clock, watermarkIntervalMs: 50, restart: restarts.fixedDelay({ attempts: 1, delayMs: 0 }), params: p });
  let handle: JobHandle | undefined;
  let refused: Error | undefined;
  started.then((h) => (handle = h), (error: Error) => (refused = error));
  // One worker is deployed (its subtask of fail-once opened); the other waits for `go` to build the
  // job. Many watermark intervals pass meanwhile.
  const opened = () => existsSync(`${p.opened}-0`) || existsSync(`${p.opened}-1`);
  await watchdog((async () => { while (!opened()) await turn(); })(), 'the first worker deployed');
  // Nothing to wait for: this is the absence of a read. Real time bounds it (a message round trip
  // to the deployed worker takes milliseconds; the job clock moves 50 ms a turn meanwhile).
  const until = Date.now() + 2000;
  while (Date.now() < until && !existsSync(p.marker) && !refused) {
    clock.advance(50);
    await turn();
  }
  assert.not.ok(existsSync(p.marker), 'no record was read while a worker was still deploying');
  writeFileSync(p.go, '');
  await watchdog((async () => { while (!handle && !refused) { clock.advance(50); await turn(); } })(), 'run()');
  assert.is(refused, undefined, `the job started: ${refused?.message}`);
  const h = handle!;
  const restarting: RestartingEvent[] = [];
  h.on('restarting', (e) => restarting.push(e));
  const out = h.collected<number>('out');
  let ended = false;
  h.done.then(() => (ended = true), () => (ended = true));
  await watchdog((async () => { while (!ended) { clock.advance(50); await turn(); } })(), 'the job ended');
  assertSameMultiset(await out, Array.from({ length: p.count }, (_, i) => i), 'every record, after one restart');
  assert.is(restarting.length, 1, 'the thread that ended went to the restart strategy');
  assert.is((restarting[0]!.cause as { code?: string }).code, 'WEIR_E_WORKER_DIED');
});

StartOrder.run();
