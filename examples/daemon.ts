import { Runtime, type JobHandle } from 'weir';

/**
 * Runs word-count inside a long-lived process and returns the final count per word. The process
 * keeps one Runtime for all its jobs: the worker threads start once, and every job after the first
 * starts in milliseconds on code V8 has already compiled. `await runtime.close()` at shutdown.
 */
export async function countWords(runtime: Runtime, lines: string[]): Promise<Map<string, number>> {
  const handle: JobHandle = await runtime.run(new URL('./word-count.ts', import.meta.url), {
    parallelism: 2,
    params: { lines },
  });
  handle.on('failed', (error) => console.error(`word-count failed: ${error.message}`));

  const counts = new Map<string, number>();
  for await (const { word, count } of handle.output<{ word: string; count: number }>('counts')) {
    counts.set(word, count);
  }
  await handle.done;
  return counts;
}
