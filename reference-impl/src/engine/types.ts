/** The engine's public types: what the server and the v2 workers code against (reference-impl/src/engine). */
import type { Precision } from './graph/precision.ts';
export type Method = 'object' | 'human';

/** The inference devices (onnxruntime execution providers) an engine can run on. */
export const DEVICES = ['cpu', 'cuda', 'webgpu'] as const;
export type Device = (typeof DEVICES)[number];

/**
 * device: onnxruntime execution provider. workers: inference worker threads (≥ 1). threads: onnxruntime
 * intra-op threads per worker; ≤ 0 means all cores divided among the workers. cacheDir: where the
 * reassembled model is kept (default `<package>/.cache/models`). maxPixels: decode limit (width × height).
 * precision: which prepared graph runs (`graph/prepare.ts`; default fp32).
 */
export interface EngineConfig {
  device: Device;
  workers: number;
  threads: number;
  cacheDir?: string;
  maxPixels: number;
  precision?: Precision;
}

/** The image formats accepted as input. */
export type ImageFormat = 'jpeg' | 'png' | 'webp' | 'gif' | 'avif' | 'tiff';

/**
 * An input image whose header was read once (format, size within the pixel limit, alpha): the value the
 * server builds when it takes an image in, and hands on so that nothing reads the header again.
 */
export interface ProbedImage {
  bytes: Buffer;
  format: ImageFormat;
  width: number;
  height: number;
  hasAlpha: boolean;
  /** Its embedded ICC profile, if any: the standard sRGB one (`srgb-profile.ts`) or another. */
  profile?: 'standard-srgb' | 'other';
  /** 16-bit RGB or RGBA (libvips's `rgb16` space), which decoding converts from a profile differently. */
  rgb16?: boolean;
}

/** What an engine takes: a probed image, or bare bytes that it probes itself (library use, benches). */
export type EngineInput = ProbedImage | Buffer;

/** bgColor: `#rrggbb` flattens onto an opaque colour (no alpha); `#rrggbbaa` composites over it (alpha kept). */
export interface RemoveOptions {
  method: Method;
  format: 'png' | 'webp';
  maskOnly: boolean;
  bgColor?: string;
  signal?: AbortSignal;
}

/** Milliseconds spent in each stage of one image. */
export interface StageTimings {
  decode: number;
  pre: number;
  infer: number;
  post: number;
  encode: number;
}

export interface RemoveResult {
  image: Buffer;
  contentType: 'image/png' | 'image/webp';
  width: number;
  height: number;
  timings: StageTimings;
  /** The graph that answered: the configured precision, or fp32 where int8 fell back (absent from engines without a choice). */
  precision?: Precision;
}

export interface Engine {
  ready(): Promise<void>;
  isReady(): boolean;
  removeBackground(input: EngineInput, opts: RemoveOptions): Promise<RemoveResult>;
  close(): Promise<void>;
  /** Inference worker threads restarted after a crash since start (for metrics); absent when not applicable. */
  restarts?(): number;
}

export type EngineErrorCode =
  'invalid_image' | 'unsupported_media_type' | 'image_too_large' | 'worker_unavailable' | 'canceled' | 'internal';

/** An engine failure with a stable code from the contract's error table. */
export class EngineError extends Error {
  constructor(
    public readonly code: EngineErrorCode,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = 'EngineError';
  }
}
