#!/usr/bin/env node
/**
 * Builds @bgr/sandbox: one ES module bundling the reference server's model-free code (HTTP, request lifecycle,
 * sandbox engine) and the contract's loader, from the same sources the reference runs; third-party packages stay
 * imports of the declared dependencies. The build fails when the bundle would reach a package that is not a
 * declared dependency (the model, onnxruntime, Redis clients), so the sandbox cannot silently grow them back.
 */
import { cpSync, mkdirSync, readFileSync, rmSync } from 'node:fs';
import { builtinModules } from 'node:module';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

const here = (p) => fileURLToPath(new URL(p, import.meta.url));
const pkg = JSON.parse(readFileSync(here('package.json'), 'utf8'));
const declared = Object.keys(pkg.dependencies);
const demoPage = readFileSync(here('../reference-impl/demo/index.html'), 'utf8');

/** The demo route reads its page beside the sources; in the bundle the page is inlined instead. */
const inlineDemoPage = {
  name: 'inline-demo-page',
  setup(b) {
    b.onLoad({ filter: /reference-impl[\\/]src[\\/]http[\\/]routes[\\/]demo\.ts$/ }, (args) => {
      const source = readFileSync(args.path, 'utf8');
      const read = "readFileSync(new URL('../../../demo/index.html', import.meta.url))";
      if (!source.includes(read))
        throw new Error(`${args.path} no longer reads the demo page as the sandbox build expects`);
      return { contents: source.replace(read, `Buffer.from(${JSON.stringify(demoPage)})`), loader: 'ts' };
    });
  },
};

/** Any bare import that is neither Node's nor a declared dependency fails the build, naming the importer. */
const onlyDeclared = {
  name: 'only-declared-dependencies',
  setup(b) {
    b.onResolve({ filter: /^[^./]/ }, (args) => {
      if (args.path.startsWith('node:') || builtinModules.includes(args.path)) return { external: true };
      if (args.path.startsWith('@bgr/spec')) return undefined; // our contract: bundled (its openapi.yaml is copied beside)
      const name = args.path
        .split('/')
        .slice(0, args.path.startsWith('@') ? 2 : 1)
        .join('/');
      if (declared.includes(name)) return { external: true };
      return {
        errors: [
          {
            text: `${args.importer} imports '${args.path}', which @bgr/sandbox does not declare (the sandbox must not reach the model or Redis)`,
          },
        ],
      };
    });
  },
};

rmSync(here('dist'), { recursive: true, force: true });
mkdirSync(here('dist'), { recursive: true });
await build({
  entryPoints: [here('bin.ts')],
  outfile: here('dist/bin.js'),
  bundle: true,
  platform: 'node',
  target: 'node20',
  format: 'esm',
  conditions: ['bgr-source'],
  plugins: [onlyDeclared, inlineDemoPage],
  // A bundled CommonJS dependency would call require(): give the ES module one.
  banner: {
    js: "import { createRequire as __bgrRequire } from 'node:module'; const require = __bgrRequire(import.meta.url);",
  },
  logLevel: 'warning',
});
// The contract's loader reads openapi.yaml beside itself: in the bundle, beside dist/bin.js.
cpSync(here('../spec/openapi.yaml'), here('dist/openapi.yaml'));
