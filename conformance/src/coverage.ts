/**
 * Contract coverage of a run: every operation × declared response status (and each extension's own variant of
 * one: a media type or request body marked `x-bgr-extension`), which layer it belongs to, and whether the run
 * observed it. The percentage counts the cells of the layers that apply: the core, and the extensions offered.
 */
import { loadContract, type Operation } from '@bgr/spec/contract';
import type { ExtensionName } from '@bgr/spec/extensions';
import type { Exchange } from './http.ts';

export interface CoverageCell {
  operationId: string;
  method: string;
  path: string;
  status: string;
  /** An extension's own variant of the response (`text/event-stream`) or request (`request multipart/form-data`). */
  variant?: string;
  layer: 'core' | ExtensionName;
  /** Whether the layer applies to this deployment (the core always; an extension when offered). */
  applicable: boolean;
  observed: boolean;
}

export interface Coverage {
  cells: CoverageCell[];
  declared: number;
  applicable: number;
  observed: number;
  /** Observed cells of the applicable ones, in percent (one decimal). */
  percent: number;
}

type Media = Record<string, { 'x-bgr-extension'?: ExtensionName }>;
interface Declared {
  status: string;
  layer: 'core' | ExtensionName;
  variant?: string;
  matches(ex: Exchange): boolean;
}

const mediaMatches = (declared: string, actual: string | undefined) =>
  (actual ?? '').toLowerCase().startsWith(declared.toLowerCase());

/** The cells one operation declares. */
function cellsOf(op: Operation, spec: Record<string, any>): Declared[] {
  const opLayer = (op as { 'x-bgr-extension'?: ExtensionName })['x-bgr-extension'] ?? 'core';
  const deref = (r: any) =>
    r?.$ref
      ? r.$ref
          .split('/')
          .slice(1)
          .reduce((o: any, k: string) => o[k], spec)
      : r;
  const out: Declared[] = [];
  for (const [status, raw] of Object.entries(op.responses)) {
    const response = deref(raw) as { 'x-bgr-extension'?: ExtensionName; content?: Media };
    const layer = response['x-bgr-extension'] ?? opLayer;
    const variants = Object.entries(response.content ?? {}).filter(([, m]) => m['x-bgr-extension']);
    out.push({
      status,
      layer,
      matches: (ex) =>
        String(ex.status) === status && (!variants.length || !variants.some(([t]) => mediaMatches(t, ex.contentType))),
    });
    for (const [type, media] of variants) {
      out.push({
        status,
        layer: media['x-bgr-extension']!,
        variant: type,
        matches: (ex) => String(ex.status) === status && mediaMatches(type, ex.contentType),
      });
    }
  }
  const body = deref((op as { requestBody?: unknown }).requestBody) as { content?: Media } | undefined;
  for (const [type, media] of Object.entries(body?.content ?? {})) {
    if (!media['x-bgr-extension']) continue;
    // Any declared answer to a request sent that way shows the deployment took that variant (2xx) or judged it.
    out.push({
      status: '2xx',
      layer: media['x-bgr-extension'],
      variant: `request ${type}`,
      matches: (ex) => ex.status < 300 && mediaMatches(type, ex.request.headers['content-type']),
    });
  }
  return out;
}

/** The coverage of `exchanges` against the contract; `offered` says which extensions apply. */
export function coverageOf(exchanges: readonly Exchange[], offered: ReadonlySet<ExtensionName>): Coverage {
  const contract = loadContract();
  const cells: CoverageCell[] = [];
  for (const op of contract.operations) {
    const mine = exchanges.filter((ex) => ex.operationId === op.operationId);
    for (const d of cellsOf(op, contract.spec)) {
      cells.push({
        operationId: op.operationId,
        method: op.method,
        path: op.path,
        status: d.status,
        ...(d.variant ? { variant: d.variant } : {}),
        layer: d.layer,
        applicable: d.layer === 'core' || offered.has(d.layer),
        observed: mine.some((ex) => d.matches(ex)),
      });
    }
  }
  const applicable = cells.filter((c) => c.applicable);
  const observed = applicable.filter((c) => c.observed).length;
  return {
    cells,
    declared: cells.length,
    applicable: applicable.length,
    observed,
    percent: applicable.length ? Math.round((1000 * observed) / applicable.length) / 10 : 100,
  };
}

/** The coverage block printed at the end of a run: one line per operation, unobserved statuses in brackets. */
export function formatCoverage(c: Coverage): string {
  const ops = [...new Set(c.cells.map((cell) => cell.operationId))];
  const lines = ops.map((id) => {
    const own = c.cells.filter((cell) => cell.operationId === id);
    const marks = own.map((cell) => {
      const name = cell.variant ? `${cell.status} ${cell.variant}` : cell.status;
      return !cell.applicable ? `-${name}` : cell.observed ? name : `[${name}]`;
    });
    return `  ${`${own[0]!.method} ${own[0]!.path}`.padEnd(40)} ${marks.join('  ')}`;
  });
  return [
    `coverage: ${c.percent} % of the contract's operation × status cells that apply (${c.observed} of ${c.applicable}; ${c.declared} declared)`,
    '  [status]: not observed; -status: of an extension not offered',
    ...lines,
  ].join('\n');
}
