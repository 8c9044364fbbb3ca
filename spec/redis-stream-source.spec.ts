/**
 * The Redis Streams source against a real Redis: entries are acknowledged only when the checkpoint
 * that covers them completes, a restored reader reads its pending entries after its offset again,
 * subtasks share a stream as consumers of one group, a refusing server is named in the error.
 */
import { randomUUID } from 'node:crypto';
import { Redis } from 'ioredis';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { sources, type RedisStreamEntry } from 'weir';
import { ReaderDrive } from './reader-drive.ts';
import { reachable, SERVICES } from './services.ts';

const Source = suite('redis stream source');
const url = SERVICES.redis.url;
const redis = new Redis(url, { lazyConnect: true });
const streams: string[] = [];
Source.before(() => redis.connect());
Source.after(async () => {
  if (streams.length > 0) await redis.del(...streams);
  await redis.quit();
});

/** A new stream of `n` entries `{ n: i }`; their ids in order. */
async function stream(n: number): Promise<{ name: string; ids: string[] }> {
  const name = `weir-spec-${randomUUID()}`;
  streams.push(name);
  const ids: string[] = [];
  for (let i = 0; i < n; i++) ids.push((await redis.xadd(name, '*', 'n', String(i)))!);
  return { name, ids };
}

/** The ids pending in `group`, in order. */
const pending = async (name: string, group: string): Promise<string[]> =>
  ((await redis.call('XPENDING', name, group, '-', '+', 1000)) as [string][]).map(([id]) => id);

const ids = (records: readonly RedisStreamEntry[]) => records.map((r) => r.id);

/** Reads wake-ups until `name`'s pending entries are `expected` (acknowledgements wake the reader). */
async function pendingBecomes(drive: ReaderDrive<RedisStreamEntry>, name: string, group: string, expected: string[]): Promise<void> {
  while (JSON.stringify(await pending(name, group)) !== JSON.stringify(expected)) await drive.nextWakeUp(`pending entries of ${name} to become ${expected.length}`);
}

Source('entries stay pending until the checkpoint that covers them completes; a bounded reader ends once all it read is acknowledged', async () => {
  const { name, ids: all } = await stream(10);
  const drive = new ReaderDrive(sources.redisStream({ url, stream: name, group: 'g', stopAtEnd: true, batch: 4 }));
  await drive.until((r) => r.length >= 6, 'six entries');
  assert.equal(drive.reader.offset(1), { last: all[drive.records.length - 1] }, 'the offset is the last id emitted');
  const coveredBy1 = drive.records.length;
  await drive.until((r) => r.length === 10, 'every entry');
  drive.reader.offset(2);
  assert.equal(ids(drive.records), all, 'every entry, in order');
  assert.equal(await pending(name, 'g'), all, 'nothing acknowledged before a checkpoint completed');
  // The reader finds the end (an empty read), and waits for its entries to be acknowledged before it ends.
  await drive.nextWakeUp('the read that finds the end');
  assert.ok(drive.readOnce(), 'a bounded reader waits at the end for its acknowledgements');
  assert.equal(drive.records.length, 10);
  drive.reader.checkpointComplete!(1);
  await pendingBecomes(drive, name, 'g', all.slice(coveredBy1));
  drive.reader.checkpointComplete!(2);
  await pendingBecomes(drive, name, 'g', []);
  await drive.until(() => false, 'the end');
  assert.ok(drive.exhausted, 'ends once all it read is acknowledged');
  drive.reader.close!();
});

Source('a restored reader reads its pending entries after its offset again, and acknowledges those at or before it', async () => {
  const { name, ids: all } = await stream(10);
  const first = new ReaderDrive(sources.redisStream({ url, stream: name, group: 'g', stopAtEnd: true, batch: 3 }));
  await first.until((r) => r.length === 10, 'every entry');
  const offset = { last: all[3]! };
  // The attempt fails here: checkpoint 1 (after 4 entries) completed, its acknowledgement never came.
  first.reader.close!();
  assert.equal(await pending(name, 'g'), all);
  const restored = new ReaderDrive(sources.redisStream({ url, stream: name, group: 'g', stopAtEnd: true, batch: 3 }), 0, 1, offset);
  await restored.until((r) => r.length === 6, 'the entries after the offset');
  assert.equal(ids(restored.records), all.slice(4), 'read again: the entries after the offset, once each');
  await pendingBecomes(restored, name, 'g', all.slice(4));
  restored.reader.offset(2);
  restored.reader.checkpointComplete!(2);
  await pendingBecomes(restored, name, 'g', []);
  await restored.until(() => false, 'the end');
  assert.ok(restored.exhausted);
  assert.equal(ids(restored.records), all.slice(4), 'nothing more');
  restored.reader.close!();
});

Source('subtasks share the stream as consumers of one group; without checkpoints nothing is acknowledged', async () => {
  const { name, ids: all } = await stream(40);
  const options = { url, stream: name, group: 'shared', stopAtEnd: true, batch: 5 };
  const drives = [new ReaderDrive(sources.redisStream(options), 0, 2), new ReaderDrive(sources.redisStream(options), 1, 2)];
  await Promise.all(drives.map((d) => d.until(() => false, 'the end')));
  const read = drives.flatMap((d) => ids(d.records)).sort((a, b) => all.indexOf(a) - all.indexOf(b));
  assert.equal(read, all, 'every entry, by exactly one subtask');
  assert.ok(drives.every((d) => d.exhausted));
  assert.equal((await pending(name, 'shared')).length, 40, 'no checkpoint: every entry still pending');
  const consumers = (await redis.call('XINFO', 'CONSUMERS', name, 'shared')) as unknown[][];
  assert.equal(consumers.map((c) => c[1]).sort(), ['shared-0', 'shared-1']);
  for (const d of drives) d.reader.close!();
});

Source('a server that refuses: the error names the connector, the address and the cause', async () => {
  const drive = new ReaderDrive(sources.redisStream({ url: 'redis://127.0.0.1:1', stream: 'orders', group: 'g' }));
  let error: (Error & { code?: string }) | undefined;
  try {
    await drive.until(() => false, 'a failure');
  } catch (e) {
    error = e as Error;
  }
  assert.is(error?.code, 'WEIR_E_CONNECTOR', String(error));
  assert.match(error!.message, /redis stream source "orders"/);
  assert.match(error!.message, /127\.0\.0\.1:1/);
  assert.match(error!.message, /ECONNREFUSED/, error!.message);
});

if (await reachable('redis-stream-source.spec', 'redis')) Source.run();
