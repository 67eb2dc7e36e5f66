// Generated from openapi.yaml by `npm run generate`. Do not edit by hand.
import type { components } from './schema.d.ts';

export type { paths, components, operations, webhooks } from './schema.d.ts';
export type Image = components['schemas']['Image'];
export type Method = components['schemas']['Method'];
export type OutputFormat = components['schemas']['OutputFormat'];
export type MaskOnly = components['schemas']['MaskOnly'];
export type BgColor = components['schemas']['BgColor'];
export type Webhook = components['schemas']['Webhook'];
export type Base64Output = components['schemas']['Base64Output'];
export type RemoveRequest = components['schemas']['RemoveRequest'];
export type RemoveMultipart = components['schemas']['RemoveMultipart'];
export type SubmitRequest = components['schemas']['SubmitRequest'];
export type SubmitMultipart = components['schemas']['SubmitMultipart'];
export type SubmitResponse = components['schemas']['SubmitResponse'];
export type Metrics = components['schemas']['Metrics'];
export type CompletedMetrics = components['schemas']['CompletedMetrics'];
export type Timestamps = components['schemas']['Timestamps'];
export type StatusBody = components['schemas']['StatusBody'];
export type PendingBody = components['schemas']['PendingBody'];
export type ResultBody = components['schemas']['ResultBody'];
export type FailedBody = components['schemas']['FailedBody'];
export type ErrorCode = components['schemas']['ErrorCode'];
export type Error = components['schemas']['Error'];
