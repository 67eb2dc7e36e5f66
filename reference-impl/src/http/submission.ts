/**
 * The edge of a removal: turns a submit body (v1 or v2, JSON or multipart) that the contract's schema has
 * just accepted into the one checked `RemovalRequest`. Validation is the schema's (AJV, with the contract's
 * enums and patterns); this only applies the contract's defaults, so nothing downstream checks again.
 */
import { schemaValues } from '@bgr/spec/values';
import type { RemovalRequest } from '../removal/request.ts';

/** The body after schema validation: multipart text fields already coerced (booleans are booleans). */
interface CheckedBody {
  image: string | Buffer;
  method?: RemovalRequest['method'];
  format?: RemovalRequest['format'];
  mask_only?: boolean;
  bg_color?: string;
  base64?: boolean;
  webhook?: string;
}

/** The checked request of a validated body. */
export function removalRequestOf(body: unknown): RemovalRequest {
  const b = body as CheckedBody;
  const request: RemovalRequest = {
    image: b.image,
    method: b.method ?? schemaValues.Method.default,
    format: b.format ?? schemaValues.OutputFormat.default,
    maskOnly: b.mask_only ?? schemaValues.MaskOnly.default,
    base64: b.base64 ?? schemaValues.Base64Output.default,
  };
  if (b.bg_color !== undefined) request.bgColor = b.bg_color;
  if (b.webhook !== undefined) request.webhook = b.webhook;
  return request;
}
