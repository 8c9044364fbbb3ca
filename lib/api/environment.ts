import type { LogicalGraph } from '../graph/logical-graph.ts';
import type { Source } from '../operator/source.ts';
import { DataStream } from './data-stream.ts';
import { errors } from '../errors.ts';

/**
 * What a job's build function receives: the entry point of every pipeline.
 *
 * @example
 * ```ts
 * export default job('numbers', (env) => {
 *   env.from(sources.fromArray([1, 2, 3])).map((n) => n * 2).to(sinks.collect('doubled'));
 * });
 * ```
 */
export class StreamEnvironment {
  constructor(
    private readonly graph: LogicalGraph,
    /** The job's name. */
    readonly jobName: string,
  ) {}

  /** Starts a pipeline at a source. */
  from<T>(source: Source<T>): DataStream<T> {
    const ingress = source.ingress?.name;
    if (ingress !== undefined && this.graph.nodes.some((n) => n.source?.ingress?.name === ingress)) {
      throw errors.invalidGraph(this.jobName, `two sources read the input "${ingress}"; give each sources.input() its own name.`);
    }
    const node = this.graph.add({
      kind: 'source',
      type: source.name,
      inputs: [],
      describe: source.describe,
      functions: source.functions ?? [],
      source: source as Source<unknown>,
      // One ordered log, one reader (see `sources.input`).
      ...(ingress !== undefined ? { parallelism: 1 } : {}),
    });
    return new DataStream<T>(this.graph, node);
  }
}
