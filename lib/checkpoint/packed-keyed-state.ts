import { BatchDecoder, BatchEncoder, type EncodedBatch } from '../codec/batch-codec.ts';
import type { SnapshotKey } from '../state/keyed-state-snapshot.ts';
import { setState, type KeyedStateColumns, type StateColumns } from '../state/keyed-state-columns.ts';

/**
 * Keyed state as a serialized stage carries it: each state's key and entry columns run through the
 * batch codec (the one that moves records between threads). V8's serializer walks a million
 * `[key, { count, sum }]` pairs at about a microsecond each, and its deserializer at more; the codec
 * writes entries of one shape as typed columns, tens of nanoseconds each, and what fits no shape
 * rides along as it is (copied by the serializer with the rest). Measured on 500k keys of the bid
 * totals' shape: 20-50 ms to encode and serialize against 770-1700 ms for the pairs, 120-250 ms to
 * deserialize and decode against 900-2200 ms (on a busy machine).
 */
export type PackedStateColumns = Omit<StateColumns, 'keys' | 'entries'> & { readonly keys: EncodedBatch; readonly entries: EncodedBatch };

export type PackedKeyedState = Record<string, PackedStateColumns>;

/** Packs `columns` (read only: the batches refer to values that fit no shape, so serialize them before the state changes). */
export function packKeyed(columns: KeyedStateColumns): PackedKeyedState {
  const out: PackedKeyedState = {};
  // Fresh encoders: each column decodes on its own (an encoder's string table spans its batches).
  for (const [name, c] of Object.entries(columns)) setState(out, name, { ...c, keys: new BatchEncoder().encode(c.keys).batch, entries: new BatchEncoder().encode(c.entries).batch });
  return out;
}

/** The columns `packKeyed` packed. */
export function unpackKeyed(packed: PackedKeyedState): KeyedStateColumns {
  const out: KeyedStateColumns = {};
  for (const [name, p] of Object.entries(packed)) setState<StateColumns>(out, name, { ...p, keys: new BatchDecoder().decode(p.keys) as SnapshotKey[], entries: new BatchDecoder().decode(p.entries) });
  return out;
}
