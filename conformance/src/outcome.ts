/** How a check ends other than by passing: a failure citing the offending exchange, or a skip with a reason. */
import { summarise, type Exchange } from './http.ts';

export class CheckFailure extends Error {
  constructor(
    message: string,
    readonly exchange?: Exchange,
  ) {
    super(exchange ? `${message} [${summarise(exchange)}]` : message);
  }
}

export class CheckSkip extends Error {}

export function fail(message: string, exchange?: Exchange): never {
  throw new CheckFailure(message, exchange);
}

export function skip(reason: string): never {
  throw new CheckSkip(reason);
}

/** Fails unless `cond` holds. */
export function ensure(cond: unknown, message: string, exchange?: Exchange): asserts cond {
  if (!cond) fail(message, exchange);
}

/**
 * Fails unless the exchange has the expected status. The `code` the error table names for the situation
 * is recorded on the exchange, not checked here: codes are the `error-codes` extension, and ERROR-CODES
 * judges every recorded one where that extension is offered.
 */
export function expectStatus(ex: Exchange, status: number, what: string, code?: string): void {
  if (ex.status !== status) fail(`${what}: expected ${status}, got ${ex.status}`, ex);
  if (code !== undefined) ex.expectedCode = { code, what };
}
