import { createHash } from 'node:crypto';
import type { JetStreamClient, NatsConnection } from 'nats';
import type { Sink } from '../../lib/operator/sink.ts';
import { twoPhaseSink } from '../../lib/operator/two-phase-sink.ts';
import { errors } from '../../lib/errors.ts';
import { connectorError, natsUrl, openNats, type Connection } from '../connectors/broker-connections.ts';

export interface JetStreamSinkOptions<T> {
  /** The server; default `NATS_URL`, else `nats://127.0.0.1:4222`. */
  url?: string;
  /** Where records are published (a subject of an existing stream). */
  subject: string;
  /** A record field whose value is appended to the subject: `subject.<value>`. */
  subjectKey?: keyof T & string;
  /** Publishes awaited at once while committing (default 1024). */
  inFlight?: number;
}

/** A transaction: the messages to publish (subject, JSON payload), and the scope their ids derive from. */
interface JetStreamTxn {
  scope: string;
  messages: [subject: string, payload: string][];
}

const encoder = new TextEncoder();

/** The id the server deduplicates a message by: the same message of the same transaction has the same id in a replay. */
const messageId = (scope: string, checkpointId: number, index: number): string =>
  createHash('sha1').update(`${scope}\u0000${checkpointId}\u0000${index}`).digest('base64url');

/**
 * Publishes records (as JSON) to a NATS JetStream stream, exactly once within the stream's duplicate
 * window: records wait in the sink until the checkpoint that covers them completes, then each is
 * published with a message id derived from the sink subtask, the checkpoint and its place in it
 * (`Nats-Msg-Id`), so that the server drops what a commit repeated after a restart publishes again.
 * The stream must exist, with a `duplicate_window` longer than a restart takes (default 2 minutes).
 * Without checkpoints everything is published at the end of a bounded job. A commit interrupted
 * at the end of a bounded job (its `Infinity` commit) is not covered: the replay groups its records
 * in other transactions.
 *
 * @example
 * ```ts
 * stream.to(sinks.jetstream<Alert>({ subject: 'alerts', subjectKey: 'region' })); // alerts.eu, alerts.us
 * ```
 */
export function jetstream<T>(options: JetStreamSinkOptions<T>): Sink<T> {
  const url = natsUrl(options.url);
  if (typeof options.subject !== 'string' || options.subject === '') throw errors.invalidOption('jetstream subject', options.subject, 'a subject of a stream');
  const inFlight = options.inFlight ?? 1024;
  if (!Number.isSafeInteger(inFlight) || inFlight < 1) throw errors.invalidOption('jetstream inFlight', inFlight, 'a whole number ≥ 1');
  const name = `jetstream sink (subject ${options.subject}${options.subjectKey ? `.<${options.subjectKey}>` : ''})`;
  const key = options.subjectKey;
  return twoPhaseSink<T, JetStreamTxn>({
    name: 'jetstream',
    describe: { subject: options.subject, subjectKey: key ?? null },
    create: ({ scope }) => {
      let connection: Connection<NatsConnection> | undefined;
      let js: JetStreamClient;
      let lost: Error | undefined;
      return {
        open: async () => {
          connection = await openNats(name, url, (error) => void (lost ??= error));
          js = connection.client.jetstream();
        },
        begin: () => ({ scope, messages: [] }),
        write: (txn, records) => {
          for (const record of records) {
            const subject = key === undefined ? options.subject : `${options.subject}.${String(record[key])}`;
            txn.messages.push([subject, JSON.stringify(record)]);
          }
        },
        prepare: () => {},
        commit: async (txn, checkpointId) => {
          if (lost) throw lost;
          const { messages } = txn;
          try {
            for (let start = 0; start < messages.length; start += inFlight) {
              const publishes: Promise<unknown>[] = [];
              for (let i = start; i < Math.min(start + inFlight, messages.length); i++) {
                const [subject, payload] = messages[i]!;
                publishes.push(js.publish(subject, encoder.encode(payload), { msgID: messageId(txn.scope, checkpointId, i) }));
              }
              await Promise.all(publishes);
            }
          } catch (cause) {
            throw connectorError(name, url, `publishing checkpoint ${checkpointId}`, cause);
          }
        },
        abort: () => {},
        close: () => connection?.close(),
      };
    },
  });
}
