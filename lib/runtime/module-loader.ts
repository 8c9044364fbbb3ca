import { isJobDefinition, type JobDefinition } from '../api/job.ts';
import { errors } from '../errors.ts';

const TYPESCRIPT = /\.[cm]?tsx?$/;
let typescriptHooks: Promise<void> | undefined;

/**
 * Lets this thread import TypeScript job modules. Module hooks are per thread, so the
 * coordinator and every worker register them. Registering again under `node --import tsx` is harmless.
 */
function enableTypeScript(): Promise<void> {
  typescriptHooks ??= import('tsx/esm/api').then(({ register }) => {
    register();
  });
  return typescriptHooks;
}

/** Imports a job module (JavaScript or TypeScript) and returns its default export, checked. */
export async function importJobModule(url: string): Promise<JobDefinition<unknown>> {
  if (TYPESCRIPT.test(new URL(url).pathname)) await enableTypeScript();
  const module = (await import(url)) as { default?: unknown };
  const definition = module.default;
  if (!isJobDefinition(definition)) {
    const found = definition === undefined ? 'missing' : typeof definition === 'function' ? 'a function' : `a ${typeof definition}`;
    throw errors.notAJobModule(url, found);
  }
  return definition;
}
