#!/usr/bin/env node
import { parseArgs } from 'node:util';
import { main } from '../lib/cli/main.ts';

// A reader that goes away (`weir run … | head`) ends the output, not the process with a stack trace.
process.stdout.on('error', (error: NodeJS.ErrnoException) => {
  if (error.code !== 'EPIPE') throw error;
});

let parsed;
try {
  parsed = parseArgs({
    allowPositionals: true,
    options: {
      parallelism: { type: 'string', short: 'p' },
      workers: { type: 'string', short: 'w' },
      param: { type: 'string', multiple: true },
      'batch-size': { type: 'string' },
      'mailbox-capacity': { type: 'string' },
      'buffer-timeout-ms': { type: 'string' },
      'no-chaining': { type: 'boolean' },
      'savepoint-on-stop': { type: 'string' },
      from: { type: 'string' },
      'allow-non-restored-state': { type: 'boolean' },
      quiet: { type: 'boolean', short: 'q' },
      help: { type: 'boolean', short: 'h' },
    },
  });
} catch (error) {
  // Node's own text for an unknown flag goes on about positionals; name the flag and stop.
  const message = (error as Error).message;
  const unknown = /^Unknown option '([^']+)'/.exec(message);
  process.stderr.write(`weir: ${unknown ? `Unknown option '${unknown[1]}'` : message.replace(/\.$/, '')}. See weir --help.\n`);
  process.exit(2);
}

process.exitCode = await main(parsed.positionals, parsed.values);
