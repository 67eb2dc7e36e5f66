import { describe, expect, it } from 'vitest';
import { cpuInfo, describeCpu, parseCpuInfo } from './cpu.ts';

const cpuinfo = (model: string, flags: string) =>
  `processor\t: 0\nvendor_id\t: x\nmodel name\t: ${model}\nflags\t\t: fpu sse2 ${flags}\n\nprocessor\t: 1\n`;

describe('parseCpuInfo', () => {
  it.each([
    ['AMD EPYC 7B13', 'avx avx2 fma', ['avx2'], 'vpmaddubsw'],
    ['Intel Xeon Skylake', 'avx2 avx512f avx512bw', ['avx2', 'avx512f'], 'vpmaddubsw'],
    ['Intel Xeon Cascade Lake', 'avx2 avx512f avx512_vnni', ['avx2', 'avx512f', 'avx512_vnni'], 'vnni'],
    ['Intel Core Alder Lake', 'avx2 avx_vnni', ['avx2', 'avx_vnni'], 'vnni'],
    ['Old', 'sse4_2', [], 'other'],
  ])('%s → %j, int8 kernel %s', (model, flags, features, kernel) => {
    expect(parseCpuInfo(cpuinfo(model, flags), 2)).toEqual({ model, cores: 2, features, int8Kernel: kernel });
  });
  it('describes this host in one line', () => {
    expect(describeCpu(cpuInfo())).toMatch(/, \d+ cores, .* \(int8: (vnni|vpmaddubsw|other)\)$/);
  });
});
