/** Public entry of the typed client (`import { BgRemovalClient } from '@bgr/client'`). */
export { BgRemovalClient } from './client.ts';
export type { BgRemovalClientOptions } from './config.ts';
export {
  ApiError,
  BgRemovalError,
  InferenceFailed,
  InferenceTimeout,
  NetworkError,
  ProtocolError,
  UnsupportedOperation,
} from './errors.ts';
export { Job } from './job.ts';
export type { FetchLike } from './transport.ts';
export type {
  CallOptions,
  ErrorBody,
  ErrorCode,
  FailedBody,
  ImageBytes,
  ImageInput,
  PendingBody,
  RemoveInput,
  RemoveResult,
  ResultBody,
  StatusBody,
  SubmitInput,
  SubmitResponse,
  WaitOptions,
} from './types.ts';
