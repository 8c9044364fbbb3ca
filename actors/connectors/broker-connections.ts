import { Redis } from 'ioredis';
import { connect, type NatsConnection } from 'nats';
import { errors, WeirError } from '../../lib/errors.ts';

/**
 * The server a connector talks to: the `url` option, else the usual environment variable
 * (`REDIS_URL`, `NATS_URL`), else the server's default port on this machine.
 */
export const redisUrl = (url: string | undefined): string => url ?? process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
export const natsUrl = (url: string | undefined): string => url ?? process.env.NATS_URL ?? 'nats://127.0.0.1:4222';

/** `host:port` of a URL (or of the first of a comma-separated list), never its credentials: what errors show. */
export function address(url: string): string {
  const first = url.split(',')[0]!.trim();
  try {
    const parsed = new URL(first.includes('://') ? first : `tcp://${first}`);
    return `${parsed.hostname}:${parsed.port || '?'}`;
  } catch {
    return first.replace(/\/\/[^@/]*@/, '//');
  }
}

/** What to do about a failing server, named by the environment variable its URL may come from. */
const todo = (url: string): string =>
  `Check that the server runs and takes connections there (the url option, or ${url.startsWith('redis') ? 'REDIS_URL' : 'NATS_URL'}); ` +
  "the job's restart strategy applies, and a restarted attempt connects again.";

/** A failure of a connector's server, named once: an error that already is one passes through. */
export const connectorError = (connector: string, url: string, doing: string, cause: unknown): WeirError =>
  cause instanceof WeirError && cause.code === 'WEIR_E_CONNECTOR' ? cause : errors.connectorFailed(connector, address(url), doing, cause, todo(url));

/** An open connection and how to close it on purpose (closing it so is no loss to report). */
export interface Connection<C> {
  readonly client: C;
  /** `cut`: at once, dropping what is in flight (a blocked read), instead of after its replies. */
  close(cut?: boolean): Promise<void>;
}

/**
 * A Redis connection that does not reconnect by itself nor queue commands while it is down: a
 * command fails at once, the connector fails its subtask with an error that names it, and the job's
 * restart strategy decides when a new attempt connects again (a server that came back is then
 * reconnected to). `onLost` is told when an open connection drops.
 */
export async function openRedis(connector: string, url: string, onLost: (error: WeirError) => void, clientName: string): Promise<Connection<Redis>> {
  // CLIENT LIST shows the name: an operator sees which connections are weir's, and of which connector.
  const redis = new Redis(url, { lazyConnect: true, retryStrategy: () => null, maxRetriesPerRequest: 0, enableOfflineQueue: false, connectTimeout: 5000, connectionName: clientName });
  let opened = false;
  let closing = false;
  // Why a connection attempt failed comes as an 'error' event; connect() only says it closed.
  let refused: unknown;
  redis.on('error', (cause: unknown) => {
    if (opened && !closing) onLost(connectorError(connector, url, 'talking to the server', cause));
    else refused ??= cause;
  });
  redis.on('end', () => {
    if (opened && !closing) onLost(connectorError(connector, url, 'talking to the server', new Error('the connection closed')));
  });
  try {
    await redis.connect();
  } catch (cause) {
    closing = true;
    redis.disconnect();
    throw connectorError(connector, url, 'connecting', refused ?? cause);
  }
  opened = true;
  return {
    client: redis,
    close: async (cut = false) => {
      if (closing) return;
      closing = true;
      // QUIT waits for the replies of commands in flight (acknowledgements).
      if (cut) redis.disconnect();
      else await redis.quit().catch(() => redis.disconnect());
    },
  };
}

/**
 * A NATS connection that does not reconnect by itself (see `openRedis`): `onLost` is told when it
 * closes without being asked to.
 */
export async function openNats(connector: string, url: string, onLost: (error: WeirError) => void): Promise<Connection<NatsConnection>> {
  let nc: NatsConnection;
  try {
    nc = await connect({ servers: url.split(',').map((s) => s.trim()), reconnect: false, timeout: 5000, name: connector });
  } catch (cause) {
    throw connectorError(connector, url, 'connecting', cause);
  }
  let closing = false;
  void nc.closed().then((cause) => {
    if (!closing) onLost(connectorError(connector, url, 'talking to the server', cause ?? new Error('the connection closed')));
  });
  return {
    client: nc,
    close: async () => {
      if (closing) return;
      closing = true;
      // drain: publishes and acknowledgements in flight reach the server first.
      await nc.drain().catch(() => nc.close());
    },
  };
}
