/** Builds the docs site: the bundled contract, the guides folded into it, and the Redoc page (`npm run docs`, `bgr docs`). */
import { execFile } from 'node:child_process';
import { mkdir, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs, promisify } from 'node:util';
import { parse, stringify } from 'yaml';
import { errorTable } from '@bgr/spec/errors';

const run = promisify(execFile);
const require = createRequire(import.meta.url);
const root = fileURLToPath(new URL('../', import.meta.url));
export const defaultOutDir = join(root, 'docs/site');

function redocly(args: string[]) {
  const pkg = require.resolve('@redocly/cli/package.json');
  const bin = (require(pkg) as { bin: Record<string, string> }).bin.redocly!;
  return run(process.execPath, [join(dirname(pkg), bin), ...args], { cwd: root, maxBuffer: 16 << 20 });
}

/** The error table as a guide section, rendered from the contract so it never drifts. */
export function errorsGuide(): string {
  const rows = errorTable.map((e) => `| \`${e.code}\` | ${e.status} | ${e.message} |`).join('\n');
  return `# Errors

Every error body is \`{"error": "<message>"}\`. Where a deployment offers the \`error-codes\` extension (the
reference does; the production service does not) it also carries a stable \`code\`. It never carries a
\`request_id\` (in a body that name is only ever a v2 request's id); the trace id of every response, which the
server's log also records, is its \`x-request-id\` header: quote it when you report a problem. Branch on
\`code\` when it is there, never on the message, and on the HTTP status otherwise. A FAILED request is served as HTTP 422 and its \`code\` is one of these too (for example \`invalid_image\`,
\`image_fetch_failed\`, \`canceled\`).

| code | HTTP status | message |
|---|---|---|
${rows}
`;
}

/** The guide sections in reading order; missing optional files are skipped. */
async function guides(): Promise<string> {
  const read = (path: string) => readFile(join(root, path), 'utf8').catch(() => '');
  const dir = join(root, 'docs/guides');
  const files = (await readdir(dir).catch(() => [])).filter((f) => f.endsWith('.md')).sort();
  const [quickstart = '', polling = '', ...rest] = await Promise.all(files.map((f) => read(`docs/guides/${f}`)));
  const generated = [errorsGuide(), await read('docs/conformance.md'), await read('docs/deploy.md')];
  const sections = [quickstart, polling, ...generated, ...rest];
  return sections
    .map((t) => t.trim())
    .filter(Boolean)
    .join('\n\n');
}

// Redoc's attribution badge loads its logo from a CDN; the site must work offline, so the badge gets an inline logo.
const attributionLogo = `data:image/svg+xml,${encodeURIComponent(
  '<svg xmlns="http://www.w3.org/2000/svg" width="60" height="14"><text x="0" y="11" font-family="sans-serif" font-size="11" fill="#0044d4">Redocly</text></svg>',
)}`;

/** Rewrites the page's CDN references to inline content (telemetry is off in redocly.yaml); a test checks that nothing else leaves the machine. */
export function keepOffline(html: string): string {
  return html.replace(/https:\/\/cdn\.redoc\.ly\/redoc\/logo-mini(?:-full)?\.svg/g, attributionLogo);
}

/** Writes `openapi.yaml` (bundled, single file) and `index.html` (Redoc, scripts inlined: works offline) to outDir. */
export async function buildDocs(outDir = defaultOutDir): Promise<{ html: string; spec: string }> {
  await mkdir(outDir, { recursive: true });
  const spec = join(outDir, 'openapi.yaml');
  await redocly(['bundle', 'spec/openapi.yaml', '-o', spec]);
  // The site shows the guides beside the reference; the published single-file spec stays the contract alone.
  const withGuides = parse(await readFile(spec, 'utf8'));
  withGuides.info.description = `${withGuides.info.description}\n\n${await guides()}`;
  const siteSpec = join(outDir, '.site-spec.yaml');
  await writeFile(siteSpec, stringify(withGuides));
  const html = join(outDir, 'index.html');
  await redocly(['build-docs', siteSpec, '--inlineBundle', '--title', 'Background Removal API', '-o', html]);
  await rm(siteSpec);
  await writeFile(html, keepOffline(await readFile(html, 'utf8')));
  return { html, spec };
}

/** `bgr docs [--out DIR]`. */
export async function docsCommand(args: string[]): Promise<number> {
  let out: string | undefined;
  try {
    out = parseArgs({ args, options: { out: { type: 'string' } } }).values.out;
  } catch (e) {
    process.stderr.write(`bgr docs: ${(e as Error).message}\nusage: bgr docs [--out DIR]\n`);
    return 2;
  }
  const { html, spec } = await buildDocs(out);
  process.stdout.write(`docs: ${html}\nspec: ${spec}\n`);
  return 0;
}
