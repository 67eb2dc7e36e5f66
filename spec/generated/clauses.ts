// Generated from openapi.yaml by `npm run generate`. Do not edit by hand.
/** The normative clauses (x-bgr-clauses) that the conformance suite cites. */
export const clauses = [
  {
    "id": "AUTH-REQUIRED",
    "level": "MUST",
    "text": "Every operation MUST require the `x-api-key` header and MUST answer 401 with an error body when it is missing or unknown."
  },
  {
    "id": "AUTH-SCOPE",
    "level": "MUST",
    "text": "A server MUST answer 403 with an error body when the key is valid but lacks the scope (`v1` or `v2`) of the operation."
  },
  {
    "id": "AUTH-ISOLATION",
    "level": "MUST",
    "text": "A request MUST be visible only to the key that created it; any other key MUST receive 404, exactly as for an unknown id."
  },
  {
    "id": "ERROR-BODY",
    "level": "MUST",
    "text": "Every 4xx and 5xx response MUST carry a JSON body with a string `error` (`{\"error\": \"<message>\"}`)."
  },
  {
    "id": "ERROR-CODES",
    "level": "MUST",
    "extension": "error-codes",
    "text": "Where error codes are offered, every error body and every FAILED body MUST carry a `code` from the error table, the one the table names for the situation."
  },
  {
    "id": "VALIDATION-400",
    "level": "MUST",
    "text": "A server MUST answer 400 for a missing `image`, an unknown `method`, an unknown field or malformed JSON, and MUST NOT answer 5xx for a caller's mistake."
  },
  {
    "id": "V1-IMAGE",
    "level": "MUST",
    "text": "A 200 from `POST /v1/bg-removal` MUST carry a PNG with the width and height of the EXIF-oriented input and an alpha channel."
  },
  {
    "id": "OUTPUT-OPTIONS",
    "level": "MUST",
    "extension": "output-options",
    "text": "Where output options are offered, `format` `webp` MUST yield a WebP of the input size with alpha, `mask_only` MUST yield the alpha mask as an opaque greyscale image, an opaque `bg_color` MUST yield an opaque image flattened onto that colour, and `base64` MUST inline the COMPLETED output as a `data:` URI, each as its schema says."
  },
  {
    "id": "MULTIPART",
    "level": "MUST",
    "extension": "multipart",
    "text": "Where multipart is offered, both submit operations MUST accept `multipart/form-data` with the image as the file part `image` (the other fields as text parts) and MUST treat it as the JSON body with that image."
  },
  {
    "id": "V1-QUALITY",
    "level": "SHOULD",
    "text": "The alpha channel SHOULD separate the foreground from the background (alpha IoU of at least 0.9 at threshold 0.5 on an image with a known alpha)."
  },
  {
    "id": "V1-HUMAN",
    "level": "SHOULD",
    "text": "With `method` `human` a server SHOULD keep people and drop other objects, so its result SHOULD differ from `object` on an image with a person and another object."
  },
  {
    "id": "V2-SUBMIT",
    "level": "MUST",
    "text": "A submit MUST answer 200 with `request_id`, `status` `QUEUED`, and absolute `status_url`, `response_url` and `poll_url`."
  },
  {
    "id": "V2-STATE-ORDER",
    "level": "MUST",
    "text": "The status of a request MUST move only forward, QUEUED then PROCESSING then COMPLETED or FAILED, and MUST NOT change once terminal."
  },
  {
    "id": "V2-PENDING",
    "level": "MUST",
    "text": "While a request is QUEUED or PROCESSING the result endpoint MUST answer 200 or 202 with the status body and MUST NOT carry an `output`."
  },
  {
    "id": "V2-PENDING-202",
    "level": "MUST",
    "extension": "pending-202",
    "text": "Where offered, the result endpoint MUST answer 202, never 200, while the request is QUEUED or PROCESSING."
  },
  {
    "id": "V2-COMPLETED",
    "level": "MUST",
    "text": "A COMPLETED result MUST answer 200 with an `output` that fetches as the result image and a numeric `metrics.inference_time` in seconds."
  },
  {
    "id": "V2-FAILED-422",
    "level": "MUST",
    "text": "A FAILED request MUST be served as HTTP 422 with `status` `FAILED` and an `error`, by both the status and the result endpoints."
  },
  {
    "id": "V2-NOT-FOUND",
    "level": "MUST",
    "text": "An unknown, malformed or expired request id MUST yield 404 on the status and result endpoints (and on the output and cancel endpoints where offered)."
  },
  {
    "id": "V2-RETENTION",
    "level": "MUST",
    "text": "Status and result MUST stay available for the retention period (1 hour by default) after the request ends, and MUST yield 404 once it has passed."
  },
  {
    "id": "V2-OUTPUT-LIFETIME",
    "level": "MUST",
    "text": "The output of a COMPLETED request MUST stay fetchable for as long as the request itself."
  },
  {
    "id": "V2-OUTPUT-ENDPOINT",
    "level": "MUST",
    "extension": "output-endpoint",
    "text": "Where offered, `GET /v2/requests/{id}/output` MUST serve no image before the request is COMPLETED, and MUST answer 404 once the request has expired."
  },
  {
    "id": "V2-EXPIRES-AT",
    "level": "SHOULD",
    "extension": "expires-at",
    "text": "Where offered, `expires_at` of a terminal request SHOULD equal the completion time plus the retention period."
  },
  {
    "id": "V2-TIMESTAMPS",
    "level": "MUST",
    "extension": "timestamps",
    "text": "Where offered, `created_at`, `started_at` and `completed_at` MUST be RFC 3339 times in that order, each set once and never changed."
  },
  {
    "id": "V2-QUEUE-POSITION",
    "level": "MUST",
    "extension": "queue-position",
    "text": "Where offered, `queue_position` MUST be a non-negative integer and MUST appear only while the request is QUEUED."
  },
  {
    "id": "V2-CANCEL",
    "level": "MUST",
    "extension": "cancel",
    "text": "Where cancel is offered, the submit MUST return an absolute `cancel_url`, canceling a pending request MUST end it as FAILED (code `canceled` where error codes are offered), and canceling a terminal request MUST answer 409 and leave it unchanged."
  },
  {
    "id": "V2-IDEMPOTENCY",
    "level": "MUST",
    "extension": "idempotency",
    "text": "Where `Idempotency-Key` is honoured, the same key with the same body MUST return the same request without a second charge, and the same key with another body MUST answer 409."
  },
  {
    "id": "STATUS-STREAM",
    "level": "MUST",
    "extension": "status-stream",
    "text": "Where offered, the status URL with `Accept: text/event-stream` MUST answer Server-Sent Events: one `status` event per state change in forward order without repeats, the last one carrying exactly the terminal body the result endpoint serves, and then the stream MUST end."
  },
  {
    "id": "RATE-LIMIT",
    "level": "MUST",
    "text": "A 429 MUST carry `Retry-After`, and SHOULD carry `RateLimit` and `RateLimit-Policy`."
  },
  {
    "id": "CREDITS",
    "level": "MUST",
    "text": "A server MUST answer 406 when the key's balance cannot cover a new request, and MUST charge at most one credit per COMPLETED image, never for a FAILED one."
  },
  {
    "id": "WEBHOOK-SIGNED",
    "level": "MUST",
    "extension": "webhooks",
    "text": "Where webhooks are offered, the final body MUST be POSTed to the submit's `webhook`, signed with the Standard Webhooks scheme (HMAC-SHA256)."
  },
  {
    "id": "LATENCY",
    "level": "SHOULD",
    "text": "A server SHOULD complete a single image within its declared latency objective."
  }
] as const;

export type ClauseId = (typeof clauses)[number]['id'];
