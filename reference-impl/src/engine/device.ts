/** Device check: fails fast, naming what is missing, when a GPU execution provider is asked for. */
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { EngineError } from './errors.ts';
import { DEVICES, type Device } from './types.ts';

export type { Device };

export async function checkDevice(device: Device): Promise<void> {
  if (device === 'cpu') return;
  if (!DEVICES.includes(device)) {
    throw new EngineError('internal', `unknown device ${JSON.stringify(device)} (use ${DEVICES.join(', ')})`);
  }
  const ort = await import('onnxruntime-node');
  const backend = ort.listSupportedBackends().find((b) => b.name === device);
  if (!backend) {
    throw new EngineError(
      'internal',
      `device "${device}": this onnxruntime-node build (${process.platform}/${process.arch}) has no ${device} execution provider`,
    );
  }
  if (device === 'cuda' && !backend.bundled) {
    // onnxruntime-node ships the CUDA provider as a separate download done by its install script (skipped
    // offline via .npmrc); look for the library where that script puts it.
    const dir = path.join(
      path.dirname(createRequire(import.meta.url).resolve('onnxruntime-node')),
      '..',
      'bin',
      'napi-v6',
      process.platform,
      process.arch,
    );
    const lib = path.join(dir, 'libonnxruntime_providers_cuda.so');
    if (!existsSync(lib)) {
      throw new EngineError(
        'internal',
        `device "cuda": onnxruntime-node's CUDA execution provider is not installed (missing ${lib}). ` +
          'Reinstall onnxruntime-node with its install script enabled (remove `onnxruntime-node-install=skip` from .npmrc, ' +
          'or set ONNXRUNTIME_NODE_INSTALL=cuda12) on a machine with CUDA 12 and cuDNN 9, or use device "cpu".',
      );
    }
  }
}
