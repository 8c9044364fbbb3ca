/**
 * A job from a Redis stream, and one from a JetStream stream, into PostgreSQL through real servers,
 * with a worker thread killed mid-run: the table holds every record exactly once (no duplicate row,
 * no gap), and the broker has nothing left pending: what the job read was acknowledged, as the
 * checkpoints covering it completed.
 */
import { randomUUID } from 'node:crypto';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { connect, type NatsConnection } from 'nats';
import pg from 'pg';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { restarts } from 'weir';
import type { Params } from '../fixtures/brokers-to-postgres.ts';
import { fixture, Runtime, watchdog } from '../helpers.ts';
import { reachable, SERVICES } from '../services.ts';

const Brokers = suite('brokers to postgres');
const runtime = new Runtime({ workers: 2 });
const db = new pg.Client({ connectionString: SERVICES.postgres.url });
const redis = new Redis(SERVICES.redis.url, { lazyConnect: true });
let nc: NatsConnection;
const cleanups: (() => Promise<unknown>)[] = [];
Brokers.before(async () => {
  await db.connect();
  await redis.connect();
  nc = await connect({ servers: SERVICES.nats.url });
});
Brokers.after(async () => {
  for (const cleanup of cleanups.reverse()) await cleanup().catch(() => {});
  await runtime.close();
  await db.end();
  await redis.quit();
  await nc.close();
});

const N = 3000;
const name = (prefix: string) => `${prefix}_${randomUUID().replace(/-/g, '').slice(0, 12)}`;

/**
 * Runs the job with checkpoints every few ms and a worker killed at record `failAt` (or, with `cut`,
 * `cut()` called as checkpoints complete, until it returns true); the restarts' causes.
 */
async function runKilled(from: Params['from'], parallelism: number, cut?: () => Promise<boolean>): Promise<{ table: string; restarts: string[] }> {
  const table = name('weir_brokers');
  cleanups.push(() => db.query(`DROP TABLE IF EXISTS "${table}"`));
  const dir = mkdtempSync(join(tmpdir(), 'weir-brokers-'));
  const params: Params = { from, pg: SERVICES.postgres.url, table, failAt: cut ? -1 : Math.floor(N / 2), marker: join(dir, 'killed'), parallelism };
  const handle = await runtime.run(fixture('brokers-to-postgres'), {
    params,
    parallelism,
    checkpointIntervalMs: 10,
    restart: restarts.fixedDelay({ attempts: 3, delayMs: 0 }),
  });
  const restarted: string[] = [];
  handle.on('restarting', (e) => void restarted.push(`from checkpoint ${e.fromCheckpoint ?? 'none'}: ${e.cause.message}`));
  // Each checkpoint until `cut` found something to cut (the source connects as it first reads).
  let cutting = false;
  if (cut) handle.on('checkpoint', () => {
    if (cutting) return;
    cutting = true;
    void cut().then((done) => void (cutting = done === true));
  });
  await watchdog(handle.done, `brokers-to-postgres from ${from.kind}`, 120_000);
  return { table, restarts: restarted };
}

/** Writes `n` entries `n=<i>` to a new Redis stream. */
async function redisStream(n = N): Promise<string> {
  const stream = name('weir-spec');
  cleanups.push(() => redis.del(stream));
  for (let i = 0; i < n; i += 500) {
    const batch = redis.pipeline();
    for (let k = i; k < Math.min(n, i + 500); k++) batch.xadd(stream, '*', 'n', String(k));
    await batch.exec();
  }
  return stream;
}

/** The table's numbers in order: 0 … N-1 once each, or the test says what is missing and what is doubled. */
async function assertExactlyOnce(table: string, n = N): Promise<void> {
  const { rows } = await db.query<{ n: string; k: string; v: string }>(`SELECT n, k, v FROM "${table}" ORDER BY n`);
  const seen = new Map<number, number>();
  for (const row of rows) seen.set(Number(row.n), (seen.get(Number(row.n)) ?? 0) + 1);
  const doubled = [...seen].filter(([, c]) => c > 1).map(([n]) => n);
  const missing = Array.from({ length: n }, (_, i) => i).filter((i) => !seen.has(i));
  assert.equal({ doubled: doubled.slice(0, 10), missing: missing.slice(0, 10) }, { doubled: [], missing: [] }, `rows of ${table}`);
  assert.is(rows.length, n);
  assert.ok(rows.every((r) => r.k === `k${Number(r.n) % 7}` && Number(r.v) === Number(r.n) * 10), 'each row as the job made it');
}

