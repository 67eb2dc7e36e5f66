/** Runs an onnxruntime session on this CPU or on an emulated AVX2-only x86 CPU (qemu-user), to compare the int8 kernels each picks. */
// onnxruntime's MLAS chooses its int8 kernels from CPUID at start. qemu-user's TCG answers CPUID for the CPU
// model it is given and executes AVX2 (QEMU ≥ 7.2) but not AVX-512, so under `-cpu Haswell` MLAS takes the
// AVX2 path — the one whose u8×s8 pair sums saturate (VPMADDUBSW) — on any x86-64 host, at ~150× the time.
// The child is plain JavaScript (ort-run.mjs) so that tsx's start-up is not emulated too.
import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';

/** An Intel Haswell (AVX2, FMA, F16C; no AVX-512, no VNNI), less the flags TCG cannot emulate (it warns for each). */
export const AVX2_CPU = 'Haswell-noTSX,-pcid,-x2apic,-tsc-deadline,-invpcid';
export const AVX2_LABEL = 'emulated Haswell: avx2, no avx512, no vnni (int8: vpmaddubsw; qemu-user)';
const QEMU = '/usr/bin/qemu-x86_64';
const CHILD = fileURLToPath(new URL('./ort-run.mjs', import.meta.url));

/** Where the emulated AVX2 CPU can run: an x86-64 Linux host with Debian's qemu-user. */
export async function canEmulateAvx2(): Promise<boolean> {
  if (process.platform !== 'linux' || process.arch !== 'x64') return false;
  return readFile(QEMU).then(
    () => true,
    () => false,
  );
}

export interface OrtJob {
  /** The model's bytes. */
  model: Uint8Array;
  inputName: string;
  dims: number[];
  /** One float32 input per run. */
  inputs: Float32Array[];
  /** Output names; each comes back as raw bytes, to be read with the output's own type. */
  outputs: string[];
  threads?: number;
  /** `avx2` runs under qemu-user as an AVX2-only CPU; `native` on this host's CPU. */
  cpu: 'native' | 'avx2';
  timeoutMs?: number;
}

/** Runs every input through one session in a child process; returns [run][output] raw bytes. */
export async function runOrt(job: OrtJob): Promise<Uint8Array[][]> {
  const dir = await mkdtemp(path.join(tmpdir(), 'bgr-ort-'));
  try {
    const model = path.join(dir, 'model.onnx');
    await writeFile(model, job.model);
    const runs = await Promise.all(
      job.inputs.map(async (x, i) => {
        const input = path.join(dir, `in-${i}.f32`);
        await writeFile(input, new Uint8Array(x.buffer, x.byteOffset, x.byteLength));
        return { input, outputPrefix: path.join(dir, `out-${i}`) };
      }),
    );
    const spec = path.join(dir, 'job.json');
    await writeFile(spec, JSON.stringify({ ...job, model, runs, inputs: undefined, cpu: undefined }));
    const [cmd, args] =
      job.cpu === 'avx2'
        ? [QEMU, ['-cpu', AVX2_CPU, process.execPath, CHILD, spec]]
        : [process.execPath, [CHILD, spec]];
    await promisify(execFile)(cmd, args, { timeout: job.timeoutMs ?? 600_000, maxBuffer: 1 << 24 });
    return Promise.all(
      runs.map((r) =>
        Promise.all(job.outputs.map(async (_, k) => new Uint8Array(await readFile(`${r.outputPrefix}.${k}`)))),
      ),
    );
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
