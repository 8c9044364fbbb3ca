/**
 * weir: Flink's DataStream model on one machine's cores. Define a job in a module, run it with
 * `run()` or `weir run`.
 */
export { job, type JobDefinition } from './api/job.ts';
export { StreamEnvironment } from './api/environment.ts';
export { DataStream, DataStreamSink, KeyedStream } from './api/data-stream.ts';
export { sources, sinks } from './api/connectors-catalog.ts';
export type { Source, SourceReader, SourceContext, Sink } from './api/connectors.ts';
export type { JsonValue } from './api/json.ts';
export type { Operator, OperatorFactory, OperatorContext, Collector } from './actor/operator.ts';
export type { Aggregation } from '../actors/keyed-aggregate.ts';
export type { KeyedProcessContext, KeyedProcessFunction } from '../actors/keyed-process.ts';
export type { GenerateOptions } from '../actors/sources/generate-source.ts';
export type { KeyedValueState, ValueState } from './state/keyed-value-state.ts';
export type { Key } from './state/key-groups.ts';
export { run } from './runtime/run.ts';
export { Runtime, type RuntimeOptions, type JobOptions } from './runtime/runtime.ts';
export { JobHandle, type JobEvents, type JobResult } from './runtime/job-handle.ts';
export type { RunOptions } from './runtime/options.ts';
export type { JobMetrics, OperatorMetrics, ChannelMetrics, WorkerMetrics } from './runtime/metrics.ts';
export type { JobStatus } from './runtime/job-machine.ts';
export { WeirError, type ErrorCode } from './errors.ts';
