#!/usr/bin/env node
import { runCli } from './cli.ts'
import { processIo } from './io.ts'

// exitCode rather than process.exit(): stdout is flushed and the token cache's writes finish first.
process.exitCode = await runCli(process.argv.slice(2), processIo())
