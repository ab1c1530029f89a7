#!/usr/bin/env node
// The `pcr` command: the register's server and operator tools.
// TypeScript sources run through tsx, so the installed package needs no build step.
import { register } from 'tsx/esm/api';

register();
const { main } = await import('../src/cli/main.ts');
process.exitCode = await main(process.argv.slice(2));
