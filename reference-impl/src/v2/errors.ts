/** V2Error: an error with a stable contract code; its HTTP status comes from the generated error table. */
import { errorTable } from '../../../generated/errors.ts';
import type { ErrorCode } from '../../../generated/index.ts';

const statuses = new Map<string, number>(errorTable.map((e) => [e.code, e.status]));
const messages = new Map<string, string>(errorTable.map((e) => [e.code, e.message]));

/** The HTTP status the contract assigns to a code (500 for a code it does not know). */
export function statusOf(code: string): number {
  return statuses.get(code) ?? 500;
}

/** The contract's default message for a code. */
export function defaultMessage(code: ErrorCode): string {
  return messages.get(code) ?? 'Internal server error.';
}

/** True when `code` is one of the contract's error codes. */
export function isErrorCode(code: unknown): code is ErrorCode {
  return typeof code === 'string' && statuses.has(code);
}

// The server branch has its own ApiError; the lead unifies the two on merge. Until then the HTTP layer
// renders V2Error as `{ error: message, code, request_id? }` with `status`, and `Retry-After` when set.
export class V2Error extends Error {
  readonly status: number;
  constructor(
    readonly code: ErrorCode,
    message?: string,
    readonly extra: { retryAfter?: number; requestId?: string } = {},
  ) {
    super(message ?? defaultMessage(code));
    this.name = 'V2Error';
    this.status = statusOf(code);
  }
}
