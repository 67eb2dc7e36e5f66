/** The good server's status-stream negotiation (the `status-stream` extension, described on the status operation in openapi.yaml). */

/** Whether a client asks for the status stream: text/event-stream preferred to JSON (a client that takes both gets JSON). */
export function wantsStream(accept: string | undefined): boolean {
  const types = (accept ?? '').split(',').map((t) => t.split(';')[0]!.trim().toLowerCase());
  const sse = types.indexOf('text/event-stream');
  const json = types.findIndex((t) => t === 'application/json' || t === '*/*');
  return sse >= 0 && (json < 0 || sse < json);
}
