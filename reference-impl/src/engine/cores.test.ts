import { execFileSync } from 'node:child_process';
import { accessSync, constants, mkdirSync, rmdirSync, writeFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { describe, expect, it } from 'vitest';
import { capByQuota, cgroupCpuLimit } from './cores.ts';

/** A read-only file system of the given files. */
const files = (map: Record<string, string>) => (file: string) => map[file];

describe('cgroupCpuLimit', () => {
  it.each([
    ['no /proc/self/cgroup (not Linux)', {}, undefined],
    ['v2, no limit', { '/proc/self/cgroup': '0::/app\n', '/sys/fs/cgroup/app/cpu.max': 'max 100000\n' }, undefined],
    ['v2, 1.5 CPUs', { '/proc/self/cgroup': '0::/app\n', '/sys/fs/cgroup/app/cpu.max': '150000 100000\n' }, 1.5],
    [
      'v2, a parent (the pod) stricter than the leaf',
      {
        '/proc/self/cgroup': '0::/pod/app\n',
        '/sys/fs/cgroup/pod/app/cpu.max': '400000 100000',
        '/sys/fs/cgroup/pod/cpu.max': '200000 100000',
      },
      2,
    ],
    [
      'v2 in a container: the named path is absent, the mount root holds the quota',
      { '/proc/self/cgroup': '0::/kubepods/x\n', '/sys/fs/cgroup/cpu.max': '50000 100000' },
      0.5,
    ],
    [
      'v1, cpu,cpuacct controller, quota -1 (none)',
      {
        '/proc/self/cgroup': '4:cpu,cpuacct:/docker/abc\n1:name=systemd:/\n',
        '/sys/fs/cgroup/cpu,cpuacct/cpu.cfs_quota_us': '-1\n',
        '/sys/fs/cgroup/cpu,cpuacct/cpu.cfs_period_us': '100000\n',
      },
      undefined,
    ],
    [
      'v1, a quota of 1 CPU on the process cgroup',
      {
        '/proc/self/cgroup': '2:cpuacct:/\n1:cpu:/job\n0::/\n',
        '/sys/fs/cgroup/cpu/job/cpu.cfs_quota_us': '100000\n',
        '/sys/fs/cgroup/cpu/job/cpu.cfs_period_us': '100000\n',
      },
      1,
    ],
    [
      'hybrid: the unified line has no cpu.max under /sys/fs/cgroup, the v1 cpu line decides',
      {
        '/proc/self/cgroup': '1:cpu:/\n0::/\n',
        '/sys/fs/cgroup/cpu/cpu.cfs_quota_us': '300000',
        '/sys/fs/cgroup/cpu/cpu.cfs_period_us': '100000',
      },
      3,
    ],
  ])('%s', (_name, map, expected) => {
    expect(cgroupCpuLimit(files(map as Record<string, string>))).toBe(expected);
  });
});

describe('capByQuota', () => {
  it.each([
    [8, undefined, 8],
    [8, 2, 2],
    [8, 2.9, 2], // rounded down: a third thread would be throttled
    [8, 0.5, 1], // never below one
    [2, 16, 2], // a quota above the CPUs does not add any
  ])('%i CPUs, quota %s → %i', (cpus, quota, expected) => {
    expect(capByQuota(cpus, quota)).toBe(expected);
  });
});

// A real quota: a child cgroup (v1 cpu controller) limited to 1 CPU, with a Node process started inside it.
// Only where this process may create cgroups (root on a writable cgroupfs, as on this project's machines).
const V1_CPU = '/sys/fs/cgroup/cpu';
const writable = (() => {
  try {
    accessSync(`${V1_CPU}/cgroup.procs`, constants.W_OK);
    return availableParallelism() >= 2;
  } catch {
    return false;
  }
})();

describe.skipIf(!writable)('usableCores under a real cgroup v1 CPU quota', () => {
  it('a process in a 1-CPU cgroup on a multi-core machine gets 1 usable core, outside it every CPU', () => {
    const dir = `${V1_CPU}/bgr-cores-test-${process.pid}`;
    mkdirSync(dir);
    try {
      writeFileSync(`${dir}/cpu.cfs_period_us`, '100000');
      writeFileSync(`${dir}/cpu.cfs_quota_us`, '100000');
      const script = `import { usableCores } from '${new URL('./cores.ts', import.meta.url).pathname}'; console.log(usableCores());`;
      const run = (prefix: string) =>
        execFileSync('sh', ['-c', `${prefix}exec node --import tsx --input-type=module -e "$0"`, script], {
          encoding: 'utf8',
        }).trim();
      expect(run(`echo $$ > ${dir}/cgroup.procs; `)).toBe('1');
      expect(run('')).toBe(String(availableParallelism()));
    } finally {
      rmdirSync(dir);
    }
  });
});
