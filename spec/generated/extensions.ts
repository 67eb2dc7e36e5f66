// Generated from openapi.yaml by `npm run generate`. Do not edit by hand.
/** The named extensions (x-bgr-extensions) beyond the core API; a clause with an `extension` applies only where it is offered. */
export const extensions = [
  {
    "name": "error-codes",
    "summary": "Error bodies and FAILED bodies carry a stable `code` from the error table (`x-bgr-errors`).",
    "detected": "offered when any error body the suite sees carries a `code` (it probes an unknown id too)."
  },
  {
    "name": "pending-202",
    "summary": "The result endpoint answers 202 (not 200) with the status body while the request is pending.",
    "detected": "offered when a pending result is answered 202."
  },
  {
    "name": "expires-at",
    "summary": "Status and result bodies of a terminal request announce `expires_at` (completion + retention).",
    "detected": "offered when a terminal status or result body carries `expires_at`."
  },
  {
    "name": "timestamps",
    "summary": "Status and result bodies carry `created_at`, `started_at` and `completed_at` (RFC 3339).",
    "detected": "offered when a status body carries `created_at`."
  },
  {
    "name": "queue-position",
    "summary": "A QUEUED status body carries `queue_position`, the number of requests ahead of it.",
    "detected": "offered when a status body carries `queue_position`."
  },
  {
    "name": "cancel",
    "summary": "`POST /v2/requests/{id}/cancel` ends a pending request as FAILED (`canceled`); the submit returns `cancel_url`.",
    "detected": "offered when the submit returns `cancel_url`, or a cancel of an existing request answers anything but 404, 405 or 501."
  },
  {
    "name": "idempotency",
    "summary": "An `Idempotency-Key` header makes a submit safe to repeat.",
    "detected": "offered when a repeated key returns the same request or a reused key with another body answers 409."
  },
  {
    "name": "webhooks",
    "summary": "A submit's `webhook` URL receives the final body, signed with the Standard Webhooks scheme.",
    "detected": "offered when a submit with `webhook` is accepted and a delivery reaches the suite's receiver (`--webhook-listen`)."
  },
  {
    "name": "output-endpoint",
    "summary": "`GET /v2/requests/{id}/output` serves the result image and expires with the request.",
    "detected": "offered when that endpoint serves the image of a COMPLETED request."
  },
  {
    "name": "output-options",
    "summary": "`format` (png|webp), `mask_only`, `bg_color` and `base64` in the submit bodies.",
    "detected": "offered when a sync removal with `format` `webp` is not rejected with 400."
  },
  {
    "name": "status-stream",
    "summary": "The status URL answers `Accept: text/event-stream` with Server-Sent Events, one per state change, ending with the terminal body.",
    "detected": "offered when the status URL answers `text/event-stream` to that Accept header."
  },
  {
    "name": "multipart",
    "summary": "The submit operations also accept `multipart/form-data` with the image as a file part.",
    "detected": "offered when a sync removal sent as `multipart/form-data` (the image as the file part `image`) answers 200; not offered when it answers 400 or 415."
  }
] as const;

export type ExtensionName = (typeof extensions)[number]['name'];
