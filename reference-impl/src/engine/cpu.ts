/** The host CPU's name and the x86 features that decide which int8 kernels onnxruntime runs (for logs and benches). */
import { readFileSync } from 'node:fs';
import os from 'node:os';
import { usableCores } from './cores.ts';

export interface CpuInfo {
  model: string;
  cores: number;
  /** Of those, how many this process may keep busy (fewer under an affinity mask or a cgroup CPU quota). */
  usable: number;
  /**
   * Hardware threads per physical core, from `siblings` / `cpu cores` (1 when not reported). 2 means the cores
   * above are SMT siblings sharing one core's vector units: convolution-bound inference runs ≈ half as fast
   * per core, while single-threaded work (a JavaScript peer's pre-processing) barely slows, so ratios differ.
   */
  threadsPerCore: number;
  /** Of avx2, avx512f, avx512_vnni, avx_vnni: the ones the CPU reports. */
  features: string[];
  /**
   * How uint8 × int8 products are summed: `vnni` (exact int32), `vpmaddubsw` (pairs into a saturating int16:
   * AVX2 or AVX-512 without VNNI), or `other` (not x86, or features unknown).
   */
  int8Kernel: 'vnni' | 'vpmaddubsw' | 'other';
}

const FEATURES = ['avx2', 'avx512f', 'avx512_vnni', 'avx_vnni'];

/** Parses `/proc/cpuinfo` text (first processor); exported for tests. */
export function parseCpuInfo(text: string, cores = os.cpus().length, usable = cores): CpuInfo {
  const field = (name: string) => new RegExp(`^${name}\\s*:\\s*(.*)$`, 'm').exec(text)?.[1]?.trim();
  const flags = new Set((field('flags') ?? '').split(/\s+/));
  const features = FEATURES.filter((f) => flags.has(f));
  const vnni = flags.has('avx512_vnni') || flags.has('avx_vnni');
  const siblings = Number(field('siblings'));
  const physical = Number(field('cpu cores'));
  return {
    model: field('model name') ?? os.cpus()[0]?.model ?? 'unknown',
    cores,
    usable,
    threadsPerCore: siblings > 0 && physical > 0 ? Math.max(1, Math.round(siblings / physical)) : 1,
    features,
    int8Kernel: vnni ? 'vnni' : flags.has('avx2') ? 'vpmaddubsw' : 'other',
  };
}

let cached: CpuInfo | undefined;
/** This host's CPU (read once; on systems without /proc/cpuinfo the features are empty). */
export function cpuInfo(): CpuInfo {
  if (!cached) {
    let text = '';
    try {
      text = readFileSync('/proc/cpuinfo', 'utf8');
    } catch {
      /* not Linux: model from os.cpus() */
    }
    cached = parseCpuInfo(text, undefined, usableCores());
  }
  return cached;
}

/**
 * One line for logs and bench headers, e.g. `Intel(R) Xeon(R) Processor, 2 cores, avx2 avx512f avx512_vnni
 * (int8: vnni)`; SMT shows as `2 cores (2 threads per core)`, a quota or affinity mask as `8 cores (2 usable)`.
 */
export function describeCpu(c: CpuInfo = cpuInfo()): string {
  const notes = [
    ...(c.threadsPerCore > 1 ? [`${c.threadsPerCore} threads per core`] : []),
    ...(c.usable < c.cores ? [`${c.usable} usable`] : []),
  ];
  const cores = `${c.cores} cores${notes.length ? ` (${notes.join(', ')})` : ''}`;
  return `${c.model}, ${cores}, ${c.features.join(' ') || 'no avx2'} (int8: ${c.int8Kernel})`;
}
