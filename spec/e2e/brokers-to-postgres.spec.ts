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

/** Runs the job with checkpoints every few ms and a worker killed at record `failAt`: returns how often it restarted. */
async function runKilled(from: Params['from'], parallelism: number): Promise<{ table: string; restarts: string[] }> {
  const table = name('weir_brokers');
  cleanups.push(() => db.query(`DROP TABLE IF EXISTS "${table}"`));
  const dir = mkdtempSync(join(tmpdir(), 'weir-brokers-'));
  const params: Params = { from, pg: SERVICES.postgres.url, table, failAt: Math.floor(N / 2), marker: join(dir, 'killed'), parallelism };
  const handle = await runtime.run(fixture('brokers-to-postgres'), {
    params,
    parallelism,
    checkpointIntervalMs: 10,
    restart: restarts.fixedDelay({ attempts: 3, delayMs: 0 }),
  });
  const restarted: string[] = [];
  handle.on('restarting', (e) => void restarted.push(`from checkpoint ${e.fromCheckpoint ?? 'none'}: ${e.cause.message}`));
  await watchdog(handle.done, `brokers-to-postgres from ${from.kind}`, 120_000);
  return { table, restarts: restarted };
}

/** The table's numbers in order: 0 … N-1 once each, or the test says what is missing and what is doubled. */
async function assertExactlyOnce(table: string): Promise<void> {
  const { rows } = await db.query<{ n: string; k: string; v: string }>(`SELECT n, k, v FROM "${table}" ORDER BY n`);
  const seen = new Map<number, number>();
  for (const row of rows) seen.set(Number(row.n), (seen.get(Number(row.n)) ?? 0) + 1);
  const doubled = [...seen].filter(([, c]) => c > 1).map(([n]) => n);
  const missing = Array.from({ length: N }, (_, i) => i).filter((i) => !seen.has(i));
  assert.equal({ doubled: doubled.slice(0, 10), missing: missing.slice(0, 10) }, { doubled: [], missing: [] }, `rows of ${table}`);
  assert.is(rows.length, N);
  assert.ok(rows.every((r) => r.k === `k${Number(r.n) % 7}` && Number(r.v) === Number(r.n) * 10), 'each row as the job made it');
}

for (const parallelism of [1, 2]) {
  Brokers(`Redis stream → PostgreSQL at parallelism ${parallelism}, a worker killed mid-run: every entry once, none left pending`, async () => {
    const stream = name('weir-spec');
    cleanups.push(() => redis.del(stream));
    for (let i = 0; i < N; i += 500) {
      const batch = redis.pipeline();
      for (let n = i; n < Math.min(N, i + 500); n++) batch.xadd(stream, '*', 'n', String(n));
      await batch.exec();
    }
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

if (await reachable('brokers-to-postgres.spec', 'postgres', 'redis', 'nats')) Brokers.run();
