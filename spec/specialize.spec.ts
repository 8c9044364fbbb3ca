import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { specialize } from '../lib/util/specialize.ts';

const Specialize = suite('specialize');

// Defined in this file, which tsx compiles with esbuild's keepNames: the copies see `__name(...)`.
const adder =
  (base: number, log: number[]) =>
  (x: number): number => {
    const add = function named(y: number) {
      return y + base;
    };
    log.push(x);
    return add(x);
  };

Specialize('a copy behaves as the factory’s own function, with the arguments it was given', () => {
  const log: number[] = [];
  const plusTen = specialize(adder, 10, log);
  const plusOne = specialize(adder, 1, log);
  assert.is(plusTen(5), 15);
  assert.is(plusOne(5), 6);
  assert.equal(log, [5, 5], 'expected both copies to write to the array they were given');
});

Specialize('every call compiles a function of its own, from the factory’s text', () => {
  const a = specialize(adder, 1, []);
  const b = specialize(adder, 1, []);
  assert.is.not(a, b, 'expected two distinct functions');
  assert.is.not(a, adder(1, []), 'expected a copy, not the factory’s own result');
  assert.is(a.toString(), adder(1, []).toString(), 'expected the same code');
});

Specialize('every copy is compiled from a text of its own, so that V8 cannot hand back one it compiled before', () => {
  // V8 caches what `new Function` compiles by its text, type feedback included: copies compiled
  // from one text would share their feedback, which is what copies exist to avoid.
  const texts: string[] = [];
  const RealFunction = globalThis.Function;
  globalThis.Function = new Proxy(RealFunction, {
    construct(target, args: string[]) {
      texts.push(args.at(-1)!);
      return Reflect.construct(target, args) as object;
    },
  });
  try {
    for (let i = 0; i < 3; i++) specialize(adder, 1, []);
  } finally {
    globalThis.Function = RealFunction;
  }
  assert.is(texts.length, 3, 'expected one compilation per copy');
  assert.is(new Set(texts).size, 3, 'expected three different texts');
  assert.ok(texts.every((text) => text.includes('sourceURL=weir:adder/')), 'expected the copies named after their factory');
});

let outside = 0;
Specialize('a factory that reaches outside its parameters fails loudly, not silently', () => {
  const leaky = () => () => ++outside;
  const copy = specialize(leaky);
  assert.throws(() => copy(), /outside is not defined/, 'expected a ReferenceError naming the variable');
});

Specialize.run();
