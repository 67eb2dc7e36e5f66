/** Messages between the engine's main thread and its inference workers. */
import type { Device } from './types.ts';

export interface WorkerInit {
  /** URL of the TypeScript module the `.mjs` bootstrap imports (the real worker or a test fake). */
  script: string;
  modelPath: string;
  device: Device;
  threads: number;
  warmup: boolean;
}

/** A job: interleaved RGB bytes, MODEL_SIZE² × 3, transferred (not copied). */
export interface JobMessage {
  id: number;
  rgb: Uint8Array;
}

export interface WorkerTimings {
  pre: number;
  infer: number;
  post: number;
}

export type WorkerMessage =
  | { type: 'ready'; loadMs: number; warmupMs: number }
  | { type: 'fatal'; message: string }
  | { type: 'result'; id: number; alpha: Uint8Array; timings: WorkerTimings }
  | { type: 'error'; id: number; message: string };
