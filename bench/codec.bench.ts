/**
 * Micro benchmark of the batch codec against structured-cloning the plain record array.
 *
 * @example
 * ```sh
 * node --import tsx bench/codec.bench.ts
 * ```
 * @module
 */
import { BatchDecoder, BatchEncoder } from '../lib/codec/batch-codec.ts';
import type { Encoded, EncodedBatch } from '../lib/codec/batch-codec.ts';

const BATCH = 4096;
const WARMUP_BATCHES = 200;
const MIN_MS = 2500;
const ROUNDS = 5;

/** Deterministic PRNG so that runs are comparable. */
function rng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

interface Bid {
  auction: number;
  bidder: number;
  price: number;
  ts: number;
}
interface Trade {
  symbol: string;
  price: number;
  volume: number;
  ts: number;
}

function bids(n: number, seed: number): Bid[] {
  const r = rng(seed);
  const t0 = 1_700_000_000_000;
  return Array.from({ length: n }, (_, i) => ({
    auction: 1000 + Math.floor(r() * 10_000),
    bidder: Math.floor(r() * 100_000),
    price: Math.round(r() * 1e6) / 100 + 0.01,
    ts: t0 + i,
  }));
}

const SYMBOLS = Array.from({ length: 300 }, (_, i) => `S${i.toString(36).toUpperCase()}X`);
function trades(n: number, seed: number): Trade[] {
  const r = rng(seed);
  const t0 = 1_700_000_000_000;
  return Array.from({ length: n }, (_, i) => ({
    symbol: SYMBOLS[Math.floor(r() * SYMBOLS.length)],
    price: Math.round(r() * 1e5) / 100 + 0.01,
    volume: 1 + Math.floor(r() * 5000),
    ts: t0 + i,
  }));
}

/**
 * CPU time of this process (all its threads, so GC helpers count) in ns per record.
 * CPU time rather than wall time: the machine may be shared, and a descheduled
 * process should not look slow. The median of ROUNDS rounds smooths GC placement.
 */
function measure<T>(inputs: readonly T[], fn: (x: T) => unknown): number {
  let sink: unknown;
  for (let i = 0; i < WARMUP_BATCHES; i++) sink = fn(inputs[i % inputs.length]);
  const rounds: number[] = [];
  let n = 0;
  for (let r = 0; r < ROUNDS; r++) {
    let batches = 0;
    const cpu0 = process.cpuUsage();
    const start = performance.now();
    while (performance.now() - start < MIN_MS / ROUNDS) {
      for (let k = 0; k < 10; k++) sink = fn(inputs[n++ % inputs.length]);
      batches += 10;
    }
    const cpu = process.cpuUsage(cpu0);
    rounds.push(((cpu.user + cpu.system) * 1e3) / (batches * BATCH));
  }
  if (sink === Symbol.for('never')) console.log(sink);
  return median(rounds);
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[s.length >> 1];
}

function run<T>(name: string, make: (n: number, seed: number) => T[]): void {
  const sets = Array.from({ length: 8 }, (_, s) => make(BATCH, s + 1));
  const enc = new BatchEncoder();
  const dec = new BatchDecoder();

  const encodeNs = measure(sets, (rs) => enc.encode(rs));

  // Decoding needs fresh batches only for the string table; a steady-state encoder no
  // longer sends strings, so decoding the same (already-synced) batches is representative.
  const encoded: Encoded[] = sets.map((rs) => enc.encode(rs));
  for (const e of encoded) dec.decode(e.batch);
  const decodeNs = measure(encoded, (e) => dec.decode(e.batch));

  // Transferring detaches the buffer, so each post needs its own encoded batch: encode
  // outside the timed region, from a pool refilled whenever it runs dry.
  const pool: Encoded[] = [];
  const postNs = measureFresh(() => {
    if (pool.length === 0) for (const rs of sets) pool.push(enc.encode(rs));
    return pool.pop()!;
  }, (e) => structuredClone(e.batch, { transfer: e.transfer }));

  const roundNs = measure(sets, (rs) => {
    const e = enc.encode(rs);
    return dec.decode(structuredClone(e.batch, { transfer: e.transfer }) as EncodedBatch);
  });

  const cloneNs = measure(sets, (rs) => structuredClone(rs));

  const f = (x: number) => x.toFixed(1).padStart(7);
  console.log(`\n${name} (${BATCH} records/batch), ns per record:`);
  console.log(`  encode                       ${f(encodeNs)}`);
  console.log(`  decode                       ${f(decodeNs)}`);
  console.log(`  encode + decode              ${f(encodeNs + decodeNs)}`);
  console.log(`  structuredClone(encoded)     ${f(postNs)}`);
  console.log(`  encode + clone + decode      ${f(roundNs)}  (measured as one loop)`);
  console.log(`  structuredClone(records)     ${f(cloneNs)}`);
  console.log(`  speed-up vs plain clone      ${(cloneNs / roundNs).toFixed(1).padStart(7)}x`);
}

/** Like measure, but each call's input is produced, untimed, by `next` (wall time: short calls). */
function measureFresh<T>(next: () => T, fn: (x: T) => unknown): number {
  for (let i = 0; i < WARMUP_BATCHES; i++) fn(next());
  const rounds: number[] = [];
  for (let r = 0; r < ROUNDS; r++) {
    let batches = 0;
    let total = 0;
    while (total < MIN_MS / ROUNDS) {
      const x = next();
      const t = performance.now();
      fn(x);
      total += performance.now() - t;
      batches++;
    }
    rounds.push((total * 1e6) / (batches * BATCH));
  }
  return median(rounds);
}

run('bid {auction, bidder, price, ts}', bids);
run('trade {symbol (300 distinct), price, volume, ts}', trades);
