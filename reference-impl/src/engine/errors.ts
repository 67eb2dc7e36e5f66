/** EngineError: the engine's failures, each with a stable code the server maps to an HTTP status. */

export type EngineErrorCode =
  | 'invalid_image'
  | 'unsupported_media_type'
  | 'image_too_large'
  | 'worker_unavailable'
  | 'canceled'
  | 'internal';

export class EngineError extends Error {
  constructor(
    public code: EngineErrorCode,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = 'EngineError';
  }
}
