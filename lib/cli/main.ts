import { run } from '../runtime/run.ts';
import type { RunOptions } from '../runtime/options.ts';
import type { StopResult } from '../runtime/job-handle.ts';
import { checkSavepointTarget } from '../checkpoint/savepoint-format.ts';
import { errors, WeirError } from '../errors.ts';
import { formatCount, progressLine, sourceRecords, summary } from './progress.ts';

const USAGE = `Usage: weir run <job-module.ts|.js> [options]

Runs a weir job module (its default export is job(...)) on worker threads.

Options:
  -p, --parallelism N        default parallelism of operators (default: workers)
  -w, --workers N            worker threads (default: available cores)
      --param key=value      a job parameter; the value is parsed as JSON when it can be (repeatable)
      --batch-size N         records per batch between threads (default 4096)
      --mailbox-capacity N   batches in flight per channel between threads (default 16)
      --buffer-timeout-ms N  flush partly filled batches after N ms (default 10)
      --no-chaining          one actor per operator: no fusing, every edge a channel
      --savepoint-on-stop DIR
                             Ctrl-C stops the job with a savepoint written to DIR (a new or empty
                             directory) and exits 0; a second Ctrl-C cancels
      --from DIR             resume from the savepoint in DIR
      --allow-non-restored-state
                             with --from: drop the state of operators this job no longer has
  -q, --quiet                no progress line
  -h, --help                 this text`;

export interface CliFlags {
  parallelism?: string;
  workers?: string;
  param?: string[];
  'batch-size'?: string;
  'mailbox-capacity'?: string;
  'buffer-timeout-ms'?: string;
  'no-chaining'?: boolean;
  'savepoint-on-stop'?: string;
  from?: string;
  'allow-non-restored-state'?: boolean;
  quiet?: boolean;
  help?: boolean;
}

/** A flag's number, or the raw text (so that option validation reports what the user typed). */
const numberOrText = (text: string): number | string => (text.trim() !== '' && !Number.isNaN(Number(text)) ? Number(text) : text);

function parseParams(pairs: readonly string[]): Record<string, unknown> {
  const params: Record<string, unknown> = {};
  for (const pair of pairs) {
    const eq = pair.indexOf('=');
    if (eq <= 0) throw new WeirError('WEIR_E_OPTION', `--param "${pair}": write --param key=value, e.g. --param trades=1000000`);
    const raw = pair.slice(eq + 1);
    let value: unknown = raw;
    try {
      value = JSON.parse(raw);
    } catch {
      // not JSON: keep the text
    }
    params[pair.slice(0, eq)] = value;
  }
  return params;
}

/** `weir run`: runs a job with a live progress line and prints a summary; returns the exit code. */
export async function main(args: readonly string[], flags: CliFlags): Promise<number> {
  const [command, module, ...extra] = args;
  if (flags.help || command !== 'run' || !module) {
    (flags.help ? process.stdout : process.stderr).write(`${USAGE}\n`);
    return flags.help ? 0 : 2;
  }
  if (extra.length > 0) {
    process.stderr.write(`weir: ${errors.extraArguments(extra).message}\n`);
    return 2;
  }
  const options: RunOptions = {};
  try {
    if (flags.parallelism !== undefined) options.parallelism = numberOrText(flags.parallelism) as number;
    if (flags.workers !== undefined) options.workers = numberOrText(flags.workers) as number;
    if (flags['batch-size'] !== undefined) options.batchSize = numberOrText(flags['batch-size']) as number;
    if (flags['mailbox-capacity'] !== undefined) options.mailboxCapacity = numberOrText(flags['mailbox-capacity']) as number;
    if (flags['buffer-timeout-ms'] !== undefined) options.bufferTimeoutMs = numberOrText(flags['buffer-timeout-ms']) as number;
    if (flags['no-chaining']) options.chaining = false;
    if (flags.param?.length) options.params = parseParams(flags.param);
    if (flags.from !== undefined) options.restoreFrom = flags.from;
    if (flags['allow-non-restored-state']) options.allowNonRestoredState = true;
    const savepoint = flags['savepoint-on-stop'];
    // A directory that cannot take the savepoint is refused before the job runs, not at Ctrl-C.
    if (savepoint !== undefined) await checkSavepointTarget(undefined, savepoint);
    return await runWithProgress(module, options, !flags.quiet, savepoint);
  } catch (error) {
    process.stderr.write(`weir: ${error instanceof Error ? error.message : String(error)}\n`);
    return 1;
  }
}

