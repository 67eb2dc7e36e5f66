/** EngineError: the engine's failures, each with a stable code the server maps to an HTTP status (defined in types.ts). */
export { EngineError, type EngineErrorCode } from './types.ts';
