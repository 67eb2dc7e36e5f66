/** Reproductions: a runnable `curl` per exchange, keys as environment variables, large or binary bodies in files. */
import { mkdir, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import type { ResolvedOptions } from './context.ts';
import type { Exchange } from './http.ts';

/** The environment variable that stands for each key the run was given (its value never appears in a reproduction). */
export function keyVariables(
  o: Pick<ResolvedOptions, 'apiKey' | 'secondApiKey' | 'scopedKey' | 'lowCreditKey'>,
): Map<string, string> {
  const vars = new Map<string, string>();
  const add = (secret: string | undefined, name: string) => secret && !vars.has(secret) && vars.set(secret, name);
  add(o.apiKey, 'BGR_API_KEY');
  add(o.secondApiKey, 'BGR_SECOND_API_KEY');
  add(o.scopedKey, 'BGR_SCOPED_KEY');
  add(o.lowCreditKey, 'BGR_LOW_CREDIT_KEY');
  return vars;
}

/** A word quoted for a POSIX shell. */
export const shellQuote = (s: string) => `'${s.replace(/'/g, `'\\''`)}'`;

/** Bodies longer than this (or not UTF-8 text) go to a file: a pasteable command stays readable. */
const INLINE_LIMIT = 1024;

const isText = (b: Buffer) => !b.includes(0) && Buffer.from(b.toString('utf8'), 'utf8').equals(b);

/** The body as bytes, and whether it can be written inline. */
function bodyOf(ex: Exchange): { bytes: Buffer; inline: boolean } | undefined {
  const body = ex.request.body;
  if (body === undefined) return undefined;
  const bytes = typeof body === 'string' ? Buffer.from(body, 'utf8') : body;
  return { bytes, inline: bytes.length <= INLINE_LIMIT && isText(bytes) };
}

/**
 * The `curl` command that sends the exchange's request again, as the suite sent it. `bodyFile`: where the body
 * was written when it is not inline. The response is printed with its headers (`-i`); a stream is not buffered (`-N`).
 */
export function toCurl(ex: Exchange, keys: Map<string, string>, bodyFile?: string): string {
  const parts = ['curl', '-sS', '-i'];
  if (ex.request.headers.accept?.includes('text/event-stream') || ex.streamEnded !== undefined)
    parts.push('-N', '--max-time', '30');
  parts.push('-X', ex.method, shellQuote(ex.url));
  for (const [name, value] of Object.entries(ex.request.headers)) {
    const variable = name.toLowerCase() === 'x-api-key' ? keys.get(value) : undefined;
    // Double quotes so the shell expands the variable; its name is a plain identifier, nothing else to escape.
    parts.push('-H', variable ? `"${name}: $${variable}"` : shellQuote(`${name}: ${value}`));
  }
  const body = bodyOf(ex);
  if (body)
    parts.push(
      '--data-binary',
      body.inline ? shellQuote(body.bytes.toString('utf8')) : `@${shellQuote(bodyFile ?? '(body not written)')}`,
    );
  return parts.join(' ');
}

/** One reproduction: the exchange it replays and its command. */
export interface Reproduction {
  seq: number;
  request: string;
  curl: string;
}

/** File extension for a request body written to disk. */
const extensionOf = (contentType: string | undefined) =>
  /json/.test(contentType ?? '') ? 'json' : /multipart/.test(contentType ?? '') ? 'multipart' : 'bin';

/**
 * Reproductions of `exchanges` (each request once, in order), writing bodies that are not inline to `dir`
 * as `<seq>-request.<ext>`; the commands name those files by absolute path, so they run from any folder.
 */
export async function reproduce(
  exchanges: readonly Exchange[],
  keys: Map<string, string>,
  dir: string,
): Promise<Reproduction[]> {
  const out: Reproduction[] = [];
  for (const ex of exchanges) {
    const body = bodyOf(ex);
    let file: string | undefined;
    if (body && !body.inline) {
      await mkdir(dir, { recursive: true });
      file = resolve(join(dir, `${ex.seq}-request.${extensionOf(ex.request.headers['content-type'])}`));
      await writeFile(file, body.bytes);
    }
    out.push({ seq: ex.seq, request: `${ex.method} ${ex.path}`, curl: toCurl(ex, keys, file) });
  }
  return out;
}
