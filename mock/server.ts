/** Starts Stoplight Prism serving openapi.yaml as a stateless mock (`npm run mock`, `bgr mock`). */
import { spawn, type ChildProcess } from 'node:child_process';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { specPath } from '@bgr/spec/contract';

const require = createRequire(import.meta.url);
const specFile = fileURLToPath(specPath);

export interface MockOptions {
  host?: string;
  port?: number;
  log?: (line: string) => void;
  startTimeoutMs?: number;
}
export interface RunningMock {
  url: string;
  process: ChildProcess;
  close(): Promise<void>;
}

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

const MOCK_USAGE = 'usage: bgr mock [--port 4010] [--host 127.0.0.1]\n';

/** `bgr mock [--port N] [--host H]`: serves the mock until interrupted. */
export async function mockCommand(args: string[]): Promise<number> {
  let values: { host?: string; port?: string; help?: boolean };
  try {
    ({ values } = parseArgs({
      args,
      options: { host: { type: 'string' }, port: { type: 'string' }, help: { type: 'boolean', short: 'h' } },
    }));
  } catch (e) {
    process.stderr.write(`bgr mock: ${(e as Error).message}\n${MOCK_USAGE}`);
    return 2;
  }
  if (values.help) {
    process.stdout.write(MOCK_USAGE);
    return 0;
  }
  const port = Number(values.port ?? process.env.PORT ?? 4010);
  if (!Number.isInteger(port) || port < 0 || port > 65535) {
    process.stderr.write(
      `bgr mock: --port must be a port number, got '${values.port ?? process.env.PORT}'\n${MOCK_USAGE}`,
    );
    return 2;
  }
  const mock = await startMock({
    host: values.host,
    port,
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
