/** The good server's webhooks: the final body POSTed with a Standard Webhooks signature. */
import { randomUUID } from 'node:crypto';
import { Webhook } from 'standardwebhooks';

/** The secret the good server signs webhooks with (Standard Webhooks format). */
export const goodWebhookSecret = `whsec_${Buffer.from('bgr-good-server-webhook-secret!!').toString('base64')}`;
/** Another secret, for the fault that signs with the wrong one. */
export const wrongWebhookSecret = `whsec_${Buffer.from('not-the-secret-of-this-server!!!').toString('base64')}`;

/** POSTs `body` to `url` signed under `secret`; a receiver that is down is not the server's failure. */
export async function deliverSigned(url: string, body: unknown, secret: string): Promise<void> {
  const payload = JSON.stringify(body);
  const id = `msg_${randomUUID()}`;
  const at = new Date();
  const signature = new Webhook(secret).sign(id, at, payload);
  await fetch(url, {
    method: 'POST',
    body: payload,
    signal: AbortSignal.timeout(5000),
    headers: {
      'content-type': 'application/json',
      'webhook-id': id,
      'webhook-timestamp': String(Math.floor(at.getTime() / 1000)),
      'webhook-signature': signature,
    },
  }).catch(() => {});
}
