/**
 * The JetStream source against a real NATS server: messages are acknowledged only when the
 * checkpoint that covers them completes, a restored reader starts after its offset, subjects are
 * shared out among subtasks, a refusing server is named in the error.
 */
import { randomUUID } from 'node:crypto';
import { connect, type JetStreamManager, type NatsConnection } from 'nats';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { sources, type JetStreamMessage } from 'weir';
import { ReaderDrive } from './reader-drive.ts';
import { reachable, SERVICES } from './services.ts';

const Source = suite('jetstream source');
const url = SERVICES.nats.url;
let nc: NatsConnection;
let jsm: JetStreamManager;
const streams: string[] = [];
Source.before(async () => {
  nc = await connect({ servers: url });
  jsm = await nc.jetstreamManager();
});
Source.after(async () => {
  for (const stream of streams) await jsm.streams.delete(stream).catch(() => {});
  await nc.close();
});

/** A new stream with `subjects` (suffixes), `n` messages `{ n: i }` on them in turn. */
async function stream(n: number, suffixes = ['a']): Promise<{ name: string; subjects: string[] }> {
  const name = `WEIR_SPEC_${randomUUID().replace(/-/g, '').slice(0, 12)}`;
  const subjects = suffixes.map((s) => `${name}.${s}`);
  await jsm.streams.add({ name, subjects });
  streams.push(name);
  const js = nc.jetstream();
  for (let i = 0; i < n; i++) await js.publish(subjects[i % subjects.length]!, new TextEncoder().encode(JSON.stringify({ n: i })));
  return { name, subjects };
}

const numbers = (records: readonly JetStreamMessage[]) => records.map((m) => (JSON.parse(m.data) as { n: number }).n);
const range = (from: number, to: number) => Array.from({ length: to - from }, (_, i) => from + i);

/** Reads wake-ups until the consumer's acknowledged floor is `seq` (acknowledgements wake the reader). */
async function ackedTo(drive: ReaderDrive<JetStreamMessage>, stream: string, consumer: string, seq: number): Promise<void> {
  while ((await jsm.consumers.info(stream, consumer)).ack_floor.stream_seq !== seq) await drive.nextWakeUp(`${consumer} acknowledged to ${seq}`);
}

Source('messages stay unacknowledged until the checkpoint that covers them completes; a bounded reader ends once all it read is acknowledged', async () => {
  const { name, subjects } = await stream(10);
  const drive = new ReaderDrive(sources.jetstream({ url, stream: name, subjects, durable: 'd', stopAtEnd: true, batch: 4 }));
  await drive.until((r) => r.length >= 6, 'six messages');
  const coveredBy1 = drive.records.length;
  assert.equal(drive.reader.offset(1), { seqs: { [subjects[0]!]: coveredBy1 } }, 'the offset is the stream sequence of the last message emitted');
  await drive.until((r) => r.length === 10, 'every message');
  drive.reader.offset(2);
  assert.equal(numbers(drive.records), range(0, 10));
  let info = await jsm.consumers.info(name, 'd-0');
  assert.is(info.num_ack_pending, 10, 'nothing acknowledged before a checkpoint completed');
  assert.is(info.ack_floor.stream_seq, 0);
  await drive.nextWakeUp('the read that finds the end');
  assert.ok(drive.readOnce(), 'a bounded reader waits at the end for its acknowledgements');
  drive.reader.checkpointComplete!(1);
  await ackedTo(drive, name, 'd-0', coveredBy1);
  info = await jsm.consumers.info(name, 'd-0');
  assert.is(info.num_ack_pending, 10 - coveredBy1, 'what checkpoint 2 covers waits for it');
  drive.reader.checkpointComplete!(2);
  await ackedTo(drive, name, 'd-0', 10);
  await drive.until(() => false, 'the end');
  assert.ok(drive.exhausted, 'ends once all it read is acknowledged');
  drive.reader.close!();
});

Source('a restored reader starts after its offset, whatever the consumer had acknowledged', async () => {
  const { name, subjects } = await stream(10);
  const options = { url, stream: name, subjects, durable: 'd', stopAtEnd: true, batch: 3 };
  const first = new ReaderDrive(sources.jetstream(options));
  await first.until((r) => r.length === 10, 'every message');
  // The attempt fails here: checkpoint 1 (after 4 messages) completed, its acknowledgement never came.
  first.reader.close!();
  const restored = new ReaderDrive(sources.jetstream(options), 0, 1, { seqs: { [subjects[0]!]: 4 } });
  await restored.until((r) => r.length === 6, 'the messages after the offset');
  restored.reader.offset(2);
  restored.reader.checkpointComplete!(2);
  await restored.until(() => false, 'the end');
  assert.equal(numbers(restored.records), range(4, 10), 'the messages after the offset, once each');
  assert.ok(restored.exhausted);
  assert.is((await jsm.consumers.info(name, 'd-0')).ack_floor.stream_seq, 10);
  restored.reader.close!();
});

Source('a new run starts after what the durable consumer acknowledged: what an earlier run read and never acknowledged comes again', async () => {
  const { name, subjects } = await stream(10);
  const options = { url, stream: name, subjects, durable: 'd', stopAtEnd: true, batch: 5 };
  const first = new ReaderDrive(sources.jetstream(options));
  await first.until((r) => r.length === 10, 'every message');
  first.reader.offset(1);
  first.reader.checkpointComplete!(1);
  await ackedTo(first, name, 'd-0', 10);
  first.reader.close!();
  const js = nc.jetstream();
  for (let i = 10; i < 13; i++) await js.publish(subjects[0]!, new TextEncoder().encode(JSON.stringify({ n: i })));
  const second = new ReaderDrive(sources.jetstream(options));
  await second.until(() => false, 'the end');
  assert.equal(numbers(second.records), [10, 11, 12]);
  second.reader.close!();
});

Source('subjects are shared out among subtasks: subtask i of p reads subjects i, i + p, …', async () => {
  const { name, subjects } = await stream(30, ['a', 'b', 'c']);
  const options = { url, stream: name, subjects, durable: 'split', stopAtEnd: true, batch: 4 };
  const drives = [new ReaderDrive(sources.jetstream(options), 0, 2), new ReaderDrive(sources.jetstream(options), 1, 2)];
  await Promise.all(drives.map((d) => d.until(() => false, 'the end')));
  assert.equal([...new Set(drives[0]!.records.map((m) => m.subject))].sort(), [subjects[0], subjects[2]]);
  assert.equal([...new Set(drives[1]!.records.map((m) => m.subject))], [subjects[1]]);
  assert.equal(drives.flatMap((d) => numbers(d.records)).sort((a, b) => a - b), range(0, 30), 'every message, by exactly one subtask');
  for (const d of drives) d.reader.close!();
});

Source('a server that refuses: the error names the connector, the address and the cause', async () => {
  const drive = new ReaderDrive(sources.jetstream({ url: 'nats://127.0.0.1:1', stream: 'ORDERS', durable: 'd' }));
  let error: (Error & { code?: string }) | undefined;
  try {
    await drive.until(() => false, 'a failure');
  } catch (e) {
    error = e as Error;
  }
  assert.is(error?.code, 'WEIR_E_CONNECTOR', String(error));
  assert.match(error!.message, /jetstream source "ORDERS"/);
  assert.match(error!.message, /127\.0\.0\.1:1/);
  assert.match(error!.message, /ECONNREFUSED|CONNECTION_REFUSED/, error!.message);
});

if (await reachable('jetstream-source.spec', 'nats')) Source.run();
