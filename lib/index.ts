/**
 * weir: Flink's DataStream model on one machine's cores. Define a job in a module, run it with
 * `run()` or `weir run`.
 */
export { job, type JobDefinition } from './api/job.ts';
export { StreamEnvironment } from './api/environment.ts';
export { Stream, DataStream, PartitionedStream, SideOutputStream, DataStreamSink, KeyedStream, type WatermarkOptions } from './api/data-stream.ts';
export { ConnectedStreams, KeyedConnectedStreams } from './api/connected-streams.ts';
export { WindowedStream, AllWindowedStream, type WindowAggregation } from './api/windowed-stream.ts';
export { windows, type WindowAssigner, type WindowOf, type TumblingOptions, type SlidingOptions, type SessionOptions } from './window/assigners.ts';
export { triggers, type Trigger, type TriggerContext, type TriggerResult } from './window/triggers.ts';
export { maxTimestamp, type Window, type TimeWindow, type CountWindow, type GlobalWindow } from './window/windows.ts';
export type { Duration, DurationParts } from './window/duration.ts';
export type { WindowInfo } from '../actors/window-functions.ts';
export { OutputTag } from './operator/output-tag.ts';
export type { TimerService, TimeDomain } from './operator/timers.ts';
export { boundedOutOfOrder, type WatermarkGenerator } from './operator/watermarks.ts';
export { sources, sinks } from './api/connectors-catalog.ts';
export type { Source, SourceReader, SourceContext } from './operator/source.ts';
export type { Sink } from './operator/sink.ts';
export type { JsonValue } from './util/json.ts';
export type {
  Operator,
  OperatorFactory,
  OperatorContext,
  KeyedOperator,
  KeyedOperatorFactory,
  KeyedOperatorContext,
  TwoInputOperator,
  TwoInputOperatorFactory,
  Collector,
} from './operator/operator.ts';
export type { Aggregation } from '../actors/keyed-aggregate.ts';
export type { KeyedProcessContext, KeyedTimerContext, KeyedProcessFunction, KeyedProcessDefinition } from '../actors/keyed-process.ts';
export type { GenerateOptions } from '../actors/sources/generate-source.ts';
export type { CsvOptions, CsvSchemaOptions, CsvParseOptions, CsvSchema, CsvColumnType, CsvRow } from '../actors/sources/csv-source.ts';
export type { JsonLinesOptions } from '../actors/sources/json-lines-source.ts';
export type { FileSourceOptions, MalformedPolicy, MalformedLine } from '../actors/sources/line-source.ts';
export type { InputOptions } from '../actors/sources/input-source.ts';
export type { FromReadableOptions, StreamSubtask } from '../actors/sources/readable-source.ts';
export type { ToWritableOptions } from '../actors/sinks/writable-sink.ts';
export type { JobInput } from './runtime/ingress.ts';
export type { RedisStreamSourceOptions, RedisStreamEntry } from '../actors/sources/redis-stream-source.ts';
export type { RedisSinkOptions, RedisHashSinkOptions, RedisStreamSinkOptions } from '../actors/sinks/redis-sink.ts';
export type { JetStreamSourceOptions, JetStreamMessage } from '../actors/sources/jetstream-source.ts';
export type { JetStreamSinkOptions } from '../actors/sinks/jetstream-sink.ts';
export {
  state,
  type StateDescriptor,
  type StateDeclarations,
  type StateHandles,
  type StateOptions,
  type Ttl,
  type AggregateFunctions,
} from './state/state-descriptors.ts';
export type { ValueState, ListState, MapState, ReducingState, AggregatingState } from './state/state-handles.ts';
export type { Key } from './state/key-groups.ts';
export { run } from './runtime/run.ts';
export { Runtime, type RuntimeOptions, type JobOptions } from './runtime/runtime.ts';
export { JobHandle, type JobEvents, type JobResult, type StopResult } from './runtime/job-handle.ts';
export type { RunOptions } from './runtime/options.ts';
export type { JobMetrics, OperatorMetrics, ChannelMetrics, WorkerMetrics } from './runtime/job-metrics.ts';
export type { JobStatus } from './runtime/job-machine.ts';
export { ManualClock, systemClock, type Clock, type Timer } from './util/clock.ts';
export { WeirError, type ErrorCode } from './errors.ts';
export { BroadcastStream, BroadcastConnectedStreams, KeyedBroadcastConnectedStreams } from './api/broadcast-stream.ts';
export { BroadcastStateDescriptor, type ReadOnlyBroadcastState } from './state/broadcast-state-descriptor.ts';
export type { OperatorStateStore } from './state/operator-state-store.ts';
export type { KeyedCoProcessDefinition, CoProcessDefinition, CoProcessContext } from '../actors/keyed-co-process.ts';
export type {
  KeyedBroadcastProcessDefinition,
  BroadcastProcessDefinition,
  KeyedBroadcastElementContext,
  KeyedBroadcastTimerContext,
  KeyedBroadcastRuleContext,
  BroadcastElementContext,
  BroadcastRuleContext,
  ReadsBroadcastState,
} from '../actors/broadcast-process.ts';
export { JoinedStreams, JoinWhere, JoinKeyed, WindowedJoin, CoGroupedStreams, CoGroupWhere, CoGroupKeyed, WindowedCoGroup, IntervalJoin, IntervalJoined, type IntervalJoinOptions } from './api/joins.ts';
export type { DistinctOptions, SetOperationOptions } from './api/set-operations.ts';
export type { JoinFunction, JoinInfo, CoGroupFunction } from '../actors/window-join.ts';
export type { IntervalJoinFunction, IntervalJoinContext } from '../actors/interval-join.ts';
export type { TimeWindowAssigner } from '../actors/two-sided-window.ts';
export type { CompletedCheckpoint, CheckpointSummary, OperatorCheckpoint, SubtaskState, StageSnapshot, SplitCounterState } from './checkpoint/checkpoint.ts';
export type { SavepointInfo, SavepointMetadata } from './checkpoint/savepoint-format.ts';
export type { Delivery } from './operator/sink.ts';
export type { SqlTableOptions, SqlColumnType, SqlField } from '../actors/sinks/sql-table.ts';
export type { SqliteSinkOptions } from '../actors/sinks/sqlite-sink.ts';
export type { PostgresSinkOptions } from '../actors/sinks/postgres-sink.ts';
export { TransactionLog, collectTransactions, type TwoPhaseCommit, type PreparedTransaction } from './operator/two-phase-commit.ts';
export { twoPhaseSink, type TwoPhaseWriter, type TwoPhaseSinkContext, type TwoPhaseSinkDefinition } from './operator/two-phase-sink.ts';
export type { JsonLinesSinkOptions } from '../actors/sinks/json-lines-sink.ts';
export type { CsvSinkOptions } from '../actors/sinks/csv-sink.ts';
export type { PartFileOptions } from '../actors/sinks/part-files.ts';
export { restarts, type RestartStrategy, type NoRestart, type FixedDelay, type ExponentialBackoff, type FailureRate } from './supervision/restart-strategy.ts';
export type { RestartingEvent, RecoveredEvent } from './supervision/job-supervisor.ts';
export type { DeadLetter, PoisonOptions, PoisonPolicy } from './supervision/poison-records.ts';
export type { FailedRecord } from './errors.ts';
