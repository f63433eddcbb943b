#!/usr/bin/env node
// The `xfc` command: runs the compiled CLI (built into dist/ by `npm install` / `npm run build`).
import { main } from '../dist/cli/main.js';

process.exitCode = await main(process.argv.slice(2));
