/** The faulty deployments: good-server with one clause broken, and the checks that must catch each. */
import type { RunOptions } from '../src/runner.ts';
import { goodWebhookSecret, type FaultName, type GoodServerOptions } from './good-server.ts';

export interface Fault {
  /** What the deployment does wrong (one clause). */
  breaks: string;
  /** Checks that MUST fail against it. */
  kills: string[];
  /** Checks run beside the killers so they see the traffic they judge (contract checks judge what the run saw). */
  also?: string[];
  /** Server settings the fault needs (e.g. a short retention to reach expiry). */
  server?: Omit<GoodServerOptions, 'fault'>;
  /** Suite settings beyond the defaults of the fault test. */
  run?: Partial<RunOptions>;
}

/** The suite's webhook receiver on a free port, with the good server's secret. */
export const webhookRun = { webhookListen: '127.0.0.1:0', webhookSecret: goodWebhookSecret };

/** A short retention so expiry faults show within a test. */
const shortRetention = { server: { retentionMs: 1500 }, run: { retentionS: 1.5, profile: 'full' as const } };

export const faults: Record<FaultName, Fault> = {
  'failed-200': {
    breaks: 'serves FAILED requests with HTTP 200',
    kills: [
      'V2-FAILED-422-STATUS',
      'V2-FAILED-422-RESULT',
      'V2-FAILED-UNDECODABLE',
      'CONTRACT-V2-STATUS',
      'CONTRACT-V2-RESULT',
    ],
  },
  'status-backwards': {
    breaks: 'reports PROCESSING again after COMPLETED',
    kills: ['V2-STATE-ORDER', 'FUZZ-LIFECYCLE'],
    run: { fuzzRuns: 50, seed: 4 },
  },
  'never-expires': { breaks: 'never forgets a request', kills: ['V2-RETENTION-EXPIRED-404'], ...shortRetention },
  'expires-early': {
    breaks: 'forgets requests after half the retention',
    kills: ['V2-RETENTION-SERVED'],
    ...shortRetention,
  },
  'output-expires-early': {
    breaks: 'drops the output after half the retention',
    kills: ['V2-OUTPUT-LIFETIME'],
    ...shortRetention,
  },
  'output-before-completed': {
    breaks: 'serves an output while the request is pending',
    kills: ['V2-NO-OUTPUT-BEFORE-COMPLETED'],
  },
  'output-never-expires': {
    breaks: 'keeps serving the output endpoint after the request expired',
    kills: ['V2-OUTPUT-EXPIRED-404'],
    ...shortRetention,
  },
  'result-200-pending': {
    breaks: 'answers the result endpoint with 202 while PROCESSING but 200 while QUEUED',
    kills: ['V2-PENDING-202'],
  },
  'result-409-pending': {
    breaks: 'answers the result endpoint with 409 while pending',
    kills: ['V2-PENDING-STATUS-BODY', 'CONTRACT-V2-RESULT'],
  },
  'wrong-content-type': { breaks: 'sends the v1 image as application/octet-stream', kills: ['V1-PNG', 'CONTRACT-V1'] },
  'output-wrong-content-type': {
    breaks: 'sends the v2 output as application/octet-stream',
    kills: ['CONTRACT-V2-OUTPUT'],
    also: ['V2-COMPLETED-OUTPUT'],
  },
  'wrong-dimensions': {
    breaks: 'returns images at half the input size',
    kills: ['V1-DIMENSIONS', 'V1-ALPHA', 'V1-WEBP', 'V2-COMPLETED-OUTPUT'],
  },
  'no-alpha': {
    breaks: 'returns images without an alpha channel',
    kills: ['V1-ALPHA', 'V1-WEBP', 'V2-COMPLETED-OUTPUT'],
  },
  'webp-ignored': { breaks: 'answers PNG when WebP is asked for', kills: ['V1-WEBP'] },
  'box-mask': { breaks: "keeps the foreground's whole bounding box", kills: ['V1-QUALITY-IOU'] },
  'human-ignored': { breaks: 'treats `human` as `object`', kills: ['V1-HUMAN-DIFFERS'] },
  'leak-other-key': { breaks: 'shows a request to a key that did not create it', kills: ['AUTH-ISOLATION-404'] },
  'no-auth': { breaks: 'requires no key at all', kills: ['AUTH-401-MISSING-KEY', 'AUTH-401-WRONG-KEY'] },
  'any-key': { breaks: 'accepts any key value', kills: ['AUTH-401-WRONG-KEY'] },
  '500-on-caller-mistake': {
    breaks: "answers a caller's mistake with 500",
    kills: [
      'VALIDATION-MISSING-IMAGE',
      'VALIDATION-BAD-METHOD',
      'VALIDATION-UNKNOWN-FIELD',
      'VALIDATION-MALFORMED-JSON',
      'V1-UNDECODABLE-4XX',
    ],
  },
  'submit-missing-urls': {
    breaks: 'omits poll_url and cancel_url from the submit',
    kills: ['V2-SUBMIT-FIELDS', 'V2-SUBMIT-ABSOLUTE-URLS', 'V2-SUBMIT-CANCEL-URL', 'CONTRACT-V2-SUBMIT'],
  },
  'relative-urls': {
    breaks: 'returns relative URLs from the submit',
    kills: ['V2-SUBMIT-ABSOLUTE-URLS', 'V2-SUBMIT-CANCEL-URL', 'CONTRACT-V2-SUBMIT'],
  },
  '429-no-retry-after': {
    breaks: 'sends 429 without Retry-After',
    kills: ['RATE-LIMIT-RETRY-AFTER'],
    run: { profile: 'full' },
  },
  'no-ratelimit-headers': {
    breaks: 'sends 429 without RateLimit and RateLimit-Policy',
    kills: ['RATE-LIMIT-POLICY-HEADERS'],
    run: { profile: 'full' },
  },
  'expires-at-wrong': { breaks: 'announces expires_at at twice the retention', kills: ['V2-EXPIRES-AT'] },
  'cancel-terminal-200': {
    breaks: 'answers a cancel of a finished request with 200',
    kills: ['V2-CANCEL-TERMINAL-409', 'CONTRACT-V2-CANCEL'],
  },
  'cancel-no-effect': {
    breaks: 'acknowledges a cancel but completes the request anyway',
    kills: ['V2-CANCEL-PENDING'],
  },
  'idempotency-new-id': { breaks: 'creates a new request on an idempotent replay', kills: ['V2-IDEMPOTENCY-REPLAY'] },
  'idempotency-charge-twice': {
    breaks: 'charges again on an idempotent replay',
    kills: ['V2-IDEMPOTENCY-NO-DOUBLE-CHARGE'],
  },
  'idempotency-no-conflict': {
    breaks: 'replays the original request for a reused key with another body',
    kills: ['V2-IDEMPOTENCY-CONFLICT-409'],
  },
  'unknown-id-no-code': {
    breaks: 'answers 404 without an error code (other errors carry one)',
    kills: ['ERROR-CODES'],
    also: ['V2-NOT-FOUND-UNKNOWN'],
  },
  'failed-no-code': {
    breaks: 'serves FAILED bodies without a code (error bodies carry one)',
    kills: ['ERROR-CODES'],
    also: ['V2-FAILED-422-STATUS'],
  },
  'error-not-json': {
    breaks: 'answers 404 as text/plain',
    kills: ['CONTRACT-ERROR-BODY', 'CONTRACT-V2-STATUS'],
    also: ['V2-NOT-FOUND-UNKNOWN'],
  },
  'unknown-id-410': {
    breaks: 'answers 410 Gone for an unknown request id',
    kills: ['V2-NOT-FOUND-UNKNOWN', 'CONTRACT-V2-STATUS'],
  },
  'malformed-id-400': { breaks: 'answers 400 for a malformed request id', kills: ['V2-NOT-FOUND-MALFORMED'] },
  'no-inference-time': {
    breaks: 'omits metrics.inference_time',
    kills: ['V2-COMPLETED-METRICS', 'CONTRACT-V2-RESULT'],
  },
  'charges-failed': { breaks: 'charges a credit for a FAILED request', kills: ['CREDITS-NOT-CHARGED-FAILED'] },
  'timestamps-backwards': {
    breaks: 'moves created_at after started_at once the request starts',
    kills: ['V2-TIMESTAMPS'],
  },
  'queue-position-processing': { breaks: 'reports queue_position while PROCESSING', kills: ['V2-QUEUE-POSITION'] },
  'scope-ignored': {
    breaks: 'lets a key without the v2 scope submit',
    kills: ['AUTH-SCOPE-403'],
    run: { scopedKey: 'key-v1' },
  },
  'no-credit-check': {
    breaks: 'accepts requests from a key with no credit left',
    kills: ['CREDITS-406'],
    run: { lowCreditKey: 'key-low' },
  },
  'webhook-bad-signature': { breaks: 'signs webhooks with another secret', kills: ['WEBHOOK-SIGNED'], run: webhookRun },
  'stream-repeats': {
    breaks: 'sends the first state of a status stream twice',
    kills: ['STATUS-STREAM-EVENTS', 'STATUS-STREAM-TERMINAL'],
  },
  'stream-terminal-status-body': {
    breaks: 'ends a status stream with the status body instead of the result body',
    kills: ['STATUS-STREAM-TERMINAL'],
  },
  'stream-never-ends': {
    breaks: 'keeps a status stream open after its terminal event',
    kills: ['STATUS-STREAM-EVENTS', 'STATUS-STREAM-TERMINAL'],
  },
  'mask-inverted': {
    breaks: 'answers `mask_only` with the background white and the foreground black',
    kills: ['V1-MASK-ONLY'],
  },
  'bg-color-swapped': { breaks: 'reads `bg_color` as #bbggrr', kills: ['V1-BG-COLOR'] },
  'base64-ignored': {
    breaks: 'answers `base64` with an output URL instead of a data URI',
    kills: ['V2-BASE64-OUTPUT'],
  },
  'multipart-no-alpha': {
    breaks: 'drops the alpha channel of images uploaded as multipart',
    kills: ['V1-MULTIPART', 'V2-MULTIPART'],
  },
  // Found only by generated inputs: no fixture body sends a `method` that is not a string.
  'method-type-500': {
    breaks: 'answers 500 when `method` is not a string',
    kills: ['FUZZ-BODIES'],
    run: { fuzzRuns: 60, seed: 1 },
  },
  slow: {
    breaks: 'takes 1.5 s longer per image',
    kills: ['LATENCY-V1', 'LATENCY-V2'],
    run: { latencySloS: 1, samples: 1 },
  },
};
