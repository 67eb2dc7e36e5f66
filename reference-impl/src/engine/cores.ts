/**
 * How many cores this process may keep busy: the CPUs it may run on (`availableParallelism`, which reads the
 * affinity mask) capped by its cgroup's CPU quota, which Node 20 does not read. A container limited to
 * 1 CPU on a 64-core node would otherwise start 64 onnxruntime threads that the quota then throttles.
 */
import { readFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import path from 'node:path';

/** Reads a file's text, or undefined where it is missing or unreadable. */
export type ReadText = (file: string) => string | undefined;

const readText: ReadText = (file) => {
  try {
    return readFileSync(file, 'utf8');
  } catch {
    return undefined;
  }
};

/** Where each cgroup version keeps the CPU quota, and how to read CPUs out of its files in one folder. */
const HIERARCHIES = [
  {
    // cgroup v2: the unified line `0::/path`; cpu.max is `max 100000` or `<quota> <period>`.
    matches: (id: string, controllers: string) => id === '0' && controllers === '',
    roots: ['/sys/fs/cgroup'],
    limit(dir: string, read: ReadText): number | undefined {
      const [quota, period] = (read(path.join(dir, 'cpu.max')) ?? '').trim().split(/\s+/);
      return quota === undefined || quota === 'max' ? undefined : Number(quota) / Number(period);
    },
  },
  {
    // cgroup v1: the line whose controllers include `cpu`; a quota of -1 is no limit.
    matches: (_id: string, controllers: string) => controllers.split(',').includes('cpu'),
    roots: ['/sys/fs/cgroup/cpu', '/sys/fs/cgroup/cpu,cpuacct'],
    limit(dir: string, read: ReadText): number | undefined {
      const quota = Number(read(path.join(dir, 'cpu.cfs_quota_us')));
      const period = Number(read(path.join(dir, 'cpu.cfs_period_us')));
      return quota > 0 && period > 0 ? quota / period : undefined;
    },
  },
];

/**
 * The strictest CPU quota, in CPUs, on this process's cgroup and its ancestors; undefined when there is none.
 * The ancestors count because a parent's quota (a pod's, say) binds its children too. Inside a container the
 * cgroup path named in /proc/self/cgroup may not exist under the mount (the container's own cgroup is the
 * mount's root), so the walk up ends at the root folder, which then holds the container's quota.
 */
export function cgroupCpuLimit(read: ReadText = readText): number | undefined {
  let strictest: number | undefined;
  for (const line of (read('/proc/self/cgroup') ?? '').split('\n')) {
    const [id, controllers, ...rest] = line.split(':');
    const cgroupPath = rest.join(':');
    if (id === undefined || controllers === undefined || !cgroupPath.startsWith('/')) continue;
    const hierarchy = HIERARCHIES.find((h) => h.matches(id, controllers));
    if (!hierarchy) continue;
    for (const root of hierarchy.roots) {
      for (let rel = cgroupPath; ; rel = path.posix.dirname(rel)) {
        const limit = hierarchy.limit(path.join(root, rel), read);
        if (limit !== undefined && limit > 0 && (strictest === undefined || limit < strictest)) strictest = limit;
        if (rel === '/') break;
      }
    }
  }
  return strictest;
}

let cached: number | undefined;
/**
 * The cores this process may keep busy: the affinity mask's CPUs, at most the cgroup quota rounded down
 * (at least 1). Rounded down because threads beyond the quota are throttled, and onnxruntime's spinning
 * threads then stall each other: on 1 CPU of quota, 2 threads took 11 % longer per image than 1 (engine README).
 */
export function usableCores(): number {
  cached ??= capByQuota(availableParallelism(), cgroupCpuLimit());
  return cached;
}

/** `cpus` capped by a quota in CPUs (rounded down, at least 1). */
export function capByQuota(cpus: number, quota: number | undefined): number {
  return quota === undefined ? cpus : Math.max(1, Math.min(cpus, Math.floor(quota)));
}
