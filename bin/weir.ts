#!/usr/bin/env node
import { parseArgs } from 'node:util';
import { main } from '../lib/cli/main.ts';

const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: {
    parallelism: { type: 'string', short: 'p' },
    workers: { type: 'string', short: 'w' },
    param: { type: 'string', multiple: true },
    'batch-size': { type: 'string' },
    'mailbox-capacity': { type: 'string' },
    'buffer-timeout-ms': { type: 'string' },
    quiet: { type: 'boolean', short: 'q' },
    help: { type: 'boolean', short: 'h' },
  },
});

process.exitCode = await main(positionals, values);
