/**
 * Window assigners put every record in the windows their definition says, at boundaries and for
 * negative timestamps too, and refuse bad sizes with errors that name the call and the value.
 */
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import fc from 'fast-check';
import { WeirError } from '../lib/errors.ts';
import { assignWindows, sessionGap, windows } from '../lib/window/assigners.ts';
import { toMillis } from '../lib/window/duration.ts';
import { GLOBAL_WINDOW, maxTimestamp, windowId, windowOfId, type Window } from '../lib/window/windows.ts';

const Tumbling = suite('windows.tumbling');

Tumbling('a record at a window start, and one at its last millisecond, are in that window; the next millisecond is in the next', () => {
  const hourly = windows.tumbling({ hours: 1 });
  assert.equal(assignWindows(hourly, null, 3_600_000), [{ start: 3_600_000, end: 7_200_000 }]);
  assert.equal(assignWindows(hourly, null, 7_199_999), [{ start: 3_600_000, end: 7_200_000 }]);
  assert.equal(assignWindows(hourly, null, 7_200_000), [{ start: 7_200_000, end: 10_800_000 }]);
});

Tumbling('negative timestamps fall in windows that start below them, not above (floor, not truncation)', () => {
  const tens = windows.tumbling(10);
  assert.equal(assignWindows(tens, null, -1), [{ start: -10, end: 0 }]);
  assert.equal(assignWindows(tens, null, -10), [{ start: -10, end: 0 }]);
  assert.equal(assignWindows(tens, null, -11), [{ start: -20, end: -10 }]);
  assert.equal(assignWindows(tens, null, 0), [{ start: 0, end: 10 }]);
});

Tumbling('an offset shifts the starts, and a negative or oversized offset means the same as its remainder', () => {
  const days = windows.tumbling({ size: { days: 1 }, offset: { hours: -8 } });
  assert.is(days.offset, 16 * 3_600_000);
  assert.equal(assignWindows(days, null, 0), [{ start: -8 * 3_600_000, end: 16 * 3_600_000 }]);
  assert.equal(windows.tumbling({ size: 10, offset: 23 }).describe, windows.tumbling({ size: 10, offset: 3 }).describe);
});

Tumbling('the size may be given alone (ms or parts) or as { size }: all say the same, and the fingerprint sees no difference', () => {
  const forms = [windows.tumbling({ hours: 1 }), windows.tumbling(3_600_000), windows.tumbling({ size: { minutes: 60 } }), windows.tumbling({ size: 3_600_000, time: 'event' })];
  for (const form of forms) assert.equal(form.describe, { kind: 'tumbling', size: 3_600_000, offset: 0, time: 'event' });
  assert.is(windows.tumbling({ size: 5, time: 'processing' }).time, 'processing');
  assert.not.ok(forms[0]!.merging);
});

Tumbling('property: every timestamp is in exactly one window, of the size, aligned to the offset', () => {
  fc.assert(
    fc.property(fc.integer({ min: 1, max: 1000 }), fc.integer({ min: -5000, max: 5000 }), fc.integer({ min: -100_000, max: 100_000 }), (size, offset, t) => {
      const [w, ...rest] = assignWindows(windows.tumbling({ size, offset }), null, t);
      assert.equal(rest, []);
      assert.ok(w!.start <= t && t < w!.end && w!.end - w!.start === size, `expected [start, end) of ${size} around ${t}, got ${windowId(w!)}`);
      assert.is((((w!.start - offset) % size) + size) % size, 0, 'expected the start aligned to the offset');
    }),
    { numRuns: 500 },
  );
});

const Sliding = suite('windows.sliding');

/** Every window start offset + k·slide near t, kept when it holds t: the definition, enumerated. */
function slidingReference(size: number, slide: number, offset: number, t: number): Window[] {
  const out: Window[] = [];
  for (let k = Math.floor((t - offset - size) / slide) - 1; offset + k * slide <= t; k++) {
    const start = offset + k * slide;
    if (start <= t && t < start + size) out.push({ start, end: start + size });
  }
  return out;
}

Sliding('a record is in size/slide windows, earliest first', () => {
  assert.equal(assignWindows(windows.sliding({ size: 10, slide: 5 }), null, 12), [
    { start: 5, end: 15 },
    { start: 10, end: 20 },
  ]);
  assert.equal(assignWindows(windows.sliding({ size: 10, slide: 5 }), null, -1), [
    { start: -10, end: 0 },
    { start: -5, end: 5 },
  ]);
});

