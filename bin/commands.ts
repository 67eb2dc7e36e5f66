/** The table of `bgr` subcommands: one per package role; each role's module is imported only when its command runs. */
export type Command = (args: string[]) => Promise<number>;

export const commands: Record<string, { summary: string; load: () => Promise<Command> }> = {
  serve: {
    summary: 'run the reference API server (bgr serve --help for options)',
    load: async () => (await import('../reference-impl/src/process/serve.ts')).serveCommand,
  },
  mock: {
    summary: 'serve the contract with the Prism mock',
    load: async () => (await import('../mock/server.ts')).mockCommand,
  },
  check: {
    summary: 'run the conformance suite against a deployment',
    load: async () => (await import('../conformance/src/cli.ts')).checkCommand,
  },
  verify: {
    summary: 'verify an attestation written by bgr check --attestation',
    load: async () => (await import('../conformance/src/verify.ts')).verifyCommand,
  },
  docs: {
    summary: 'build the docs site into docs/site/',
    load: async () => (await import('../docs/build.ts')).docsCommand,
  },
  bench: {
    summary: 'benchmarks: engine, v1 over HTTP, v2 load (bgr bench --help)',
    load: async () => (await import('../reference-impl/bench/index.ts')).benchCommand,
  },
};
