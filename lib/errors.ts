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

  constructor(code: ErrorCode, message: string, details: ErrorDetails = {}) {
    super(message, details.cause === undefined ? undefined : { cause: details.cause });
    Object.defineProperty(this, BRAND, { value: true });
    this.code = code;
    if (details.job !== undefined) this.job = details.job;
    if (details.operator !== undefined) this.operator = details.operator;
    if (details.subtask !== undefined) this.subtask = details.subtask;
  }
}

export interface ErrorDetails {
  cause?: unknown;
  job?: string;
  operator?: string;
  subtask?: string;
}

export type ErrorCode =
  | 'WEIR_E_OPTION'
  | 'WEIR_E_PARAMS'
  | 'WEIR_E_NOT_A_JOB'
  | 'WEIR_E_GRAPH'
  | 'WEIR_E_GRAPH_MISMATCH'
  | 'WEIR_E_USER_FUNCTION'
  | 'WEIR_E_NOT_CLONEABLE'
  | 'WEIR_E_WORKER_DIED'
  | 'WEIR_E_RUNTIME'
  | 'WEIR_E_UNKNOWN_OUTPUT'
  | 'WEIR_E_JOB_NOT_RUNNING';

/** Where a record was being processed when a user function failed. */
export interface SubtaskLocation {
  job: string;
  operator: string;
  subtaskIndex: number;
  parallelism: number;
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

const causeMessage = (cause: unknown): string => (cause instanceof Error ? cause.message : describeValue(cause));

/** The table of error factories. */
export const errors = {
  invalidOption: (option: string, value: unknown, allowed: string) =>
    new WeirError('WEIR_E_OPTION', `Invalid option "${option}": got ${describeValue(value)}; allowed: ${allowed}.`),

  unknownOption: (option: string, known: readonly string[]) =>
    new WeirError('WEIR_E_OPTION', `Unknown option "${option}"; allowed options are: ${known.join(', ')}.`),

  paramsNotJson: (path: string, reason: string) =>
    new WeirError(
      'WEIR_E_PARAMS',
      `Invalid option "params": ${path} ${reason}. params travel to every worker as JSON: use strings, numbers, booleans, null, arrays and plain objects.`,
    ),

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

  userFunction: (at: SubtaskLocation, record: unknown, cause: unknown, hasRecord: boolean) =>
    new WeirError(
      'WEIR_E_USER_FUNCTION',
      `Job "${at.job}" failed: operator "${at.operator}" (subtask ${at.subtaskIndex + 1}/${at.parallelism}) threw` +
        `${hasRecord ? ` on record ${truncateRecord(record)}` : ''}: ${causeMessage(cause)}`,
      { cause, job: at.job, operator: at.operator, subtask: `${at.subtaskIndex + 1}/${at.parallelism}` },
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
  workerDied: (job: string, worker: number, cause: unknown) =>
    new WeirError(
      'WEIR_E_WORKER_DIED',
      `Job "${job}" failed: worker thread ${worker} died (${causeMessage(cause)}). ` +
        'A worker dies when user code calls process.exit(), exceeds the worker memory limit, or crashes natively.',
      { cause, job },
    ),

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
} as const;
