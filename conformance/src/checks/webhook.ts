/** The webhooks extension: the final body POSTed to the submit's `webhook`, signed with the Standard Webhooks scheme. */
import { Webhook } from 'standardwebhooks';
import { CORE, type Check } from '../check.ts';
import { ensure, fail, skip } from '../outcome.ts';
import { webhookDelivery } from '../webhook-receiver.ts';

export const webhookChecks: Check[] = [
  {
    id: 'WEBHOOK-SIGNED',
    level: 'MUST',
    clause: 'WEBHOOK-SIGNED',
    extension: 'webhooks',
    profiles: CORE,
    sentence:
      "Where webhooks are offered, the final body MUST be POSTed to the submit's `webhook` (the suite's receiver, `--webhook-listen`) with a valid Standard Webhooks signature under `--webhook-secret`, and carry the request's terminal body.",
    async run(ctx) {
      const d = await webhookDelivery(ctx);
      const delivery = d.delivery!;
      const secret = ctx.options.webhookSecret;
      if (!secret) skip('a delivery arrived, but --webhook-secret is needed to verify its signature');
      const headers = Object.fromEntries(
        Object.entries(delivery.headers).map(([k, v]) => [k, Array.isArray(v) ? v.join(', ') : (v ?? '')]),
      );
      for (const h of ['webhook-id', 'webhook-timestamp', 'webhook-signature'])
        ensure(headers[h], `the delivery has no ${h} header`, d.result);
      try {
        new Webhook(secret).verify(delivery.body, headers);
      } catch (e) {
        fail(
          `the delivery's signature does not verify under --webhook-secret: ${(e as Error).message} (webhook-signature ${headers['webhook-signature']})`,
          d.result,
        );
      }
      let payload: Record<string, unknown>;
      try {
        payload = JSON.parse(delivery.body) as Record<string, unknown>;
      } catch {
        fail(`the delivery is not JSON: ${delivery.body.slice(0, 120)}`, d.result);
      }
      const final = (d.result?.json ?? {}) as Record<string, unknown>;
      ensure(
        payload.status === final.status,
        `the delivery says ${JSON.stringify(payload.status)}, the result ${JSON.stringify(final.status)}`,
        d.result,
      );
      ensure(
        payload.request_id === undefined || payload.request_id === d.requestId,
        `the delivery is for ${String(payload.request_id)}, not ${d.requestId}`,
        d.result,
      );
      return `signed delivery of ${String(payload.status)} for ${d.requestId}`;
    },
  },
];
