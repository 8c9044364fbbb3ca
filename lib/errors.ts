/** Marks weir's errors across copies of the package (see `WeirError[Symbol.hasInstance]`). */
const BRAND = Symbol.for('weir.WeirError');

/**
 * Every error weir raises comes from this table: a stable code (`WEIR_E_...`) users can match on,
 * and a message that names what went wrong, where, and what to do about it.
 *
 * @example
 * ```ts
 * try { await handle.done } catch (e) {
 *   if (e instanceof WeirError && e.code === 'WEIR_E_USER_FUNCTION') console.error(e.subtask, e.message);
 * }
 * ```
 */
export class WeirError extends Error {
  /**
   * `instanceof WeirError` holds for errors of any copy of weir loaded in the process. A TypeScript
   * job module run through tsx imports weir anew, so its errors come from a second copy of this class.
   */
  static override [Symbol.hasInstance](value: unknown): boolean {
    return typeof value === 'object' && value !== null && (value as { [BRAND]?: unknown })[BRAND] === true;
  }

  declare readonly [BRAND]: true;
  override readonly name = 'WeirError';
  /** Stable machine-readable code, e.g. `WEIR_E_OPTION`. */
  readonly code: ErrorCode;
  /** Where the error happened, when it happened inside a running job. */
  readonly job?: string;
  readonly operator?: string;
  /** `index/parallelism` of the failing subtask, e.g. `1/4`. */
  readonly subtask?: string;
  /** The record a user function failed on, where one is to blame (see `FailedRecord`). */
  readonly record?: FailedRecord;

  constructor(code: ErrorCode, message: string, details: ErrorDetails = {}) {
    super(message, details.cause === undefined ? undefined : { cause: details.cause });
    Object.defineProperty(this, BRAND, { value: true });
    this.code = code;
    if (details.job !== undefined) this.job = details.job;
    if (details.operator !== undefined) this.operator = details.operator;
    if (details.subtask !== undefined) this.subtask = details.subtask;
    if (details.record !== undefined) this.record = details.record;
  }
}

/**
 * The record a user function failed on. `value` is the record itself in the worker that failed; in
 * your process it is a copy, or its JSON text if it cannot cross threads. `stage` (the operator's
 * uid or place in the graph) and `id` (a digest of the value, set when the error leaves its worker)
 * are what the supervisor counts poison records by.
 */
export interface FailedRecord {
  readonly value: unknown;
  readonly stage: string;
  readonly id?: string;
}

export interface ErrorDetails {
  cause?: unknown;
  job?: string;
  operator?: string;
  subtask?: string;
  record?: FailedRecord;
}

/** Every code weir's errors carry; each names one kind of failure, and one kind only. */
export type ErrorCode =
  /** An option of `run()`, `Runtime`, `runtime.run` or a connector is missing, unknown or out of range. */
  | 'WEIR_E_OPTION'
  /** `params` cannot travel as JSON. */
  | 'WEIR_E_PARAMS'
  /** The module is missing, or its default export is not `job(...)`. */
  | 'WEIR_E_NOT_A_JOB'
  /** The job module exists but cannot be loaded: a syntax error, or a throw while it is imported. */
  | 'WEIR_E_MODULE'
  /** `build()` threw, or described a graph weir cannot run. */
  | 'WEIR_E_GRAPH'
  /** A worker built a different graph than the coordinator. */
  | 'WEIR_E_GRAPH_MISMATCH'
  /** A user function threw: an operator, a key selector, a source's reader. */
  | 'WEIR_E_USER_FUNCTION'
  /** An operator asked for state it cannot have (keyed state on a stream that is not keyed). */
  | 'WEIR_E_STATE'
  /** A record cannot be sent to another thread. */
  | 'WEIR_E_NOT_CLONEABLE'
  /** A message arrived on a channel but could not be read (Node's `messageerror`). */
  | 'WEIR_E_CHANNEL'
  /** A worker thread died under a running job. */
  | 'WEIR_E_WORKER_DIED'
  /** The runtime cannot take the job: closed, or too few free threads. */
  | 'WEIR_E_RUNTIME'
  /** `output(name)` of a collect sink the job does not have. */
  | 'WEIR_E_UNKNOWN_OUTPUT'
  /** An output read a second time: each output has one consumer. */
  | 'WEIR_E_OUTPUT_CONSUMED'
  /** A broken invariant inside weir: a bug to report, never the user's doing. */
  | 'WEIR_E_INTERNAL'
  /** A checkpoint was abandoned (timed out, a subtask finished or failed first), or cannot be restored into this job. */
  | 'WEIR_E_CHECKPOINT'
  /** The job failed and its restart strategy gave up: the error names the last failure and lists the earlier ones. */
  | 'WEIR_E_RESTARTS_EXHAUSTED'
  /** An actor stayed in one step longer than `actorTimeoutMs` (user code in an endless loop, say): its thread was terminated. */
  | 'WEIR_E_ACTOR_TIMEOUT'
  /** The same record failed the same operator on `poison.after` attempts in a row, and `poison.policy` is `fail`. */
  | 'WEIR_E_POISON_RECORD'
  /** A savepoint directory cannot be written, or read back: missing, truncated, corrupted, of another job or format version. */
  | 'WEIR_E_SAVEPOINT'
  /** A connector cannot reach its server (down, refusing, wrong address or credentials), or the server refused what it was sent. */
  | 'WEIR_E_CONNECTOR';

