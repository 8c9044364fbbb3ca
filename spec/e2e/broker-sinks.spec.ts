/**
 * The Redis and JetStream sinks through real servers, with a worker thread killed mid-run: a Redis
 * stream and a JetStream stream hold every record exactly once (the commit script skips a
 * checkpoint already committed; the server drops a message id it already has), Redis hashes hold
 * every record; a server that refuses fails the job with an error naming the sink and the address.
 */
import { randomUUID } from 'node:crypto';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { connect, type NatsConnection } from 'nats';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { restarts as strategies } from 'weir';
import type { Params } from '../fixtures/broker-sinks.ts';
import { fixture, rejectionOf, Runtime, watchdog } from '../helpers.ts';
import { reachable, SERVICES } from '../services.ts';

const Sinks = suite('broker sinks');
const runtime = new Runtime({ workers: 2 });
const redis = new Redis(SERVICES.redis.url, { lazyConnect: true });
let nc: NatsConnection;
const cleanups: (() => Promise<unknown>)[] = [];
Sinks.before(async () => {
  await redis.connect();
  nc = await connect({ servers: SERVICES.nats.url });
});
Sinks.after(async () => {
  for (const cleanup of cleanups.reverse()) await cleanup().catch(() => {});
  await runtime.close();
  await redis.quit();
  await nc.close();
});

const N = 2000;
const suffix = () => randomUUID().replace(/-/g, '').slice(0, 12);

/** Runs the job with checkpoints every few ms and a worker killed mid-run; the restarts' causes. */
async function runKilled(to: Params['to'], parallelism: number): Promise<string[]> {
  const dir = mkdtempSync(join(tmpdir(), 'weir-broker-sinks-'));
  const params: Params = { to, n: N, failAt: Math.floor(N / 2), marker: join(dir, 'killed'), parallelism };
  const handle = await runtime.run(fixture('broker-sinks'), { params, parallelism, checkpointIntervalMs: 10, restart: strategies.fixedDelay({ attempts: 3, delayMs: 0 }) });
  const restarted: string[] = [];
  handle.on('restarting', (e) => void restarted.push(`from checkpoint ${e.fromCheckpoint ?? 'none'}: ${e.cause.message}`));
  await watchdog(handle.done, `broker-sinks to ${to.kind}`, 120_000);
  assert.is(restarted.length, 1, `the killed worker restarted the job once: ${restarted.join('; ')}`);
  return restarted;
}

/** 0 … N-1 once each, or what is doubled and missing. */
function assertOnce(numbers: number[], what: string): void {
  const seen = new Map<number, number>();
  for (const n of numbers) seen.set(n, (seen.get(n) ?? 0) + 1);
  const doubled = [...seen].filter(([, c]) => c > 1).map(([n]) => n);
  const missing = Array.from({ length: N }, (_, i) => i).filter((i) => !seen.has(i));
  assert.equal({ doubled: doubled.slice(0, 10), missing: missing.slice(0, 10), count: numbers.length }, { doubled: [], missing: [], count: N }, what);
}

for (const parallelism of [1, 2]) {
  Sinks(`Redis stream append at parallelism ${parallelism}, a worker killed mid-run: every record once`, async () => {
    const stream = `weir-spec-out-${suffix()}`;
    cleanups.push(() => redis.del(stream));
    await runKilled({ kind: 'redis-stream', url: SERVICES.redis.url, stream }, parallelism);
    const entries = (await redis.xrange(stream, '-', '+')) as [string, string[]][];
    assertOnce(entries.map(([, fields]) => Number(fields[fields.indexOf('n') + 1])), `entries of ${stream}`);
  });

  Sinks(`JetStream publish at parallelism ${parallelism}, a worker killed mid-run: every record once`, async () => {
    const stream = `WEIR_SPEC_OUT_${suffix()}`;
    const jsm = await nc.jetstreamManager();
    await jsm.streams.add({ name: stream, subjects: [`${stream}.>`] });
    cleanups.push(() => jsm.streams.delete(stream));
    await runKilled({ kind: 'jetstream', url: SERVICES.nats.url, subject: `${stream}.out` }, parallelism);
    const info = await jsm.streams.info(stream);
    const numbers: number[] = [];
    for (let seq = info.state.first_seq; seq <= info.state.last_seq && info.state.messages > 0; seq++) {
      const message = await jsm.streams.getMessage(stream, { seq });
      const record = JSON.parse(new TextDecoder().decode(message.data)) as { n: number; k: string };
      assert.is(message.subject, `${stream}.out.${record.k}`, 'the subject carries the record key');
      numbers.push(record.n);
    }
    assertOnce(numbers, `messages of ${stream}`);
  });
}

Sinks('Redis hashes, a worker killed mid-run: a hash per record key, with the record fields', async () => {
  const prefix = `weir-spec-${suffix()}:`;
  cleanups.push(async () => {
    const keys = await redis.keys(`${prefix}*`);
    if (keys.length > 0) await redis.del(...keys);
  });
  await runKilled({ kind: 'redis-hash', url: SERVICES.redis.url, prefix }, 2);
  const keys = await redis.keys(`${prefix}*`);
  assert.is(keys.length, N);
  assert.equal(await redis.hgetall(`${prefix}r42`), { id: 'r42', n: '42', k: 'k0' });
});

Sinks('a server that refuses: the job fails with an error naming the sink, the address and the cause', async () => {
  for (const to of [
    { kind: 'redis-stream', url: 'redis://127.0.0.1:1', stream: 'out' },
    { kind: 'jetstream', url: 'nats://127.0.0.1:1', subject: 'out' },
  ] as const) {
    const params: Params = { to, n: 10, failAt: -1, marker: '', parallelism: 1 };
    const handle = await runtime.run(fixture('broker-sinks'), { params, parallelism: 1, restart: strategies.none() });
    const error = await rejectionOf(watchdog(handle.done, `broker-sinks to ${to.kind} refused`), 'the job');
    assert.match(error.message, to.kind === 'jetstream' ? /jetstream sink \(subject out\.<k>\) at 127\.0\.0\.1:1/ : /redis sink \(stream "out"\) at 127\.0\.0\.1:1/, error.message);
    assert.match(error.message, /ECONNREFUSED|CONNECTION_REFUSED/, error.message);
  }
});

if (await reachable('broker-sinks.spec', 'redis', 'nats')) Sinks.run();
