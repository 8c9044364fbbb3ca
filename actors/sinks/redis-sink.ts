import type { Redis } from 'ioredis';
import type { Sink } from '../../lib/operator/sink.ts';
import type { JsonValue } from '../../lib/util/json.ts';
import { twoPhaseSink } from '../../lib/operator/two-phase-sink.ts';
import { errors } from '../../lib/errors.ts';
import { connectorError, openRedis, redisUrl, type Connection } from '../connectors/broker-connections.ts';

interface RedisSinkCommon {
  /** The server; default `REDIS_URL`, else `redis://127.0.0.1:6379`. */
  url?: string;
  /** The hash where the last checkpoint committed is kept per sink subtask (default `weir:commits`). */
  commitsKey?: string;
}

/** A hash per record: `HSET <prefix><record[key]> field value …` with every field of the record (an upsert). */
export interface RedisHashSinkOptions<T> extends RedisSinkCommon {
  mode: 'hash';
  key: keyof T & string;
  prefix?: string;
}

/** An entry per record appended to `stream` (`XADD stream * field value …`). */
export interface RedisStreamSinkOptions extends RedisSinkCommon {
  mode: 'stream';
  stream: string;
}

export type RedisSinkOptions<T> = RedisHashSinkOptions<T> | RedisStreamSinkOptions;

/**
 * Commits one transaction atomically (a script runs alone on the server): skipped when the scope's
 * last committed checkpoint is at or after this one, else every write, then the checkpoint.
 * ARGV: scope, checkpoint ('inf': a bounded job's end), mode, then for 'hash' per record a key, a
 * count and the field/value pairs, for 'stream' the stream then per record a count and the pairs.
 */
const COMMIT = `
local function num(s) if s == 'inf' then return math.huge end return tonumber(s) end
local last = redis.call('HGET', KEYS[1], ARGV[1])
if last and num(last) >= num(ARGV[2]) then return 0 end
local n = #ARGV
if ARGV[3] == 'hash' then
  local i = 4
  while i <= n do
    local count = tonumber(ARGV[i + 1])
    if count > 0 then redis.call('HSET', ARGV[i], unpack(ARGV, i + 2, i + 1 + count)) end
    i = i + 2 + count
  end
else
  local i = 5
  while i <= n do
    local count = tonumber(ARGV[i])
    redis.call('XADD', ARGV[4], '*', unpack(ARGV, i + 1, i + count))
    i = i + 1 + count
  end
end
redis.call('HSET', KEYS[1], ARGV[1], ARGV[2])
return 1
`;

/** A transaction: the script's arguments for its records, and the scope it commits under. */
interface RedisTxn {
  scope: string;
  args: string[];
}

/** A field's value as Redis stores it: strings as they are, other values as JSON; absent ones are left out. */
const text = (value: unknown): string | undefined =>
  value === undefined || value === null ? undefined : typeof value === 'string' ? value : typeof value === 'object' ? JSON.stringify(value) : String(value);

const pairs = (record: object): string[] => {
  const out: string[] = [];
  for (const [field, value] of Object.entries(record)) {
    const v = text(value);
    if (v !== undefined) out.push(field, v);
  }
  return out;
};

/**
 * Writes records to Redis exactly once: a hash per record key (an upsert of its fields) or an entry
 * appended to a stream. Records wait in the sink until the checkpoint that covers them completes;
 * then a script writes them and the checkpoint id (`HSET <commitsKey> <scope> <checkpoint>`) in one
 * atomic step, and skips a checkpoint already committed, so that a replay after a restart writes
 * nothing twice. Without checkpoints everything is written at the end of a bounded job. A
 * checkpoint's records go in one script call: keep checkpoints frequent for a fast stream.
 *
 * @example
 * ```ts
 * stream.to(sinks.redis<Total>({ mode: 'hash', key: 'user', prefix: 'total:' }));
 * stream.to(sinks.redis<Alert>({ mode: 'stream', stream: 'alerts' }));
 * ```
 */
export function redis<T extends object>(options: RedisSinkOptions<T>): Sink<T> {
  const url = redisUrl(options.url);
  const commitsKey = options.commitsKey ?? 'weir:commits';
  if (options.mode === 'hash') {
    if (typeof options.key !== 'string' || options.key === '') throw errors.invalidOption('redis key', options.key, 'the name of the record field that names the hash');
  } else if (options.mode === 'stream') {
    if (typeof options.stream !== 'string' || options.stream === '') throw errors.invalidOption('redis stream', options.stream, 'the name of a stream');
  } else throw errors.invalidOption('redis mode', (options as { mode: unknown }).mode, "'hash' or 'stream'");
  const target = options.mode === 'hash' ? `hashes ${options.prefix ?? ''}<${options.key}>` : `stream "${options.stream}"`;
  const name = `redis sink (${target})`;
  const describe: JsonValue = options.mode === 'hash' ? { mode: 'hash', key: options.key, prefix: options.prefix ?? '', commitsKey } : { mode: 'stream', stream: options.stream, commitsKey };
  return twoPhaseSink<T, RedisTxn>({
    name: 'redis',
    describe,
    create: ({ scope }) => {
      let connection: Connection<Redis> | undefined;
      let lost: Error | undefined;
      return {
        open: async () => {
          connection = await openRedis(name, url, (error) => void (lost ??= error), 'weir-redis-sink');
        },
        begin: () => ({ scope, args: options.mode === 'stream' ? [options.stream] : [] }),
        write: (txn, records) => {
          for (const record of records) {
            const fields = pairs(record);
            if (options.mode === 'hash') txn.args.push(`${options.prefix ?? ''}${text(record[options.key]) ?? ''}`, String(fields.length), ...fields);
            else txn.args.push(String(fields.length), ...fields);
          }
        },
        prepare: () => {},
        commit: async (txn, checkpointId) => {
          if (lost) throw lost;
          const checkpoint = checkpointId === Infinity ? 'inf' : String(checkpointId);
          // An empty stream transaction holds only the stream's name: the checkpoint is still recorded.
          try {
            await connection!.client.call('EVAL', COMMIT, 1, commitsKey, txn.scope, checkpoint, options.mode, ...txn.args);
          } catch (cause) {
            throw connectorError(name, url, `committing checkpoint ${checkpoint}`, cause);
          }
        },
        abort: () => {},
        close: () => connection?.close(),
      };
    },
  });
}
