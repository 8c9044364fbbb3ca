import { errors, WeirError } from '../errors.ts';
import { LogicalGraph } from '../graph/logical-graph.ts';
import { StreamEnvironment } from './environment.ts';

const JOB = Symbol.for('weir.job');

/** A job: its name and the function that builds its graph. The default export of a job module. */
export interface JobDefinition<P = unknown> {
  readonly [JOB]: true;
  readonly name: string;
  readonly build: (env: StreamEnvironment, params: P) => void;
}

/**
 * Defines a job. Make it the default export of a module: the coordinator and every worker thread
 * import that module and call `build` with the same JSON `params`, so `build` must be
 * deterministic (no `Math.random()`, clock, or thread-dependent choices in the graph's shape).
 *
 * @example
 * ```ts
 * // examples/doubling.ts
 * export default job('doubling', (env, params: { n: number }) => {
 *   env.from(sources.generate((i) => i, { count: params.n }))
 *     .map((i) => i * 2)
 *     .to(sinks.collect('doubled'));
 * });
 * ```
 */
export function job<P = undefined>(name: string, build: (env: StreamEnvironment, params: P) => void): JobDefinition<P> {
  if (typeof name !== 'string' || name.length === 0) throw errors.invalidGraph(String(name), 'job() needs a non-empty name.');
  if (typeof build !== 'function') throw errors.invalidGraph(name, 'job() needs a build function `(env, params) => { ... }`.');
  return Object.freeze({ [JOB]: true as const, name, build });
}

export function isJobDefinition(value: unknown): value is JobDefinition<unknown> {
  return typeof value === 'object' && value !== null && (value as { [JOB]?: unknown })[JOB] === true;
}

/** Runs a job's build function and returns the graph it described; a throwing build is WEIR_E_GRAPH. */
export function buildGraph(definition: JobDefinition<unknown>, params: unknown): LogicalGraph {
  const graph = new LogicalGraph(definition.name);
  try {
    definition.build(new StreamEnvironment(graph, definition.name), params);
  } catch (cause) {
    if (cause instanceof WeirError) throw cause;
    throw errors.buildThrew(definition.name, cause);
  }
  graph.validate();
  return graph;
}
