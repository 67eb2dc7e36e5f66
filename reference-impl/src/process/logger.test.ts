/** Log format: pino-pretty when stdout is a terminal, JSON lines otherwise — chosen by a function, and seen on real `bgr serve` processes with and without a pty. */
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { chooseLogFormat, type LogFormat } from './logger.ts';

const root = fileURLToPath(new URL('../../../', import.meta.url));

describe('chooseLogFormat', () => {
  it.each([
    ['auto', true, 'pretty'],
    ['auto', false, 'json'],
    ['json', true, 'json'],
    ['pretty', false, 'pretty'],
  ] as [LogFormat, boolean, string][])('%s with a TTY=%s → %s', (format, tty, expected) => {
    expect(chooseLogFormat(format, tty)).toBe(expected);
  });
});

/** Runs `bgr serve` in dev mode until its "Server listening" log line, then stops it; returns its stdout. */
async function serveOutput(viaPty: boolean): Promise<string> {
  const env: Record<string, string | undefined> = {
    ...process.env,
    BGR_API_KEYS: '',
    BGR_REDIS_URL: '',
    BGR_LOG_FORMAT: '',
    BGR_WEBHOOK_SECRET: '',
  };
  const cmd = `${process.execPath} bin/bgr.mjs serve --port 0`;
  // `script` gives the child a pseudo-terminal as stdout, as an operator's shell would.
  const child = viaPty
    ? spawn('script', ['-qfc', cmd, '/dev/null'], { cwd: root, env, detached: true, stdio: ['ignore', 'pipe', 'pipe'] })
    : spawn(process.execPath, ['bin/bgr.mjs', 'serve', '--port', '0'], {
        cwd: root,
        env,
        detached: true,
        stdio: ['ignore', 'pipe', 'pipe'],
      });
  let out = '';
  child.stdout!.setEncoding('utf8').on('data', (c: string) => {
    out += c;
  });
  child.stderr!.setEncoding('utf8').on('data', (c: string) => {
    out += c;
  });
  const exited = new Promise((r) => child.once('exit', r));
  const deadline = Date.now() + 30_000;
  while (!/Server listening at/.test(out) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
  process.kill(-child.pid!, 'SIGTERM'); // the process group this test started (script and its node child)
  await exited;
  return out;
}

describe('bgr serve output', () => {
  it('without a terminal: one JSON object per log line, and no content-type-parser warnings at start', async () => {
    const out = await serveOutput(false);
    const logs = out
      .split('\n')
      .filter((l) => l.startsWith('{'))
      .map((l) => JSON.parse(l) as { level: number; msg: string });
    expect(logs.find((l) => /Server listening at/.test(l.msg))).toMatchObject({ level: 30 });
    expect(out).not.toMatch(/ContentTypeParser/);
  }, 40_000);

  it('on a terminal: pino-pretty lines (time, level name, message), no JSON', async () => {
    const raw = await serveOutput(true);
    expect(raw).toMatch(/\x1b\[3\dm/); // coloured for the terminal
    const out = raw.replace(/\x1b\[[0-9;]*m/g, '');
    expect(out).toMatch(/\[\d\d:\d\d:\d\d\.\d{3}\] INFO: Server listening at http:\/\/127\.0\.0\.1:\d+/);
    expect(out).not.toMatch(/\{"level"/);
    expect(out).not.toMatch(/ContentTypeParser/);
  }, 40_000);
});
