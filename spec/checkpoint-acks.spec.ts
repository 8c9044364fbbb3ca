/**
 * What broker sources acknowledge when (CheckpointAcks), how they compare Redis stream ids, and the
 * addresses their errors show.
 */
import fc from 'fast-check';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { CheckpointAcks } from '../actors/connectors/checkpoint-acks.ts';
import { address } from '../actors/connectors/broker-connections.ts';
import { idAfter } from '../actors/sources/redis-stream-source.ts';

const Acks = suite('checkpoint acks');

Acks('a completed checkpoint gives the position of the latest checkpoint at or before it, once', () => {
  const acks = new CheckpointAcks<string>();
  assert.not.ok(acks.checkpointing);
  acks.taken(undefined, 'end');
  assert.not.ok(acks.checkpointing, 'an offset for no checkpoint says nothing about checkpoints');
  acks.taken(3, 'a');
  acks.taken(4, 'b');
  acks.taken(6, 'c');
  assert.ok(acks.checkpointing);
  assert.is(acks.completed(2), undefined, 'covers nothing taken');
  assert.is(acks.completed(5), 'b', 'checkpoint 5 covers 3 and 4: the later position');
  assert.is(acks.completed(5), undefined, 'given once');
  assert.is(acks.completed(7), 'c');
});

Acks('whatever checkpoints complete, the positions given only grow and end at the last one completed', () => {
  fc.assert(
    fc.property(fc.array(fc.boolean(), { minLength: 1, maxLength: 30 }), (completes) => {
      const acks = new CheckpointAcks<number>();
      const given: number[] = [];
      completes.forEach((complete, i) => {
        acks.taken(i + 1, (i + 1) * 10);
        if (complete) {
          const at = acks.completed(i + 1);
          if (at !== undefined) given.push(at);
        }
      });
      for (let i = 1; i < given.length; i++) assert.ok(given[i]! > given[i - 1]!);
      const lastCompleted = completes.lastIndexOf(true);
      if (lastCompleted >= 0) assert.is(given.at(-1), (lastCompleted + 1) * 10);
    }),
  );
});

Acks('stream ids compare as numbers, milliseconds first', () => {
  assert.ok(idAfter('10-0', '9-5'));
  assert.ok(idAfter('1700000000000-12', '1700000000000-9'));
  assert.not.ok(idAfter('5-1', '5-1'));
  assert.not.ok(idAfter('0-0', '1-0'));
});

Acks('errors show host and port, never credentials', () => {
  assert.is(address('redis://user:secret@cache.internal:6380/2'), 'cache.internal:6380');
  assert.is(address('nats://a:4222,nats://b:4222'), 'a:4222');
  assert.is(address('127.0.0.1:4222'), '127.0.0.1:4222');
});

Acks.run();