for (const parallelism of [1, 2]) {
  Brokers(`Redis stream → PostgreSQL at parallelism ${parallelism}, a worker killed mid-run: every entry once, none left pending`, async () => {
    const stream = await redisStream();
    const { table, restarts } = await runKilled({ kind: 'redis', url: SERVICES.redis.url, stream, group: 'jobs' }, parallelism);
    assert.is(restarts.length, 1, `the killed worker restarted the job once: ${restarts.join('; ')}`);
    assert.match(restarts[0]!, /worker thread \d died/);
    await assertExactlyOnce(table);
    const summary = (await redis.call('XPENDING', stream, 'jobs')) as [number, ...unknown[]];
    assert.is(summary[0], 0, 'every entry acknowledged by the end');
  });

  Brokers(`JetStream → PostgreSQL at parallelism ${parallelism}, a worker killed mid-run: every message once, none left unacknowledged`, async () => {
    const stream = name('WEIR_SPEC');
    const subjects = [`${stream}.a`, `${stream}.b`, `${stream}.c`];
    const jsm = await nc.jetstreamManager();
    await jsm.streams.add({ name: stream, subjects });
    cleanups.push(() => jsm.streams.delete(stream));
    const js = nc.jetstream();
    const encoder = new TextEncoder();
    for (let i = 0; i < N; i += 500) await Promise.all(Array.from({ length: Math.min(500, N - i) }, (_, k) => js.publish(subjects[(i + k) % 3]!, encoder.encode(JSON.stringify({ n: i + k })))));
    const { table, restarts } = await runKilled({ kind: 'jetstream', url: SERVICES.nats.url, stream, subjects, durable: 'jobs' }, parallelism);
    assert.is(restarts.length, 1, `the killed worker restarted the job once: ${restarts.join('; ')}`);
    assert.match(restarts[0]!, /worker thread \d died/);
    await assertExactlyOnce(table);
    for (let i = 0; i < subjects.length; i++) {
      const info = await jsm.consumers.info(stream, `jobs-${i}`);
      assert.is(info.num_ack_pending, 0, `consumer jobs-${i}: nothing left unacknowledged`);
      assert.is(info.num_pending, 0, `consumer jobs-${i}: nothing left unread`);
    }
  });
}

Brokers('a Redis connection cut mid-run: the source fails naming itself and the server, the restart connects again, every entry still once', async () => {
  // Long enough that the source still reads when the first checkpoint completes.
  const n = 10 * N;
  const stream = await redisStream(n);
  let killed = 0;
  // CLIENT KILL of the source's connections (named weir-redis-stream-source), as a server restart would cut them.
  const cut = async () => {
    const clients = String(await redis.call('CLIENT', 'LIST', 'TYPE', 'normal')).split('\n');
    for (const line of clients.filter((l) => / name=weir-redis-stream-source /.test(l))) {
      await redis.call('CLIENT', 'KILL', 'ID', /id=(\d+)/.exec(line)![1]!);
      killed++;
    }
    return killed > 0;
  };
  const { table, restarts } = await runKilled({ kind: 'redis', url: SERVICES.redis.url, stream, group: 'jobs' }, 1, cut);
  assert.ok(killed >= 1, 'a connection of the source was cut');
  assert.ok(restarts.length >= 1, 'the cut connection failed the job, which restarted');
  assert.match(restarts[0]!, /redis stream source "weir-spec[^"]*" \(group jobs, consumer jobs-0\) at 127\.0\.0\.1:6379/);
  await assertExactlyOnce(table, n);
  assert.is(((await redis.call('XPENDING', stream, 'jobs')) as [number])[0], 0, 'every entry acknowledged by the end');
});

if (await reachable('brokers-to-postgres.spec', 'postgres', 'redis', 'nats')) Brokers.run();
