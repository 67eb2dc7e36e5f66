import { describe, expect, it } from 'vitest';
import { cpuInfo, describeCpu, parseCpuInfo } from './cpu.ts';

const cpuinfo = (model: string, flags: string, topology = '') =>
  `processor\t: 0\nvendor_id\t: x\nmodel name\t: ${model}\n${topology}flags\t\t: fpu sse2 ${flags}\n\nprocessor\t: 1\n`;

describe('parseCpuInfo', () => {
  it.each([
    ['AMD EPYC 7B13', 'avx avx2 fma', ['avx2'], 'vpmaddubsw'],
    ['Intel Xeon Skylake', 'avx2 avx512f avx512bw', ['avx2', 'avx512f'], 'vpmaddubsw'],
    ['Intel Xeon Cascade Lake', 'avx2 avx512f avx512_vnni', ['avx2', 'avx512f', 'avx512_vnni'], 'vnni'],
    ['Intel Core Alder Lake', 'avx2 avx_vnni', ['avx2', 'avx_vnni'], 'vnni'],
    ['Old', 'sse4_2', [], 'other'],
  ])('%s → %j, int8 kernel %s', (model, flags, features, kernel) => {
    expect(parseCpuInfo(cpuinfo(model, flags), 2)).toEqual({
      model,
      cores: 2,
      usable: 2,
      threadsPerCore: 1,
      features,
      int8Kernel: kernel,
    });
  });
  it.each([
    ['siblings\t: 2\ncpu cores\t: 1\n', 2, 'AMD EPYC, 2 cores (2 threads per core), avx2 (int8: vpmaddubsw)'],
    ['siblings\t: 2\ncpu cores\t: 2\n', 1, 'AMD EPYC, 2 cores, avx2 (int8: vpmaddubsw)'],
    ['', 1, 'AMD EPYC, 2 cores, avx2 (int8: vpmaddubsw)'],
  ])('topology %j → %i threads per core, described as %s', (topology, perCore, line) => {
    const cpu = parseCpuInfo(cpuinfo('AMD EPYC', 'avx2', topology), 2);
    expect(cpu.threadsPerCore).toBe(perCore);
    expect(describeCpu(cpu)).toBe(line);
  });
  it('says how many cores are usable when a quota or an affinity mask leaves fewer', () => {
    const cpu = parseCpuInfo(cpuinfo('AMD EPYC', 'avx2', 'siblings\t: 8\ncpu cores\t: 4\n'), 8, 2);
    expect(describeCpu(cpu)).toBe('AMD EPYC, 8 cores (2 threads per core, 2 usable), avx2 (int8: vpmaddubsw)');
  });
  it('describes this host in one line', () => {
    expect(describeCpu(cpuInfo())).toMatch(/, \d+ cores, .* \(int8: (vnni|vpmaddubsw|other)\)$/);
  });
});
