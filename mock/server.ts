/** Starts Stoplight Prism serving openapi.yaml as a stateless mock (`npm run mock`, `bgr mock`). */
import { spawn, type ChildProcess } from 'node:child_process';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { specPath } from '@bgr/spec/contract';

const require = createRequire(import.meta.url);
const specFile = fileURLToPath(specPath);

export interface MockOptions { host?: string; port?: number; log?: (line: string) => void; startTimeoutMs?: number }
export interface RunningMock { url: string; process: ChildProcess; close(): Promise<void> }

function prismBin(): string {
  const pkgPath = require.resolve('@stoplight/prism-cli/package.json');
  const { bin } = require(pkgPath) as { bin: Record<string, string> };
  return join(dirname(pkgPath), bin.prism!);
}

/** Spawns Prism as a child process (its programmatic API lives in deep dist/ imports) and waits until it listens. */
export function startMock(options: MockOptions = {}): Promise<RunningMock> {
  const host = options.host ?? '127.0.0.1';
  const port = options.port ?? 4010;
  const child = spawn(process.execPath, [prismBin(), 'mock', specFile, '-h', host, '-p', String(port)], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const url = `http://${host}:${port}`;
  const close = () =>
    new Promise<void>((resolve) => {
      if (child.exitCode !== null) return resolve();
      child.once('exit', () => resolve());
      child.kill('SIGTERM');
    });
  return new Promise((resolve, reject) => {
    let output = '';
    const timer = setTimeout(() => {
      void close();
      reject(new Error(`Prism did not start within ${options.startTimeoutMs ?? 30_000} ms:\n${output}`));
    }, options.startTimeoutMs ?? 30_000);
    const onData = (chunk: Buffer) => {
      const text = chunk.toString();
      output += text;
      for (const line of text.split('\n')) if (line.trim()) options.log?.(line);
      if (output.includes('Prism is listening')) {
        clearTimeout(timer);
        resolve({ url, process: child, close });
      }
    };
    child.stdout.on('data', onData);
    child.stderr.on('data', onData);
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`Prism exited with code ${code} before listening:\n${output}`));
    });
  });
}

/** `bgr mock [--port N] [--host H]`: serves the mock until interrupted. */
export async function mockCommand(args: string[]): Promise<number> {
  const flag = (name: string) => {
    const i = args.indexOf(name);
    return i >= 0 ? args[i + 1] : undefined;
  };
  const mock = await startMock({
    host: flag('--host'),
    port: Number(flag('--port') ?? process.env.PORT ?? 4010),
    log: (line) => process.stdout.write(`${line}\n`),
  });
  process.stdout.write(`mock of openapi.yaml on ${mock.url} (any x-api-key; no state, no real images)\n`);
  await new Promise<void>((resolve) => {
    process.once('SIGINT', resolve);
    process.once('SIGTERM', resolve);
  });
  await mock.close();
  return 0;
}
