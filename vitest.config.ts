import type { TestProjectInlineConfiguration, UserConfig } from 'vitest/config'
import { defineConfig } from 'vitest/config'
import sample from './apps/sample/vitest.config.ts'
import axios from './packages/axios/vitest.config.ts'
import cli from './packages/cli/vitest.config.ts'
import cloudflare from './packages/cloudflare/vitest.config.ts'
import core from './packages/core/vitest.config.ts'
import fetch from './packages/fetch/vitest.config.ts'
import got from './packages/got/vitest.config.ts'
import ky from './packages/ky/vitest.config.ts'
import otel from './packages/otel/vitest.config.ts'
import redis from './packages/redis/vitest.config.ts'
import testkit from './packages/testkit/vitest.config.ts'
import undici from './packages/undici/vitest.config.ts'
import reliability from './tests/reliability/vitest.config.ts'
import runtimes from './tests/runtimes/vitest.config.ts'

// Every package's tests, so that `pnpm exec vitest run <file>` works from the root: each package's own
// vitest.config.ts (a line over vitest.shared.ts) names its runs, here prefixed with the package, e.g.
// `got:floors`. The suites themselves run package by package through turbo (`pnpm test`, README "Develop").
// The node22 and workerd runs need Node 22, so they are here only when vitest runs on it.
const packages: Record<string, UserConfig> = {
  core,
  testkit,
  fetch,
  axios,
  got,
  ky,
  undici,
  otel,
  redis,
  cli,
  cloudflare,
  sample,
  reliability,
  runtimes,
}
const node22 = Number(process.versions.node.split('.')[0]) >= 22

const projects: TestProjectInlineConfiguration[] = []
for (const [name, config] of Object.entries(packages)) {
  for (const project of (config.test?.projects ?? []) as TestProjectInlineConfiguration[]) {
    const run = project.test?.name
    if ((run === 'node22' || run === 'workerd') && !node22) continue
    projects.push({
      ...project,
      test: { ...project.test, name: run === 'default' ? name : `${name}:${run}` },
    })
  }
}

export default defineConfig({ test: { projects } })