async function runWithProgress(module: string, options: RunOptions, live: boolean, savepoint: string | undefined): Promise<number> {
  const cpuAtStart = process.cpuUsage();
  const handle = await run(module, options);
  const tty = process.stdout.isTTY === true;
  let previous = { at: 0, records: 0 };
  let lastPrinted = 0;
  const tick = async () => {
    const m = await handle.metrics();
    if (m.status !== 'running') return;
    const records = sourceRecords(m);
    const rate = ((records - previous.records) * 1000) / Math.max(m.elapsedMs - previous.at, 1);
    previous = { at: m.elapsedMs, records };
    // Cut to the terminal's width: a line that wraps cannot be redrawn in place with \r.
    if (tty) process.stdout.write(`\r\x1b[K${fit(progressLine(m, rate), process.stdout.columns)}`);
    else if (m.elapsedMs - lastPrinted >= 2000) {
      lastPrinted = m.elapsedMs;
      process.stdout.write(`${progressLine(m, rate)}\n`);
    }
  };
  const timer = live ? setInterval(() => void tick().catch(() => {}), 250) : undefined;
  // Ctrl-C cancels; with --savepoint-on-stop the first one stops with a savepoint (a second one, or a failed stop, cancels).
  let stopping: Promise<StopResult | Error> | undefined;
  const stop = () => {
    if (savepoint === undefined || stopping) return void handle.cancel();
    stopping = handle.stop({ savepoint }).catch((error: Error) => {
      void handle.cancel();
      return error;
    });
  };
  process.on('SIGINT', stop);
  // Said only once the handler is in place: a Ctrl-C that follows the line never meets Node's default (exit at once).
  if (savepoint !== undefined) process.stdout.write(`${handle.name} running; Ctrl-C stops it with a savepoint in ${savepoint}\n`);
  // Collect sinks must be consumed, or the job waits for credit; keep a count and the last rows.
  const outputs = handle.outputNames.map((name) => drain(handle.output(name)).then((seen) => [name, seen] as const));
  try {
    const result = await handle.done;
    const seen = await Promise.all(outputs);
    if (tty && live) process.stdout.write('\r\x1b[K');
    const cpu = process.cpuUsage(cpuAtStart);
    process.stdout.write(`${summary(result.metrics, (cpu.user + cpu.system) * 1000)}\n`);
    for (const [name, { count, last }] of seen) {
      process.stdout.write(`  output "${name}": ${formatCount(count)} records${count ? `; last ${last.length === 1 ? 'one' : last.length}:` : ''}\n`);
      for (const record of last) process.stdout.write(`    ${fit(JSON.stringify(record) ?? String(record), 200)}\n`);
    }
    const stopped = await stopping;
    if (stopped instanceof Error) throw stopped;
    if (stopped?.savepoint) {
      const { path, checkpointId } = stopped.savepoint;
      process.stdout.write(`savepoint (checkpoint ${checkpointId}) written to ${path}\n  resume with: weir run ${module} --from ${path}\n`);
    }
    return result.status === 'cancelled' ? 130 : 0;
  } catch (error) {
    if (tty && live) process.stdout.write('\r\x1b[K');
    throw error;
  } finally {
    if (timer) clearInterval(timer);
    process.off('SIGINT', stop);
  }
}

/** `line` cut to `width` characters (an ellipsis marks the cut); as it is without a width. */
function fit(line: string, width: number | undefined): string {
  return width !== undefined && width > 1 && line.length >= width ? `${line.slice(0, width - 2)}…` : line;
}

async function drain(records: AsyncIterable<unknown>): Promise<{ count: number; last: unknown[] }> {
  let count = 0;
  const last: unknown[] = [];
  try {
    for await (const record of records) {
      count++;
      last.push(record);
      if (last.length > 3) last.shift();
    }
  } catch {
    // the job's failure is reported through handle.done
  }
  return { count, last };
}
