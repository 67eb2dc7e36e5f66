/** Extracts, type-checks and runs the `ts` snippets of client/README.md, so the docs are executed, not trusted. */
import { spawn } from 'node:child_process';
import { mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';

const ROOT = fileURLToPath(new URL('../', import.meta.url));
// Under the repository's `.cache/` (ignored) so that `import … from '@bgr/client'` resolves through the workspace
// package's own `exports`, as it will for users (here to its sources, through the `bgr-source` condition).
const DIR = `${ROOT}.cache/client-readme-${process.pid}`;

/** The bodies of the README's ```ts fences, in order. */
export async function readmeSnippets(): Promise<string[]> {
  const markdown = await readFile(new URL('./README.md', import.meta.url), 'utf8');
  return [...markdown.matchAll(/^```ts\n([\s\S]*?)^```$/gm)].map((m) => m[1] ?? '');
}

export interface ProcessRun {
  code: number | null;
  output: string;
}

/** Writes the snippets to files and returns their paths. */
export async function writeSnippets(sources: string[]): Promise<string[]> {
  await mkdir(DIR, { recursive: true });
  return Promise.all(
    sources.map(async (source, index) => {
      const file = `${DIR}/snippet-${index}.ts`;
      await writeFile(file, source);
      return file;
    }),
  );
}

/** Type-checks the written snippets with the repository's strict tsconfig. */
export async function typecheckSnippets(): Promise<ProcessRun> {
  await writeFile(`${DIR}/tsconfig.json`, JSON.stringify({ extends: '../../tsconfig.json', include: ['*.ts'] }));
  return run(
    [fileURLToPath(import.meta.resolve('typescript/bin/tsc')), '--noEmit', '-p', `${DIR}/tsconfig.json`],
    ROOT,
    {},
  );
}

/** Runs one written snippet with tsx in `cwd` (where it finds `photo.png`). */
export function runSnippet(file: string, cwd: string, env: Record<string, string>): Promise<ProcessRun> {
  // tsx by URL: the scratch cwd is where a bare `--import tsx` would not resolve.
  return run(['--import', import.meta.resolve('tsx'), file], cwd, env);
}

export function removeSnippets(): Promise<void> {
  return rm(DIR, { recursive: true, force: true });
}

function run(args: string[], cwd: string, env: Record<string, string>): Promise<ProcessRun> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, args, {
      cwd,
      env: { ...process.env, ...env, NODE_OPTIONS: '--conditions=bgr-source' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.once('error', reject);
    child.once('exit', (code) => resolve({ code, output }));
  });
}
