/**
 * The whole-number command-line option `--name` of a script (`bench`, `chaos`): its value, or
 * `fallback` when absent; anything else ends the process with a message that says what is allowed.
 */
export function wholeArg(script: string, name: string, value: string | undefined, fallback: number, min: number): number {
  const n = Number(value ?? fallback);
  if (!Number.isSafeInteger(n) || n < min) {
    console.error(`${script}: --${name} must be a whole number ≥ ${min}, got ${JSON.stringify(value)}`);
    process.exit(2);
  }
  return n;
}
