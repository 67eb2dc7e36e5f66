/** Turns openapi-fetch's JSON parse failures on 2xx answers into ProtocolError, so callers see one error family. */
import { ProtocolError } from './errors.ts';

export async function guard<T>(call: Promise<T>): Promise<T> {
  try {
    return await call;
  } catch (err) {
    if (err instanceof SyntaxError)
      throw new ProtocolError(`Response is not valid JSON: ${err.message}`, undefined, undefined);
    throw err;
  }
}
