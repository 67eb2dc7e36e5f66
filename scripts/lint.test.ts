import { execFile } from 'node:child_process';
import { readFile, rm, writeFile } from 'node:fs/promises';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';

const run = promisify(execFile);
const root = new URL('../', import.meta.url);

async function lint(file: string): Promise<{ ok: boolean; output: string }> {
  try {
    const { stdout, stderr } = await run('npx', ['redocly', 'lint', file], { cwd: root });
    return { ok: true, output: stdout + stderr };
  } catch (e: any) {
    return { ok: false, output: `${e.stdout}${e.stderr}` };
  }
}

describe('npm run lint', () => {
  it('is clean on openapi.yaml', async () => {
    const { ok, output } = await lint('spec/openapi.yaml');
    expect(output).toContain('valid');
    expect(ok).toBe(true);
  }, 60_000);

  // Each rule of ours must be able to fail: break the spec in three places, expect three rule errors.
  it('fails a spec that breaks our own rules', async () => {
    let spec = await readFile(new URL('spec/openapi.yaml', root), 'utf8');
    const swap = (opId: string, from: string, to: string) => {
      const i = spec.indexOf(`operationId: ${opId}`);
      const j = spec.indexOf(`'${from}'`, i);
      spec = spec.slice(0, j) + `'${to}'` + spec.slice(j + from.length + 2);
    };
    swap('getRequestStatus', '404', '499');
    swap('submitRemoval', '400', '422');
    swap('cancelRequest', '429', '428');
    const broken = new URL('.lint-broken.yaml', root);
    await writeFile(broken, spec);
    try {
      const { ok, output } = await lint('.lint-broken.yaml');
      expect(ok).toBe(false);
      for (const rule of ['v2-request-operations-declare-404', 'no-422-on-post', 'operations-declare-401-and-429']) {
        expect(output).toContain(`rule/${rule}`);
      }
    } finally {
      await rm(broken, { force: true });
    }
  }, 60_000);
});
