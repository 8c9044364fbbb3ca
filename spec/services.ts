/**
 * The servers integration specs talk to (through real clients, never mocks), and what a spec does
 * when one cannot be reached: `npm test` on a machine without it skips the spec and says which and
 * why; with `WEIR_REQUIRE_SERVICES=1` (CI) an unreachable server fails the run instead.
 *
 * @example
 * ```ts
 * if (await reachable('redis-source.spec', 'redis')) Redis.run();
 * ```
 */
import { connect } from 'node:net';

export const SERVICES = {
  postgres: { name: 'PostgreSQL', host: '127.0.0.1', port: 5432, url: process.env.WEIR_TEST_PG ?? 'postgres://postgres@127.0.0.1:5432/test' },
  redis: { name: 'Redis', host: '127.0.0.1', port: 6379, url: process.env.WEIR_TEST_REDIS ?? 'redis://127.0.0.1:6379' },
  nats: { name: 'NATS JetStream', host: '127.0.0.1', port: 4222, url: process.env.WEIR_TEST_NATS ?? 'nats://127.0.0.1:4222' },
} as const;

export type Service = keyof typeof SERVICES;

/** Whether a TCP connection to the service opens (within 2 s): why not, if it does not. */
function probe(service: Service): Promise<string | undefined> {
  const { host, port } = SERVICES[service];
  return new Promise((resolve) => {
    const socket = connect({ host, port });
    const done = (why: string | undefined) => {
      socket.destroy();
      resolve(why);
    };
    socket.setTimeout(2000, () => done('no answer within 2 s'));
    socket.once('connect', () => done(undefined));
    socket.once('error', (error: NodeJS.ErrnoException) => done(error.code ?? error.message));
  });
}

/**
 * True when every service the spec needs answers. Otherwise it prints that `spec` is skipped and
 * why, and returns false, or, under `WEIR_REQUIRE_SERVICES=1`, throws.
 */
export async function reachable(spec: string, ...services: Service[]): Promise<boolean> {
  const missing: string[] = [];
  for (const service of services) {
    const why = await probe(service);
    if (why !== undefined) missing.push(`${SERVICES[service].name} at ${SERVICES[service].host}:${SERVICES[service].port} (${why})`);
  }
  if (missing.length === 0) return true;
  const message = `${spec}: cannot reach ${missing.join(', ')}`;
  if (process.env.WEIR_REQUIRE_SERVICES === '1') throw new Error(`${message}; WEIR_REQUIRE_SERVICES=1 makes this a failure. Start the server (see .ci/run).`);
  console.log(`\n  skipped ${message}; start the server to run it`);
  return false;
}
