import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { afterEach, describe, expect, it } from 'vitest';
import { startGoodServer, type GoodServer } from '../testing/good-server.ts';

const exec = promisify(execFile);
const root = new URL('../../', import.meta.url);
const workflow = 'conformance/arazzo/v2-lifecycle.arazzo.yaml';

/** Runs `redocly respect` on the workflow; resolves with its exit code and output. */
async function respect(url: string): Promise<{ code: number; output: string }> {
  try {
    const { stdout, stderr } = await exec(
      'npx',
      ['redocly', 'respect', workflow, '--server', `bgr=${url}`, '--input', 'apiKey=key-a'],
      { cwd: root },
    );
    return { code: 0, output: stdout + stderr };
  } catch (e) {
    const err = e as { code?: number; stdout?: string; stderr?: string };
    return { code: err.code ?? 1, output: `${err.stdout}${err.stderr}` };
  }
}

let server: GoodServer | undefined;
afterEach(async () => {
  await server?.close();
  server = undefined;
});

describe('the Arazzo v2 lifecycle workflow', () => {
  it('runs green with `redocly respect` against the good server', async () => {
    server = await startGoodServer();
    const r = await respect(server.url);
    expect(r.output).toMatch(/Workflows: 2 passed, 2 total/);
    expect(r.code).toBe(0);
  });

  it('fails against a deployment whose COMPLETED result lacks metrics.inference_time', async () => {
    server = await startGoodServer({ fault: 'no-inference-time' });
    const r = await respect(server.url);
    expect(r.code).not.toBe(0);
    expect(r.output).toMatch(/Workflows: 1 passed, 1 failed/);
  });

  it('lints clean', async () => {
    const { stdout, stderr } = await exec('npx', ['redocly', 'lint', workflow], { cwd: root });
    expect(stdout + stderr).toMatch(/valid/);
  });
});