Sliding('a slide larger than the size leaves gaps: records there are in no window', () => {
  const gappy = windows.sliding({ size: 2, slide: 5 });
  assert.equal(assignWindows(gappy, null, 6), [{ start: 5, end: 7 }]);
  assert.equal(assignWindows(gappy, null, 7), []);
  assert.equal(assignWindows(gappy, null, 9), []);
});

Sliding('property: the windows are exactly those of the definition, whatever size, slide, offset and sign of t', () => {
  fc.assert(
    fc.property(fc.integer({ min: 1, max: 60 }), fc.integer({ min: 1, max: 60 }), fc.integer({ min: -100, max: 100 }), fc.integer({ min: -1000, max: 1000 }), (size, slide, offset, t) => {
      const normalized = (((offset % slide) + slide) % slide);
      assert.equal(assignWindows(windows.sliding({ size, slide, offset }), null, t), slidingReference(size, slide, normalized, t));
    }),
    { numRuns: 1000 },
  );
});

const Others = suite('windows.session, global, count');

Others('a session window is [t, t + gap), with one gap or the record\'s own; sessions merge and say so', () => {
  const fixed = windows.session({ minutes: 1 });
  assert.equal(assignWindows(fixed, null, -5), [{ start: -5, end: 59_995 }]);
  assert.ok(fixed.merging);
  assert.equal(fixed.describe, { kind: 'session', gap: 60_000, time: 'event' });
  assert.equal(windows.session({ gap: 60_000 }).describe, fixed.describe);
  const own = windows.session({ gapOf: (r: { gap: number }) => r.gap, time: 'processing' });
  assert.equal(assignWindows(own, { gap: 7 }, 100), [{ start: 100, end: 107 }]);
  assert.equal(own.describe, { kind: 'session', gap: 'per-record', time: 'processing' });
});

Others('a per-record gap that is not a whole number of ms above zero is a RangeError naming gapOf', () => {
  const own = windows.session({ gapOf: (r: number) => r });
  for (const bad of [0, -3, 1.5, NaN, Infinity]) assert.throws(() => sessionGap(own, bad), (e: unknown) => e instanceof RangeError && /gapOf must return a whole number of ms > 0/.test(e.message));
});

Others('the global window holds everything, and its last millisecond is +Infinity; its id survives JSON', () => {
  assert.equal(assignWindows(windows.global(), null, -1e15), [GLOBAL_WINDOW]);
  assert.is(maxTimestamp(GLOBAL_WINDOW), Infinity);
  const id = JSON.parse(JSON.stringify(windowId(GLOBAL_WINDOW))) as string;
  assert.equal(windowOfId(id), { start: -Infinity, end: Infinity });
  assert.equal(windowOfId(windowId({ start: -20, end: -10 })), { start: -20, end: -10 });
});

Others('count windows number a key\'s records: tumbling [0, n), [n, 2n); sliding windows end every slide records', () => {
  const three = windows.countTumbling(3);
  assert.equal([0, 2, 3, 5, 6].map((i) => assignWindows(three, null, i)), [[{ start: 0, end: 3 }], [{ start: 0, end: 3 }], [{ start: 3, end: 6 }], [{ start: 3, end: 6 }], [{ start: 6, end: 9 }]]);
  assert.equal(assignWindows(windows.countSliding(3, 1), null, 0), [
    { start: 0, end: 1 },
    { start: 0, end: 2 },
    { start: 0, end: 3 },
  ]);
  assert.equal(assignWindows(windows.countSliding(2, 3), null, 0), [], 'expected the record before the last 2 of 3 in no window');
});

Others('property: count window k holds the records numbered [k·slide − size, k·slide) (clipped at 0)', () => {
  fc.assert(
    fc.property(fc.integer({ min: 1, max: 20 }), fc.integer({ min: 1, max: 20 }), fc.nat(200), (size, slide, n) => {
      const expected: Window[] = [];
      for (let k = 1; k * slide - size <= n; k++) if (k * slide > n) expected.push({ start: Math.max(0, k * slide - size), end: k * slide });
      assert.equal(assignWindows(windows.countSliding(size, slide), null, n), expected);
    }),
    { numRuns: 500 },
  );
});

