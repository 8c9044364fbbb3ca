import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { run } from 'weir';
const S = suite('probe');
S('runs', async () => {
  console.log('url', import.meta.url, process.execArgv, typeof require !== 'undefined' ? require.resolve('weir') : 'esm');
  try {
  const h = await run(new URL('./fixtures/keyed-sum.ts', import.meta.url), { parallelism: 2, workers: 2, params: { records: 100, keys: 5 } });
  console.log('started');
  h.on('failed', (e) => console.log('failed', e));
  const out = await h.collected('sums');
  console.log('collected');
  assert.is(out.length, 100);
  } catch (e) { console.log('ERR', e); throw e; }
});
S.run();
