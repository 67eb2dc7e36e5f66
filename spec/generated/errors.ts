// Generated from openapi.yaml by `npm run generate`. Do not edit by hand.
/** The error table (x-bgr-errors): stable code, HTTP status, default message. */
export const errorTable = [
  {
    "code": "invalid_parameter",
    "status": 400,
    "message": "The request is malformed or a parameter is invalid."
  },
  {
    "code": "invalid_image",
    "status": 400,
    "message": "The image could not be decoded."
  },
  {
    "code": "image_fetch_failed",
    "status": 400,
    "message": "The image URL could not be fetched."
  },
  {
    "code": "image_url_forbidden",
    "status": 400,
    "message": "The image URL points to an address that is not allowed."
  },
  {
    "code": "unauthorized",
    "status": 401,
    "message": "A valid x-api-key header is required."
  },
  {
    "code": "forbidden",
    "status": 403,
    "message": "This key may not use this operation."
  },
  {
    "code": "not_found",
    "status": 404,
    "message": "Request not found."
  },
  {
    "code": "insufficient_credits",
    "status": 406,
    "message": "Insufficient credits."
  },
  {
    "code": "idempotency_conflict",
    "status": 409,
    "message": "This Idempotency-Key was used with a different body."
  },
  {
    "code": "not_cancelable",
    "status": 409,
    "message": "The request has already ended."
  },
  {
    "code": "not_ready",
    "status": 409,
    "message": "The request has no output."
  },
  {
    "code": "request_timeout",
    "status": 408,
    "message": "The request was not received in time."
  },
  {
    "code": "payload_too_large",
    "status": 413,
    "message": "The request body is too large."
  },
  {
    "code": "image_too_large",
    "status": 413,
    "message": "The image has too many pixels."
  },
  {
    "code": "unsupported_media_type",
    "status": 415,
    "message": "This content type or image format is not supported."
  },
  {
    "code": "headers_too_large",
    "status": 431,
    "message": "The request headers are too large."
  },
  {
    "code": "rate_limited",
    "status": 429,
    "message": "Too many requests."
  },
  {
    "code": "queue_full",
    "status": 429,
    "message": "The queue is full."
  },
  {
    "code": "canceled",
    "status": 422,
    "message": "The request was canceled."
  },
  {
    "code": "inference_failed",
    "status": 500,
    "message": "Inference failed."
  },
  {
    "code": "internal",
    "status": 500,
    "message": "Internal server error."
  },
  {
    "code": "worker_unavailable",
    "status": 502,
    "message": "No inference worker is available."
  },
  {
    "code": "service_unavailable",
    "status": 503,
    "message": "The service is temporarily unavailable."
  },
  {
    "code": "deadline_exceeded",
    "status": 504,
    "message": "The image was not processed in time."
  }
] as const;