/** Where a record was being processed when a user function failed. */
export interface SubtaskLocation {
  job: string;
  operator: string;
  subtaskIndex: number;
  parallelism: number;
  /** What the operator was doing when no record is to blame, e.g. `reading`, `opening`. */
  while?: string;
  /** The operator's key in checkpoints (its uid, or its place in the graph): where a poison record is counted and skipped. */
  stage?: string;
}

/**
 * Wraps a failure of user code with where it happened, once: the innermost operator names itself,
 * and a record that could not leave for another thread (thrown while an operator emitted) stays
 * blamed on its sender, not on the operator whose record happened to fill the batch.
 */
export function userError(cause: unknown, at: SubtaskLocation, record?: { value: unknown }): WeirError {
  if (cause instanceof WeirError && (cause.code === 'WEIR_E_USER_FUNCTION' || cause.code === 'WEIR_E_NOT_CLONEABLE' || cause.code === 'WEIR_E_STATE')) return cause;
  const failed = record !== undefined && at.stage !== undefined ? { value: record.value, stage: at.stage } : undefined;
  return errors.userFunction(at, record?.value, cause, record !== undefined, failed);
}

const describeValue = (value: unknown): string => {
  if (typeof value === 'string') return JSON.stringify(value);
  if (typeof value === 'bigint') return `${value}n`;
  if (typeof value === 'function') return 'a function';
  return String(value);
};

/** Functions and symbols, which JSON would drop, shown by name: they are often what is wrong with a record. */
const showUnserializable = (v: unknown): unknown => {
  if (typeof v === 'function') return `[function ${v.name || '(anonymous)'}]`;
  if (typeof v === 'symbol') return `[${v.toString()}]`;
  return v;
};

/** A bounded, single-line copy of a record for error messages: records can be megabytes. */
export function truncateRecord(record: unknown, max = 200): string {
  let text: string;
  try {
    text = JSON.stringify(record, (_k, v: unknown) => (typeof v === 'bigint' ? `${v}n` : showUnserializable(v))) ?? String(record);
  } catch {
    text = String(record);
  }
  return text.length > max ? `${text.slice(0, max)}… (${text.length} chars)` : text;
}

/** A value as an option error shows it: numbers as JavaScript prints them (Infinity, NaN), objects as bounded JSON. */
const showOption = (value: unknown): string =>
  typeof value === 'object' && value !== null ? truncateRecord(value, 80) : typeof value === 'undefined' ? 'undefined' : describeValue(value);

/**
 * A cause as one line. A connection Node tried on several addresses (localhost: ::1 and 127.0.0.1)
 * fails with an AggregateError whose own message is empty: its errors' messages say it.
 */
export const causeMessage = (cause: unknown): string => {
  if (!(cause instanceof Error)) return describeValue(cause);
  if (cause.message === '' && cause instanceof AggregateError && cause.errors.length > 0) return cause.errors.map(causeMessage).join('; ');
  return cause.message || ((cause as NodeJS.ErrnoException).code ?? cause.name);
};

