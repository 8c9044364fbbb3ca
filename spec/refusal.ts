/** For specs of malformed use: the error that building a job's graph throws. */
import * as assert from 'uvu/assert';
import { buildGraph, job } from '../lib/api/job.ts';
import { WeirError } from '../lib/errors.ts';

/** The WeirError building `define`'s graph throws; fails the spec if it builds. */
export function refusal(define: Parameters<typeof job>[1]): WeirError {
  try {
    buildGraph(job('misuse', define), undefined);
  } catch (error) {
    assert.instance(error, WeirError);
    return error as WeirError;
  }
  throw new assert.Assertion({ message: 'expected build() to be refused', operator: 'throws', actual: 'built', expects: 'an error' });
}