Others('fractions of a millisecond are floored before assignment', () => {
  assert.equal(assignWindows(windows.tumbling(10), null, 9.99), [{ start: 0, end: 10 }]);
  assert.equal(assignWindows(windows.session(5), null, 1.5), [{ start: 1, end: 6 }]);
});

const Validation = suite('window assigners: validation');

const refusals: [string, () => unknown, string][] = [
  ['zero size', () => windows.tumbling(0), 'windows.tumbling: size must be > 0 ms, got 0.'],
  ['zero size as parts', () => windows.tumbling({ hours: 0 }), 'windows.tumbling: size must be > 0 ms, got 0.'],
  ['negative size', () => windows.tumbling({ size: -5 }), 'windows.tumbling: size must be > 0 ms, got -5.'],
  ['infinite size', () => windows.tumbling(Infinity), 'windows.tumbling: size must be a finite number of ms (or { ms, seconds, minutes, hours, days }), got Infinity.'],
  ['NaN part', () => windows.tumbling({ minutes: NaN }), 'windows.tumbling: size.minutes must be a finite number, got NaN.'],
  ['fractional ms', () => windows.tumbling(1.5), 'windows.tumbling: size must be a whole number of ms, got 1.5.'],
  ['parts beside options', () => windows.tumbling({ hours: 1, offset: 5 } as never), 'windows.tumbling: unknown option "hours"'],
  ['a unit that is not one', () => windows.tumbling({ weeks: 1 } as never), 'windows.tumbling: size must be a number of ms or { ms, seconds, minutes, hours, days }, got {"weeks":1}.'],
  ['a unit beside units', () => windows.tumbling({ hours: 1, weeks: 1 } as never), 'windows.tumbling: unknown option "size.weeks"'],
  ['a string size', () => windows.tumbling('1h' as never), 'windows.tumbling: size must be a number of ms or { ms, seconds, minutes, hours, days }, got "1h".'],
  ['bad time domain', () => windows.tumbling({ size: 5, time: 'wall' as never }), "windows.tumbling: time must be 'event' or 'processing', got \"wall\"."],
  ['zero slide', () => windows.sliding({ size: 10, slide: 0 }), 'windows.sliding: slide must be > 0 ms, got 0.'],
  ['negative sliding size', () => windows.sliding({ size: -1, slide: 1 }), 'windows.sliding: size must be > 0 ms, got -1.'],
  ['sliding without options', () => windows.sliding(undefined as never), 'windows.sliding: its argument must be an options object'],
  ['zero gap', () => windows.session(0), 'windows.session: gap must be > 0 ms, got 0.'],
  ['negative gap option', () => windows.session({ gap: { seconds: -1 } }), 'windows.session: gap must be > 0 ms, got -1000.'],
  ['gapOf not a function', () => windows.session({ gapOf: 5 as never }), 'windows.session: gapOf must be a function (record) => ms, got 5.'],
  ['count 0', () => windows.countTumbling(0), 'windows.countTumbling: size must be a whole number ≥ 1, got 0.'],
  ['fractional count', () => windows.countSliding(3, 0.5), 'windows.countSliding: slide must be a whole number ≥ 1, got 0.5.'],
  ['negative count', () => windows.countSliding(-1, 1), 'windows.countSliding: size must be a whole number ≥ 1, got -1.'],
];

for (const [what, call, message] of refusals) {
  Validation(`refuses ${what} with WEIR_E_OPTION: "${message}"`, () => {
    try {
      call();
      assert.unreachable('expected a refusal');
    } catch (e) {
      assert.ok(e instanceof WeirError, `expected a WeirError, got ${String(e)}`);
      assert.is((e as WeirError).code, 'WEIR_E_OPTION');
      assert.ok((e as WeirError).message.startsWith(message), `expected "${message}", got "${(e as WeirError).message}"`);
    }
  });
}

Validation('a slide above the size is accepted (gaps), and parts add up', () => {
  assert.is(windows.sliding({ size: 1, slide: 100 }).slide, 100);
  assert.is(toMillis({ minutes: 1, seconds: 30, ms: 5 }, 'x', 'y'), 90_005);
  assert.is(toMillis({ days: 1, hours: -8 }, 'x', 'y'), 16 * 3_600_000);
});

Tumbling.run();
Sliding.run();
Others.run();
Validation.run();
