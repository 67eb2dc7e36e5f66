/** Messages between the engine's main thread and its inference workers. */
import type { FallbackRule } from './graph/precision.ts';
import type { Device } from './types.ts';

export interface WorkerInit {
  /** URL of the TypeScript module the `.mjs` bootstrap imports (the real worker or a test fake). */
  script: string;
  modelPath: string;
  /**
   * A second graph (fp32, for an int8 `modelPath`), run instead when the first one's output is unsure over
   * more than `share` of the image (graph/precision.ts INT8_FALLBACK).
   */
  fallback?: FallbackRule & { modelPath: string };
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
  | { type: 'result'; id: number; alpha: Uint8Array; timings: WorkerTimings; fellBack: boolean }
  | { type: 'error'; id: number; message: string };
