/**
 * Errors across threads, by one path. A worker's error reaches the coordinator as plain data
 * (structured cloning keeps an Error's message but drops weir's fields), through comlink's 'throw'
 * transfer handler for a failed control call, and through the same two functions for a host's
 * outcome. Code, job, operator, subtask and the chain of causes survive the trip.
 */
import type { TransferHandler } from 'comlink';
import { comlink } from '../util/packages.ts';
import { truncateRecord, WeirError, type ErrorCode, type FailedRecord } from '../errors.ts';
import { recordIdentity } from '../util/record-identity.ts';

/** An error as plain data. */
export interface SerializedError {
  name: string;
  message: string;
  stack?: string;
  code?: string;
  job?: string;
  operator?: string;
  subtask?: string;
  /** The record a user function failed on: a copy, or its JSON text if it cannot be cloned; its digest set (see record-identity.ts). */
  record?: Required<FailedRecord>;
  cause?: SerializedError;
}

export function serializeError(error: unknown): SerializedError {
  if (!(error instanceof Error)) return { name: 'Error', message: String(error) };
  const e = error as Error & Partial<Pick<WeirError, 'code' | 'job' | 'operator' | 'subtask' | 'record'>>;
  return {
    name: e.name,
    message: e.message,
    ...(e.stack === undefined ? {} : { stack: e.stack }),
    // Only weir's string codes: other errors have codes of their own kinds (a DOMException's is a number).
    ...(typeof e.code === 'string' ? { code: e.code } : {}),
    ...(e.job === undefined ? {} : { job: e.job }),
    ...(e.operator === undefined ? {} : { operator: e.operator }),
    ...(e.subtask === undefined ? {} : { subtask: e.subtask }),
    ...(e.record === undefined ? {} : { record: travelling(e.record) }),
    ...(e.cause === undefined ? {} : { cause: serializeError(e.cause) }),
  };
}

/**
 * A failed record ready to leave its thread: its digest is taken here, on the value the operator was
 * given (a copy in another thread may differ: a class instance loses its prototype), and a record
 * that cannot be cloned travels as its text, so that the error itself always arrives.
 */
function travelling(record: FailedRecord): Required<FailedRecord> {
  const id = record.id ?? recordIdentity(record.value);
  let value: unknown;
  try {
    value = structuredClone(record.value);
  } catch {
    value = truncateRecord(record.value, 10_000);
  }
  return { value, stage: record.stage, id };
}

export function deserializeError(data: SerializedError): Error {
  const cause = data.cause ? deserializeError(data.cause) : undefined;
  let error: Error;
  if (data.code?.startsWith('WEIR_E_')) {
    error = new WeirError(data.code as ErrorCode, data.message, {
      ...(cause === undefined ? {} : { cause }),
      ...(data.job === undefined ? {} : { job: data.job }),
      ...(data.operator === undefined ? {} : { operator: data.operator }),
      ...(data.subtask === undefined ? {} : { subtask: data.subtask }),
      ...(data.record === undefined ? {} : { record: data.record }),
    });
  } else {
    error = new Error(data.message, cause === undefined ? undefined : { cause });
    error.name = data.name;
  }
  if (data.stack !== undefined) error.stack = data.stack;
  return error;
}

type ThrowHandler = TransferHandler<{ value: unknown }, SerializedError>;

/**
 * Makes comlink carry thrown errors through `serializeError`/`deserializeError` in this thread.
 * Every thread that makes or answers control calls (the coordinator's and each worker's) installs
 * it once; comlink's own handler would keep only message and stack.
 */
export function installErrorWire(): void {
  const handlers = comlink.transferHandlers as Map<string, TransferHandler<unknown, unknown>>;
  const current = handlers.get('throw') as (ThrowHandler & { weir?: true }) | undefined;
  if (current?.weir) return;
  const handler: ThrowHandler & { weir: true } = {
    weir: true,
    canHandle: current!.canHandle,
    serialize: ({ value }) => [serializeError(value), []],
    deserialize: (data) => {
      throw deserializeError(data);
    },
  };
  handlers.set('throw', handler as TransferHandler<unknown, unknown>);
}
