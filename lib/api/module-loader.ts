import { fileURLToPath } from 'node:url';
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
  let module: { default?: unknown };
  try {
    module = (await import(url)) as { default?: unknown };
  } catch (error) {
    // Only the job module itself missing; a missing import inside it keeps Node's own message.
    const missing =
      (error as { code?: string }).code === 'ERR_MODULE_NOT_FOUND' &&
      url.startsWith('file:') &&
      String((error as Error).message).includes(`'${fileURLToPath(url)}'`);
    // Anything else is the module's own doing: a syntax error (esbuild's TransformError under tsx),
    // or a throw while it is imported.
    throw missing ? errors.jobModuleNotFound(url, error) : errors.moduleFailed(url, error);
  }
  const definition = module.default;
  if (!isJobDefinition(definition)) {
    const found = definition === undefined ? 'missing' : typeof definition === 'function' ? 'a function' : `a ${typeof definition}`;
    throw errors.notAJobModule(url, found);
  }
  return definition;
}
