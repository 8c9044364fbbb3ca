import { job, sinks, sources } from 'weir';

/** What the broker bench runs: a broker source into `discard`, or numbers into a broker sink. */
export interface BrokerBenchParams {
  case: 'redis-source' | 'jetstream-source' | 'redis-sink' | 'jetstream-sink';
  redis: string;
  nats: string;
  /** The stream read or written (Redis key, or JetStream stream name). */
  stream: string;
  /** JetStream: the subjects read, or the subject written. */
  subjects: string[];
  count: number;
  parallelism: number;
}

export default job('broker-bench', (env, p: BrokerBenchParams) => {
  if (p.case === 'redis-source') env.from(sources.redisStream({ url: p.redis, stream: p.stream, group: 'bench', stopAtEnd: true, batch: 512 })).parallelism(p.parallelism).to(sinks.discard());
  else if (p.case === 'jetstream-source')
    env.from(sources.jetstream({ url: p.nats, stream: p.stream, subjects: p.subjects, durable: 'bench', stopAtEnd: true, batch: 512 })).parallelism(p.parallelism).to(sinks.discard());
  else {
    const numbers = env.from(sources.generate((i) => ({ n: i, k: `k${i % 64}` }), { count: p.count })).parallelism(p.parallelism);
    if (p.case === 'redis-sink') numbers.to(sinks.redis<{ n: number; k: string }>({ url: p.redis, mode: 'stream', stream: p.stream }));
    else numbers.to(sinks.jetstream<{ n: number; k: string }>({ url: p.nats, subject: p.subjects[0]! }));
  }
});
