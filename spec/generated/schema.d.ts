// Generated from openapi.yaml by `npm run generate`. Do not edit by hand.
export interface paths {
    "/v1/bg-removal": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /**
         * Remove the background (sync)
         * @description Returns the image with its background made transparent, as PNG by default.
         *     Responses are never 422 here: a bad image is the caller's mistake (400, 413 or 415).
         */
        post: operations["removeBackground"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v2/bg-removal": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /**
         * Submit a request (async)
         * @description Queues the image and answers at once with the request id and the URLs to poll. Each submit
         *     creates a new request unless an `Idempotency-Key` repeats an earlier one with the same body.
         */
        post: operations["submitRemoval"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v2/requests/{request_id}/status": {
        parameters: {
            query?: never;
            header?: never;
            path: {
                /**
                 * @description The id returned by the submit. Opaque; an unknown or malformed id answers 404.
                 * @example 6f1c2b3a-4d5e-4f60-8a71-92b3c4d5e6f7
                 */
                request_id: components["parameters"]["RequestId"];
            };
            cookie?: never;
        };
        /**
         * Get the status of a request
         * @description The status body never carries the output. A FAILED request answers 422.
         */
        get: operations["getRequestStatus"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v2/requests/{request_id}": {
        parameters: {
            query?: never;
            header?: never;
            path: {
                /**
                 * @description The id returned by the submit. Opaque; an unknown or malformed id answers 404.
                 * @example 6f1c2b3a-4d5e-4f60-8a71-92b3c4d5e6f7
                 */
                request_id: components["parameters"]["RequestId"];
            };
            cookie?: never;
        };
        /**
         * Get the result of a request
         * @description 200 with the output once COMPLETED; while pending, the status body without `output`, as 200
         *     (the production service, core) or 202 (the `pending-202` extension); 422 once FAILED.
         */
        get: operations["getRequestResult"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v2/requests/{request_id}/output": {
        parameters: {
            query?: never;
            header?: never;
            path: {
                /**
                 * @description The id returned by the submit. Opaque; an unknown or malformed id answers 404.
                 * @example 6f1c2b3a-4d5e-4f60-8a71-92b3c4d5e6f7
                 */
                request_id: components["parameters"]["RequestId"];
            };
            cookie?: never;
        };
        /**
         * Download the result image
         * @description The output image of a COMPLETED request; it expires with its request.
         */
        get: operations["getRequestOutput"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v2/requests/{request_id}/cancel": {
        parameters: {
            query?: never;
            header?: never;
            path: {
                /**
                 * @description The id returned by the submit. Opaque; an unknown or malformed id answers 404.
                 * @example 6f1c2b3a-4d5e-4f60-8a71-92b3c4d5e6f7
                 */
                request_id: components["parameters"]["RequestId"];
            };
            cookie?: never;
        };
        get?: never;
        put?: never;
        /**
         * Cancel a pending request
         * @description A QUEUED or PROCESSING request ends as FAILED with code `canceled` (the four states stay four);
         *     the answer is 200 with its FAILED body. A request that has already ended is left as it is (409).
         */
        post: operations["cancelRequest"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
}
export interface webhooks {
    requestFinished: {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /**
         * A request ended (sent to the submit's `webhook`)
         * @description The final body (COMPLETED result or FAILED body) is POSTed to the `webhook` URL, signed with the
         *     Standard Webhooks scheme: `webhook-signature` is `v1,<base64 HMAC-SHA256>` of
         *     `<webhook-id>.<webhook-timestamp>.<body>` under the deployment's secret. Delivery is retried
         *     with backoff a bounded number of times until the receiver answers 2xx.
         */
        post: operations["requestFinished"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
}
export interface components {
    schemas: {
        /**
         * @description An `http(s)` URL, a `data:` URI, or raw base64 of the image bytes.
         * @example https://example.com/photo.jpg
         */
        Image: string;
        /**
         * @description `object` keeps every salient object; `human` keeps people only.
         * @default object
         * @enum {string}
         */
        Method: "object" | "human";
        /**
         * @description The encoding of the output image.
         * @default png
         * @enum {string}
         */
        OutputFormat: "png" | "webp";
        /**
         * @description Return the alpha mask instead of the cut-out: an opaque greyscale image of the input size (no alpha
         *     channel, or a fully opaque one), encoded as `format` says, whose grey level at each pixel is the alpha
         *     the cut-out would have there (255 foreground, 0 background). It takes precedence over `bg_color`.
         * @default false
         */
        MaskOnly: boolean;
        /**
         * @description Composite the cut-out over this colour instead of transparency. An opaque colour (`#rrggbb`, or `#rrggbbaa`
         *     with `aa` `ff`) flattens it: the result is opaque (no alpha channel, or a fully opaque one) and each pixel
         *     is `input × alpha + colour × (1 − alpha)`, so the removed background is that colour. A translucent
         *     `#rrggbbaa` composites the cut-out over the colour ("over" operator) and the result keeps its alpha.
         * @example #ffffff
         */
        BgColor: string;
        /**
         * Format: uri
         * @description An `http(s)` URL that receives the final body when the request ends (see the `requestFinished` webhook).
         */
        Webhook: string;
        /**
         * @description The `output` of the COMPLETED result is then a `data:` URI of the output image (`data:<media type>;base64,<bytes>`, the media type `image/png` or `image/webp` as `format` says) instead of a URL.
         * @default false
         */
        Base64Output: boolean;
        /** @description The JSON body of a sync removal. Unknown properties are rejected with 400. */
        RemoveRequest: {
            image: components["schemas"]["Image"];
            method?: components["schemas"]["Method"];
            format?: components["schemas"]["OutputFormat"];
            mask_only?: components["schemas"]["MaskOnly"];
            bg_color?: components["schemas"]["BgColor"];
        };
        /** @description The multipart body of a sync removal; `image` is the file part. */
        RemoveMultipart: {
            /**
             * Format: binary
             * @description The image file.
             */
            image: string;
            method?: components["schemas"]["Method"];
            format?: components["schemas"]["OutputFormat"];
            mask_only?: components["schemas"]["MaskOnly"];
            bg_color?: components["schemas"]["BgColor"];
        };
        /** @description The JSON body of an async submit. Unknown properties are rejected with 400. */
        SubmitRequest: {
            image: components["schemas"]["Image"];
            method?: components["schemas"]["Method"];
            format?: components["schemas"]["OutputFormat"];
            mask_only?: components["schemas"]["MaskOnly"];
            bg_color?: components["schemas"]["BgColor"];
            webhook?: components["schemas"]["Webhook"];
            base64?: components["schemas"]["Base64Output"];
        };
        /** @description The multipart body of an async submit; `image` is the file part. */
        SubmitMultipart: {
            /**
             * Format: binary
             * @description The image file.
             */
            image: string;
            method?: components["schemas"]["Method"];
            format?: components["schemas"]["OutputFormat"];
            mask_only?: components["schemas"]["MaskOnly"];
            bg_color?: components["schemas"]["BgColor"];
            webhook?: components["schemas"]["Webhook"];
            base64?: components["schemas"]["Base64Output"];
        };
        /** @description The answer to a submit. */
        SubmitResponse: {
            /** @description Unguessable id (at least 122 random bits). */
            request_id: string;
            /** @constant */
            status: "QUEUED";
            /**
             * Format: uri
             * @description Absolute URL of the status endpoint.
             */
            status_url: string;
            /**
             * Format: uri
             * @description Absolute URL of the result endpoint.
             */
            response_url: string;
            /**
             * Format: uri
             * @description Legacy alias of `status_url`, kept for older clients.
             */
            poll_url: string;
            /**
             * Format: uri
             * @description Absolute URL of the cancel endpoint (the `cancel` extension).
             */
            cancel_url?: string;
        };
        /** @description Timings in seconds; `remaining_credits` once charged (absent for unlimited keys). */
        Metrics: {
            inference_time?: number;
            queue_time?: number;
            total_time?: number;
            remaining_credits?: number;
        };
        /** @description The metrics of a COMPLETED request; `inference_time` is always present (production sends it alone on the result). */
        CompletedMetrics: {
            /** @description Seconds spent in inference. */
            inference_time: number;
            /** @description Seconds spent waiting for a worker. */
            queue_time?: number;
            /** @description Seconds from submit to completion. */
            total_time?: number;
            remaining_credits?: number;
        };
        /** @description When the request moved through its states (RFC 3339; the `timestamps` extension), and when it will be forgotten (the `expires-at` extension). */
        Timestamps: {
            /** Format: date-time */
            created_at?: string;
            /** Format: date-time */
            started_at?: string;
            /** Format: date-time */
            completed_at?: string;
            /**
             * Format: date-time
             * @description When status, result and output stop being served (completion + retention).
             */
            expires_at?: string;
        };
        /** @description The status of a request that has not failed. It never carries the output. */
        StatusBody: components["schemas"]["Timestamps"] & {
            request_id: string;
            /** @enum {string} */
            status: "QUEUED" | "PROCESSING" | "COMPLETED";
            /** @description Requests ahead of this one, while QUEUED (the `queue-position` extension). */
            queue_position?: number;
            metrics: components["schemas"]["Metrics"];
            /** Format: uri */
            status_url?: string;
            /** Format: uri */
            response_url?: string;
        };
        /** @description The status body of a request still QUEUED or PROCESSING (what the result endpoint answers while pending, as 200 or 202). */
        PendingBody: components["schemas"]["StatusBody"] & {
            /** @enum {string} */
            status?: "QUEUED" | "PROCESSING";
            output?: never;
        };
        /** @description The result of a COMPLETED request. */
        ResultBody: components["schemas"]["Timestamps"] & {
            /** @description The request id (production omits it on the result). */
            request_id?: string;
            /** @constant */
            status: "COMPLETED";
            /**
             * Format: uri
             * @description Absolute URL of `/v2/requests/{id}/output`, or a `data:` URI when `base64` was set.
             */
            output: string;
            metrics: components["schemas"]["CompletedMetrics"];
            error?: null;
        };
        /** @description The body of a FAILED request (served with HTTP 422 by the status and result endpoints). */
        FailedBody: components["schemas"]["Timestamps"] & {
            request_id: string;
            /** @constant */
            status: "FAILED";
            /** @description A human-readable reason. */
            error: string;
            code?: components["schemas"]["ErrorCode"];
            metrics: components["schemas"]["Metrics"];
        };
        /**
         * @description A stable error code; the table `x-bgr-errors` gives each one's HTTP status and message.
         *     `request_timeout` (408) and `headers_too_large` (431) come from the HTTP layer, before a request
         *     reaches an operation (a client too slow to send its request, a request head too large): no
         *     operation lists them, and a client meets them only on a broken connection or a hostile request.
         * @enum {string}
         */
        ErrorCode: "invalid_parameter" | "invalid_image" | "image_fetch_failed" | "image_url_forbidden" | "unauthorized" | "forbidden" | "not_found" | "insufficient_credits" | "idempotency_conflict" | "not_cancelable" | "not_ready" | "request_timeout" | "payload_too_large" | "image_too_large" | "unsupported_media_type" | "headers_too_large" | "rate_limited" | "queue_full" | "canceled" | "inference_failed" | "internal" | "worker_unavailable" | "service_unavailable" | "deadline_exceeded";
        /** @description The body of every 4xx and 5xx response except 422: `{"error": "<message>"}`, plus `code` where the `error-codes` extension is offered. It carries no `request_id`: in a body that name is only ever the id of a v2 request, and an error answers an HTTP exchange, whose trace id is the `x-request-id` header. */
        Error: {
            /** @description A human-readable message. */
            error: string;
            code?: components["schemas"]["ErrorCode"];
        };
    };
    responses: {
        /** @description The request is malformed, a parameter is invalid, or the image cannot be used. */
        BadRequest: {
            headers: {
                "x-request-id": components["headers"]["TraceId"];
                [name: string]: unknown;
            };
            content: {
                "application/json": components["schemas"]["Error"];
            };
        };
        /** @description The `x-api-key` header is missing or unknown. */
        Unauthorized: {
            headers: {
                "x-request-id": components["headers"]["TraceId"];
                [name: string]: unknown;
            };
            content: {
                "application/json": components["schemas"]["Error"];
            };
        };
        /** @description The key lacks the scope of this operation. */
        Forbidden: {
            headers: {
                "x-request-id": components["headers"]["TraceId"];
                [name: string]: unknown;
            };
            content: {
                "application/json": components["schemas"]["Error"];
            };
        };
        /** @description The request is unknown, expired, or belongs to another key. */
        NotFound: {
            headers: {
                "x-request-id": components["headers"]["TraceId"];
                [name: string]: unknown;
            };
            content: {
                "application/json": components["schemas"]["Error"];
            };
        };
        /** @description The key's balance cannot cover a new request. */
        InsufficientCredits: {
            headers: {
                "x-request-id": components["headers"]["TraceId"];
                [name: string]: unknown;
            };
            content: {
                "application/json": components["schemas"]["Error"];
            };
        };
        /** @description The request conflicts with the state of the resource (idempotency key reused with another body; cancel of an ended request; output of a request without one). */
        Conflict: {
            headers: {
                "x-request-id": components["headers"]["TraceId"];
                [name: string]: unknown;
            };
            content: {
                "application/json": components["schemas"]["Error"];
            };
        };
        /** @description The body or the image is too large. */
        PayloadTooLarge: {
            headers: {
                "x-request-id": components["headers"]["TraceId"];
                [name: string]: unknown;
            };
            content: {
                "application/json": components["schemas"]["Error"];
            };
        };
        /** @description The content type or the image format is not supported (SVG is never accepted). */
        UnsupportedMediaType: {
            headers: {
                "x-request-id": components["headers"]["TraceId"];
                [name: string]: unknown;
            };
            content: {
                "application/json": components["schemas"]["Error"];
            };
        };
        /** @description Too many requests for this key, or the queue is full. */
        RateLimited: {
            headers: {
                "x-request-id": components["headers"]["TraceId"];
                "Retry-After": components["headers"]["RetryAfter"];
                RateLimit: components["headers"]["RateLimit"];
                "RateLimit-Policy": components["headers"]["RateLimitPolicy"];
                [name: string]: unknown;
            };
            content: {
                "application/json": components["schemas"]["Error"];
            };
        };
        /** @description The request FAILED (also when it was canceled or its image could not be used). */
        Failed: {
            headers: {
                "x-request-id": components["headers"]["TraceId"];
                [name: string]: unknown;
            };
            content: {
                "application/json": components["schemas"]["FailedBody"];
            };
        };
        /** @description A server bug; the `x-request-id` header carries the trace id that is in the log. Never a stack trace. */
        Internal: {
            headers: {
                "x-request-id": components["headers"]["TraceId"];
                [name: string]: unknown;
            };
            content: {
                "application/json": components["schemas"]["Error"];
            };
        };
        /** @description No inference worker is available. */
        BadGateway: {
            headers: {
                "x-request-id": components["headers"]["TraceId"];
                [name: string]: unknown;
            };
            content: {
                "application/json": components["schemas"]["Error"];
            };
        };
        /** @description A backing service (the queue or the store) is unreachable for now; retry later. */
        ServiceUnavailable: {
            headers: {
                "x-request-id": components["headers"]["TraceId"];
                "Retry-After": components["headers"]["RetryAfter"];
                [name: string]: unknown;
            };
            content: {
                "application/json": components["schemas"]["Error"];
            };
        };
        /** @description The image was not processed within the sync deadline. */
        GatewayTimeout: {
            headers: {
                "x-request-id": components["headers"]["TraceId"];
                [name: string]: unknown;
            };
            content: {
                "application/json": components["schemas"]["Error"];
            };
        };
    };
    parameters: {
        /**
         * @description The id returned by the submit. Opaque; an unknown or malformed id answers 404.
         * @example 6f1c2b3a-4d5e-4f60-8a71-92b3c4d5e6f7
         */
        RequestId: string;
        /**
         * @description Repeat a submit safely (IETF draft). The same key with the same body within the retention
         *     period returns the original request, without a second charge; the same key with another body
         *     answers 409 `idempotency_conflict`.
         * @example order-4711-photo-2
         */
        IdempotencyKey: string;
    };
    requestBodies: never;
    headers: {
        /** @description The trace id of this HTTP exchange, also written to the server's log: quote it when reporting a problem. It is not a v2 request id (a body's `request_id` is only ever that), and an idempotent replay gets its own. */
        TraceId: string;
        /** @description Seconds spent in inference. */
        InferenceTime: number;
        /** @description Credits left on the key after this request; absent for unlimited keys. */
        RemainingCredits: number;
        /** @description Seconds to wait before retrying (RFC 9110). */
        RetryAfter: number;
        /** @description Remaining quota and seconds to reset (IETF draft), e.g. `"default";r=0;t=30`. */
        RateLimit: string;
        /** @description The quota policy (IETF draft), e.g. `"default";q=50;w=60`. */
        RateLimitPolicy: string;
    };
    pathItems: never;
}
export type $defs = Record<string, never>;
export interface operations {
    removeBackground: {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody: {
            content: {
                "application/json": components["schemas"]["RemoveRequest"];
                "multipart/form-data": components["schemas"]["RemoveMultipart"];
            };
        };
        responses: {
            /** @description The image without its background. */
            200: {
                headers: {
                    "x-request-id": components["headers"]["TraceId"];
                    "x-inference-time": components["headers"]["InferenceTime"];
                    "x-remaining-credits": components["headers"]["RemainingCredits"];
                    [name: string]: unknown;
                };
                content: {
                    "image/png": string;
                    "image/webp": string;
                };
            };
            400: components["responses"]["BadRequest"];
            401: components["responses"]["Unauthorized"];
            403: components["responses"]["Forbidden"];
            406: components["responses"]["InsufficientCredits"];
            413: components["responses"]["PayloadTooLarge"];
            415: components["responses"]["UnsupportedMediaType"];
            429: components["responses"]["RateLimited"];
            500: components["responses"]["Internal"];
            502: components["responses"]["BadGateway"];
            503: components["responses"]["ServiceUnavailable"];
            504: components["responses"]["GatewayTimeout"];
        };
    };
    submitRemoval: {
        parameters: {
            query?: never;
            header?: {
                /**
                 * @description Repeat a submit safely (IETF draft). The same key with the same body within the retention
                 *     period returns the original request, without a second charge; the same key with another body
                 *     answers 409 `idempotency_conflict`.
                 * @example order-4711-photo-2
                 */
                "Idempotency-Key"?: components["parameters"]["IdempotencyKey"];
            };
            path?: never;
            cookie?: never;
        };
        requestBody: {
            content: {
                "application/json": components["schemas"]["SubmitRequest"];
                "multipart/form-data": components["schemas"]["SubmitMultipart"];
            };
        };
        responses: {
            /** @description The request was queued. */
            200: {
                headers: {
                    "x-request-id": components["headers"]["TraceId"];
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["SubmitResponse"];
                };
            };
            400: components["responses"]["BadRequest"];
            401: components["responses"]["Unauthorized"];
            403: components["responses"]["Forbidden"];
            406: components["responses"]["InsufficientCredits"];
            409: components["responses"]["Conflict"];
            413: components["responses"]["PayloadTooLarge"];
            415: components["responses"]["UnsupportedMediaType"];
            429: components["responses"]["RateLimited"];
            500: components["responses"]["Internal"];
            503: components["responses"]["ServiceUnavailable"];
        };
    };
    getRequestStatus: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                /**
                 * @description The id returned by the submit. Opaque; an unknown or malformed id answers 404.
                 * @example 6f1c2b3a-4d5e-4f60-8a71-92b3c4d5e6f7
                 */
                request_id: components["parameters"]["RequestId"];
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description The request is queued, processing or completed. */
            200: {
                headers: {
                    "x-request-id": components["headers"]["TraceId"];
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["StatusBody"];
                    "text/event-stream": string;
                };
            };
            401: components["responses"]["Unauthorized"];
            403: components["responses"]["Forbidden"];
            404: components["responses"]["NotFound"];
            422: components["responses"]["Failed"];
            429: components["responses"]["RateLimited"];
            500: components["responses"]["Internal"];
            503: components["responses"]["ServiceUnavailable"];
        };
    };
    getRequestResult: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                /**
                 * @description The id returned by the submit. Opaque; an unknown or malformed id answers 404.
                 * @example 6f1c2b3a-4d5e-4f60-8a71-92b3c4d5e6f7
                 */
                request_id: components["parameters"]["RequestId"];
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description The request completed (or, on a deployment without `pending-202`, is still pending and answers its status body). */
            200: {
                headers: {
                    "x-request-id": components["headers"]["TraceId"];
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ResultBody"] | components["schemas"]["PendingBody"];
                };
            };
            /** @description The request is still queued or processing (the `pending-202` extension). */
            202: {
                headers: {
                    "x-request-id": components["headers"]["TraceId"];
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["PendingBody"];
                };
            };
            401: components["responses"]["Unauthorized"];
            403: components["responses"]["Forbidden"];
            404: components["responses"]["NotFound"];
            422: components["responses"]["Failed"];
            429: components["responses"]["RateLimited"];
            500: components["responses"]["Internal"];
            503: components["responses"]["ServiceUnavailable"];
        };
    };
    getRequestOutput: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                /**
                 * @description The id returned by the submit. Opaque; an unknown or malformed id answers 404.
                 * @example 6f1c2b3a-4d5e-4f60-8a71-92b3c4d5e6f7
                 */
                request_id: components["parameters"]["RequestId"];
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description The result image. */
            200: {
                headers: {
                    "x-request-id": components["headers"]["TraceId"];
                    [name: string]: unknown;
                };
                content: {
                    "image/png": string;
                    "image/webp": string;
                };
            };
            401: components["responses"]["Unauthorized"];
            403: components["responses"]["Forbidden"];
            404: components["responses"]["NotFound"];
            409: components["responses"]["Conflict"];
            429: components["responses"]["RateLimited"];
            500: components["responses"]["Internal"];
            503: components["responses"]["ServiceUnavailable"];
        };
    };
    cancelRequest: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                /**
                 * @description The id returned by the submit. Opaque; an unknown or malformed id answers 404.
                 * @example 6f1c2b3a-4d5e-4f60-8a71-92b3c4d5e6f7
                 */
                request_id: components["parameters"]["RequestId"];
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description The request was canceled. */
            200: {
                headers: {
                    "x-request-id": components["headers"]["TraceId"];
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["FailedBody"];
                };
            };
            401: components["responses"]["Unauthorized"];
            403: components["responses"]["Forbidden"];
            404: components["responses"]["NotFound"];
            409: components["responses"]["Conflict"];
            429: components["responses"]["RateLimited"];
            500: components["responses"]["Internal"];
            503: components["responses"]["ServiceUnavailable"];
        };
    };
    requestFinished: {
        parameters: {
            query?: never;
            header: {
                /** @description Unique id of this message (the same on retries). */
                "webhook-id": string;
                /** @description Unix seconds when the message was signed. */
                "webhook-timestamp": string;
                /** @description Space-separated `v1,<base64>` signatures. */
                "webhook-signature": string;
            };
            path?: never;
            cookie?: never;
        };
        requestBody: {
            content: {
                "application/json": components["schemas"]["ResultBody"] | components["schemas"]["FailedBody"];
            };
        };
        responses: {
            /** @description Any 2xx acknowledges the delivery. */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content?: never;
            };
        };
    };
}
