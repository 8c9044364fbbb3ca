/**
 * The broker connectors' throughput on this machine's Redis and NATS servers, checkpointed
 * (exactly once) every 200 ms: a Redis stream and a JetStream stream of `--records` entries read
 * into `discard` (each entry acknowledged as its checkpoint completes), and as many records written
 * by the Redis sink (stream append) and the JetStream sink (publish with message ids), each at
 * parallelism 1 and 2. Records/s from `run` to the job's end; the end of a source waits for the
 * checkpoint that acknowledges its last entries (up to one interval).
 *
 *   npm run bench:brokers -- --records 100000
 */
import { randomUUID } from 'node:crypto';
import { parseArgs } from 'node:util';
import { Redis } from 'ioredis';
import { connect } from 'nats';
import { Runtime } from 'weir';
import { wholeArg } from './args.ts';
import type { BrokerBenchParams } from './brokers-job.ts';

const { values } = parseArgs({ options: { records: { type: 'string' } } });
const RECORDS = wholeArg('brokers', 'records', values.records, 100_000, 1000);
const REDIS = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
const NATS = process.env.NATS_URL ?? 'nats://127.0.0.1:4222';

const redis = new Redis(REDIS);
const nc = await connect({ servers: NATS });
const jsm = await nc.jetstreamManager();
const js = nc.jetstream();
const runtime = new Runtime({ workers: 2 });
const job = new URL('./brokers-job.js', import.meta.url);
const encoder = new TextEncoder();

async function timed(params: BrokerBenchParams): Promise<number> {
  const t0 = performance.now();
  const handle = await runtime.run(job, { params, parallelism: params.parallelism, checkpointIntervalMs: 200 });
  await handle.done;
  return Math.round(RECORDS / ((performance.now() - t0) / 1000));
}

const results: Record<string, number> = {};
for (const parallelism of [1, 2]) {
  const base = { redis: REDIS, nats: NATS, count: RECORDS, parallelism };
  // A Redis stream, read through a consumer group.
  const key = `weir-bench-${randomUUID()}`;
  for (let i = 0; i < RECORDS; i += 1000) {
    const batch = redis.pipeline();
    for (let n = i; n < Math.min(RECORDS, i + 1000); n++) batch.xadd(key, '*', 'n', String(n));
    await batch.exec();
  }
  results[`redis-source p${parallelism}`] = await timed({ ...base, case: 'redis-source', stream: key, subjects: [] });
  const pending = ((await redis.call('XPENDING', key, 'bench')) as [number])[0];
  if (pending !== 0) throw new Error(`redis source left ${pending} entries pending`);
  await redis.del(key);
  // A JetStream stream of two subjects.
  const name = `WEIR_BENCH_${randomUUID().replace(/-/g, '').slice(0, 12)}`;
  const subjects = [`${name}.a`, `${name}.b`];
  await jsm.streams.add({ name, subjects: [`${name}.>`] });
  for (let i = 0; i < RECORDS; i += 1000) await Promise.all(Array.from({ length: Math.min(1000, RECORDS - i) }, (_, k) => js.publish(subjects[(i + k) % 2]!, encoder.encode(JSON.stringify({ n: i + k })))));
  results[`jetstream-source p${parallelism}`] = await timed({ ...base, case: 'jetstream-source', stream: name, subjects });
  await jsm.streams.delete(name);
  // The sinks.
  const out = `weir-bench-out-${randomUUID()}`;
  results[`redis-sink p${parallelism}`] = await timed({ ...base, case: 'redis-sink', stream: out, subjects: [] });
  if ((await redis.xlen(out)) !== RECORDS) throw new Error(`redis sink wrote ${await redis.xlen(out)} entries, not ${RECORDS}`);
  await redis.del(out);
  const outStream = `WEIR_BENCH_OUT_${randomUUID().replace(/-/g, '').slice(0, 12)}`;
  await jsm.streams.add({ name: outStream, subjects: [`${outStream}.>`] });
  results[`jetstream-sink p${parallelism}`] = await timed({ ...base, case: 'jetstream-sink', stream: outStream, subjects: [`${outStream}.out`] });
  const written = (await jsm.streams.info(outStream)).state.messages;
  await jsm.streams.delete(outStream);
  if (written !== RECORDS) throw new Error(`jetstream sink published ${written} messages, not ${RECORDS}`);
}
for (const [name, perSec] of Object.entries(results)) console.log(`${name.padEnd(20)} ${perSec.toLocaleString('en')} records/s`);
console.log(JSON.stringify({ records: RECORDS, recordsPerSec: results }));
await runtime.close();
await redis.quit();
await nc.close();