/** The table of error factories. */
export const errors = {
  checkpointAbandoned: (job: string, id: number, reason: string) =>
    new WeirError('WEIR_E_CHECKPOINT', `Job "${job}": checkpoint ${id} was abandoned: ${reason}.`, { job }),

  checkpointRefused: (job: string, status: string) =>
    new WeirError('WEIR_E_CHECKPOINT', `Job "${job}" is ${status}: no checkpoint is taken; checkpoints are taken while a job runs.`, { job }),

  checkpointMismatch: (job: string, problem: string) =>
    new WeirError('WEIR_E_CHECKPOINT', `Job "${job}" cannot be restored from this checkpoint: ${problem}.`, { job }),

  stopRefused: (job: string, status: string) =>
    new WeirError('WEIR_E_CHECKPOINT', `Job "${job}" is ${status}: it cannot be stopped with a final checkpoint; stop() applies to a running job.`, { job }),

  /** Nothing restorable at `path`: `problem` says what is missing. */
  savepointNotFound: (path: string, problem: string) =>
    new WeirError('WEIR_E_SAVEPOINT', `No savepoint at ${path}: ${problem}. Pass the directory that handle.stop({ savepoint }) or \`weir run --savepoint-on-stop\` wrote.`),

  /** The savepoint at `path` was written but is damaged: a file cut short, or bytes that do not match its checksum. */
  savepointDamaged: (path: string, problem: string) =>
    new WeirError(
      'WEIR_E_SAVEPOINT',
      `Savepoint ${path} is damaged: ${problem}. Nothing was restored; restore from an intact copy of it, or from another savepoint.`,
    ),

  /** An intact savepoint this run cannot take: of another job, or written in another format version. */
  savepointIncompatible: (path: string, problem: string, todo: string) =>
    new WeirError('WEIR_E_SAVEPOINT', `Savepoint ${path} cannot be restored here: ${problem}; ${todo}.`),

  /** Without `job`: the target was checked before any job ran (`weir run --savepoint-on-stop`). */
  savepointNotWritten: (job: string | undefined, path: string, problem: string) =>
    job === undefined
      ? new WeirError('WEIR_E_SAVEPOINT', `No savepoint can be written to ${path}: ${problem}.`)
      : new WeirError('WEIR_E_SAVEPOINT', `Job "${job}": no savepoint was written to ${path}: ${problem}. The job runs on.`, { job }),

  invalidOption: (option: string, value: unknown, allowed: string) =>
    new WeirError('WEIR_E_OPTION', `Invalid option "${option}": got ${describeValue(value)}; allowed: ${allowed}.`),

  unknownOption: (option: string, known: readonly string[]) =>
    new WeirError('WEIR_E_OPTION', `Unknown option "${option}"; allowed options are: ${known.join(', ')}.`),

  paramsNotJson: (path: string, reason: string) =>
    new WeirError(
      'WEIR_E_PARAMS',
      `Invalid option "params": ${path} ${reason}. params travel to every worker as JSON: use strings, numbers, booleans, null, arrays and plain objects.`,
    ),

  moduleFailed: (url: string, cause: unknown) =>
    new WeirError(
      'WEIR_E_MODULE',
      `Job module ${url} could not be loaded: ${causeMessage(cause)}. Fix the module (a syntax error, or code that throws while it is imported); weir imports it in your process and in every worker.`,
      { cause },
    ),

  paramsCycle: (path: string, target: string) =>
    new WeirError(
      'WEIR_E_PARAMS',
      `Invalid option "params": ${path} refers back to ${target} (a cycle), which JSON cannot hold. params travel to every worker as JSON: pass a tree of plain values.`,
    ),

  buildThrew: (job: string, cause: unknown) =>
    new WeirError('WEIR_E_GRAPH', `Job "${job}": build() threw: ${causeMessage(cause)}`, { cause, job }),

  jobModuleNotFound: (url: string, cause: unknown) =>
    new WeirError(
      'WEIR_E_NOT_A_JOB',
      `Job module not found: ${url}. Pass the path or URL of a module whose default export is job(...).`,
      { cause },
    ),

  notAJobModule: (url: string, found: string) =>
    new WeirError(
      'WEIR_E_NOT_A_JOB',
      `${url} is not a weir job module: its default export is ${found}. Write \`export default job('name', (env, params) => { ... })\`.`,
    ),

  invalidGraph: (job: string, reason: string) => new WeirError('WEIR_E_GRAPH', `Job "${job}": ${reason}`, { job }),

  graphMismatch: (job: string, worker: number, difference: string) =>
    new WeirError(
      'WEIR_E_GRAPH_MISMATCH',
      `Job "${job}" refused: worker ${worker} built a different graph than the coordinator (${difference}). ` +
        'Every worker imports the job module and builds the graph again, so build() must be deterministic: ' +
        'do not derive the graph from Math.random(), the clock, the thread or the environment; pass such values in `params`.',
      { job },
    ),

  userFunction: (at: SubtaskLocation, record: unknown, cause: unknown, hasRecord: boolean, failed?: FailedRecord) =>
    new WeirError(
      'WEIR_E_USER_FUNCTION',
      `Job "${at.job}" failed: operator "${at.operator}" (subtask ${at.subtaskIndex + 1}/${at.parallelism}) threw` +
        `${hasRecord ? ` on record ${truncateRecord(record)}` : at.while ? ` while ${at.while}` : ''}: ${causeMessage(cause)}`,
      { cause, job: at.job, operator: at.operator, subtask: `${at.subtaskIndex + 1}/${at.parallelism}`, ...(failed ? { record: failed } : {}) },
    ),

  /** `last` is the record's latest failure (a WEIR_E_USER_FUNCTION naming operator, subtask and record). */
  poisonRecord: (job: string, last: WeirError, attempts: number) =>
    new WeirError(
      'WEIR_E_POISON_RECORD',
      `Job "${job}" failed: record ${truncateRecord(last.record?.value)} failed operator "${last.operator}" (last on subtask ${last.subtask}) ` +
        `on ${attempts} attempts in a row, so it is treated as a poison record and the job is not restarted again. Last failure: ${causeMessage(last.cause ?? last).replace(/\.$/, '')}. ` +
        "Fix the operator (or the data), or run with poison: { policy: 'skip' } to send such records to the dead letters (handle.deadLetters()) and go on.",
      { cause: last, job, ...(last.operator === undefined ? {} : { operator: last.operator }), ...(last.subtask === undefined ? {} : { subtask: last.subtask }), ...(last.record ? { record: last.record } : {}) },
    ),

  notCloneable: (at: SubtaskLocation, target: string, record: unknown, cause: unknown) =>
    new WeirError(
      'WEIR_E_NOT_CLONEABLE',
      `Job "${at.job}" failed: operator "${at.operator}" (subtask ${at.subtaskIndex + 1}/${at.parallelism}) emitted a record that ` +
        `cannot be sent to ${target} on another thread: ${truncateRecord(record)}: ${causeMessage(cause)} ` +
        'Records that cross threads must be structured-cloneable data (objects, arrays, strings, numbers, booleans, null, ' +
        'undefined, bigint, Date, Map, Set, typed arrays): no functions or symbols. Emit the data, and rebuild behaviour downstream.',
      { cause, job: at.job, operator: at.operator, subtask: `${at.subtaskIndex + 1}/${at.parallelism}` },
    ),
  keyedStateNotKeyed: (at: SubtaskLocation, state: string) =>
    new WeirError(
      'WEIR_E_STATE',
      `Job "${at.job}": operator "${at.operator}" asked for keyed state "${state}", but its input is not keyed. ` +
        'Keyed state belongs to a key: apply the operator to a keyed stream (`stream.keyBy(fn).transform(...)`).',
      { job: at.job, operator: at.operator, subtask: `${at.subtaskIndex + 1}/${at.parallelism}` },
    ),

  /** `was` and `asked` describe the declarations, e.g. `list state`, `map state with a ttl of 1000 ms of processing time`. */
  stateKindClash: (at: SubtaskLocation, id: string, was: string, asked: string) =>
    new WeirError(
      'WEIR_E_STATE',
      `Job "${at.job}": operator "${at.operator}" declared state "${id.slice(id.indexOf('/') + 1)}" as ${asked}, but it is already ${was}; ` +
        'give each state one name and one declaration (the same kind and the same ttl wherever it is declared).',
      { job: at.job, operator: at.operator, subtask: `${at.subtaskIndex + 1}/${at.parallelism}` },
    ),

  badTimestamp: (at: SubtaskLocation, record: unknown, value: unknown) =>
    new WeirError(
      'WEIR_E_USER_FUNCTION',
      `Job "${at.job}" failed: the timestamp function of "${at.operator}" (subtask ${at.subtaskIndex + 1}/${at.parallelism}) returned ${describeValue(value)} ` +
        `for record ${truncateRecord(record)}; a timestamp is a finite number of milliseconds (e.g. Date.parse(record.time)).`,
      { job: at.job, operator: at.operator, subtask: `${at.subtaskIndex + 1}/${at.parallelism}` },
    ),

  restoredKindClash: (id: string, was: string, restored: string) =>
    new WeirError(
      'WEIR_E_STATE',
      `State "${id.slice(id.indexOf('/') + 1)}" is declared as ${was}, but the snapshot being restored holds it as ${restored}. ` +
        'A state keeps its kind across restarts: give a state of another kind a new name.',
    ),

  invalidStateOption: (declaration: string, option: string, value: unknown, allowed: string) =>
    new WeirError(
      'WEIR_E_OPTION',
      `${declaration}: invalid option "${option}": got ${describeValue(value)}; allowed: ${allowed}. ` +
        'For example: state.list<number>({ ttl: { ms: 60_000, time: \'processing\', update: \'onWrite\' } }).',
    ),

  unknownStateOption: (declaration: string, option: string, known: readonly string[]) =>
    new WeirError('WEIR_E_OPTION', `${declaration}: unknown option "${option}"; allowed options there are: ${known.join(', ')}.`),

  stateFunctionMissing: (declaration: string, needs: string, got: unknown) =>
    new WeirError('WEIR_E_STATE', `${declaration} needs ${needs}, got ${got === null ? 'null' : typeof got === 'object' ? 'an object' : describeValue(got)}.`),

  keyNotKeyed: (at: SubtaskLocation) =>
    new WeirError(
      'WEIR_E_STATE',
      `Job "${at.job}": operator "${at.operator}" asked for the key of a record, but its input is not keyed; use keyBy() first.`,
      { job: at.job, operator: at.operator, subtask: `${at.subtaskIndex + 1}/${at.parallelism}` },
    ),

  messageUnreadable: (job: string, channel: string, cause: unknown) =>
    new WeirError(
      'WEIR_E_CHANNEL',
      `Job "${job}" failed: a message on the channel from ${channel} could not be read (${causeMessage(cause)}). ` +
        'Node could send it but not unpack it; a record nested about 2,000 levels deep or more does this. ' +
        'Flatten such records (or send them as a JSON string) before they cross threads.',
      { cause, job },
    ),

  workerDied: (job: string, worker: number, cause: unknown) =>
    new WeirError(
      'WEIR_E_WORKER_DIED',
      `Job "${job}" failed: worker thread ${worker} died (${causeMessage(cause)}). ` +
        'A worker dies when user code calls process.exit(), exceeds the worker memory limit, or crashes natively.',
      { cause, job },
    ),

  restartsExhausted: (job: string, reason: string, failures: readonly Error[]) => {
    const last = failures.at(-1)!;
    const earlier = failures.slice(0, -1);
    const location = last instanceof WeirError && last.operator !== undefined ? { operator: last.operator, ...(last.subtask !== undefined ? { subtask: last.subtask } : {}) } : {};
    return new WeirError(
      'WEIR_E_RESTARTS_EXHAUSTED',
      `Job "${job}" failed and was not restarted again (${reason}). Last failure: ${causeMessage(last)}` +
        (earlier.length === 0 ? '' : `\nEarlier failures (${earlier.length}), oldest first:\n${earlier.map((e, i) => `  ${i + 1}. ${causeMessage(e)}`).join('\n')}`),
      { cause: last, job, ...location },
    );
  },

  actorTimedOut: (job: string, operator: string, subtask: string, forMs: number, timeoutMs: number) =>
    new WeirError(
      'WEIR_E_ACTOR_TIMEOUT',
      `Job "${job}": operator "${operator}" (subtask ${subtask}) stayed in one step for ${Math.round(forMs)} ms, longer than actorTimeoutMs (${timeoutMs} ms); ` +
        'its worker thread was terminated. User code that loops or blocks for ever does this; a step that is merely slow needs a larger actorTimeoutMs.',
      { job, operator, subtask },
    ),

  /**
   * `connector` names the connector and what it writes or reads (`postgres sink "totals"`), `address`
   * where it went (never a password), `doing` the step that failed (`connecting`, `committing checkpoint 4`).
   */
  connectorFailed: (connector: string, address: string, doing: string, cause: unknown, todo: string) =>
    new WeirError('WEIR_E_CONNECTOR', `${connector} at ${address}: ${doing} failed: ${causeMessage(cause).replace(/\.$/, '')}. ${todo}`, { cause }),

  internal: (what: string) =>
    new WeirError('WEIR_E_INTERNAL', `weir internal error: ${what}. This is a bug in weir, not in your job; please report it with the job that showed it.`),

  notEnoughThreads: (job: string, wanted: number, free: number, size: number) =>
    new WeirError(
      'WEIR_E_RUNTIME',
      `Job "${job}" needs ${wanted} worker thread${wanted === 1 ? '' : 's'}, but the runtime has ${free} of its ${size} free ` +
        '(each running job holds its workers until it ends). Wait for a job to end, ask for fewer `workers`, or create the runtime with more.',
      { job },
    ),

  runtimeClosed: () =>
    new WeirError('WEIR_E_RUNTIME', 'The runtime is closed: its threads are gone. Create a new Runtime to run more jobs.'),

  unknownOutput: (job: string, name: string, known: readonly string[]) =>
    new WeirError(
      'WEIR_E_UNKNOWN_OUTPUT',
      `Job "${job}" has no collect sink named "${name}"; its collect sinks are: ${known.length ? known.join(', ') : '(none)'}.`,
      { job },
    ),

  outputConsumed: (job: string, name: string, by: 'output()' | 'collected()') =>
    new WeirError(
      'WEIR_E_OUTPUT_CONSUMED',
      `Job "${job}": output "${name}" is already read with ${by}; an output has one consumer. Read it once and share the records.`,
      { job },
    ),

  /** A window assigner, trigger or lateness given a value out of range: `windows.tumbling: size must be > 0 ms, got 0`. */
  invalidWindowOption: (call: string, option: string, expected: string, value: unknown) =>
    new WeirError('WEIR_E_OPTION', `${call}: ${option} must be ${expected}, got ${showOption(value)}.`),

  unknownWindowOption: (call: string, option: string, known: readonly string[], hint = '') =>
    new WeirError('WEIR_E_OPTION', `${call}: unknown option "${option}"; allowed options are: ${known.join(', ')}.${hint ? ` ${hint}` : ''}`),

  /** A windowing that cannot run as described (a global window without a trigger, sessions without merge, …). */
  invalidWindowing: (call: string, problem: string) => new WeirError('WEIR_E_GRAPH', `${call}: ${problem}`),

  extraArguments: (extra: readonly string[]) =>
    new WeirError(
      'WEIR_E_OPTION',
      `weir run takes one job module, but got more arguments: ${extra.map((a) => JSON.stringify(a)).join(' ')}. Pass job parameters as --param key=value.`,
    ),

  /** `write` is `put`, `remove` or `clear`. */
  broadcastStateReadOnly: (at: SubtaskLocation, state: string, write: string) =>
    new WeirError(
      'WEIR_E_STATE',
      `Job "${at.job}": operator "${at.operator}" called ${write}() on broadcast state "${state}" in processElement, where it is read-only: ` +
        'a change there would make the copies of the subtasks differ. Change broadcast state in processBroadcastElement, which every subtask runs alike.',
      { job: at.job, operator: at.operator, subtask: `${at.subtaskIndex + 1}/${at.parallelism}` },
    ),

  broadcastStateUndeclared: (at: SubtaskLocation, state: string, declared: readonly string[]) =>
    new WeirError(
      'WEIR_E_STATE',
      `Job "${at.job}": operator "${at.operator}" asked for broadcast state "${state}", but its broadcast stream names ${declared.length ? declared.map((d) => `"${d}"`).join(', ') : 'none'}; ` +
        'pass every descriptor the function uses to broadcast(...descriptors).',
      { job: at.job, operator: at.operator, subtask: `${at.subtaskIndex + 1}/${at.parallelism}` },
    ),
} as const;
