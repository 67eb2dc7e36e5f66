// Generated from openapi.yaml by `npm run generate`. Do not edit by hand.
/** The contract's scalar schemas at run time: enums, patterns and defaults (components/schemas). */
export const schemaValues = {
  "Method": {
    "type": "string",
    "enum": [
      "object",
      "human"
    ],
    "default": "object"
  },
  "OutputFormat": {
    "type": "string",
    "enum": [
      "png",
      "webp"
    ],
    "default": "png"
  },
  "MaskOnly": {
    "type": "boolean",
    "default": false
  },
  "BgColor": {
    "type": "string",
    "pattern": "^#?([0-9a-fA-F]{6}|[0-9a-fA-F]{8})$"
  },
  "Webhook": {
    "type": "string",
    "pattern": "^https?://",
    "format": "uri"
  },
  "Base64Output": {
    "type": "boolean",
    "default": false
  },
  "ErrorCode": {
    "type": "string",
    "enum": [
      "invalid_parameter",
      "invalid_image",
      "image_fetch_failed",
      "image_url_forbidden",
      "unauthorized",
      "forbidden",
      "not_found",
      "insufficient_credits",
      "idempotency_conflict",
      "not_cancelable",
      "not_ready",
      "request_timeout",
      "payload_too_large",
      "image_too_large",
      "unsupported_media_type",
      "headers_too_large",
      "rate_limited",
      "queue_full",
      "canceled",
      "inference_failed",
      "internal",
      "worker_unavailable",
      "service_unavailable",
      "deadline_exceeded"
    ]
  }
} as const;
