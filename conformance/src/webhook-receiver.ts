/** The suite's webhook receiver (`--webhook-listen HOST:PORT`): one submit with a `webhook`, and what was delivered to it. */
import { randomUUID } from 'node:crypto';
import { createServer, type IncomingHttpHeaders } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { CheckContext } from './context.ts';
import { parseSubmit, waitTerminal } from './flows.ts';
import type { Exchange } from './http.ts';

export interface Delivery {
  headers: IncomingHttpHeaders;
  body: string;
  at: number;
}

export interface WebhookRun {
  submit: Exchange;
  requestId?: string;
  /** The final body as the result endpoint serves it (when the request ended). */
  result?: Exchange;
  delivery?: Delivery;
  waitedS: number;
}

/** How long to wait for a delivery after the request ended. */
const graceS = 10;

/** Parses `host:port` (port 0: any free port; IPv6 as `[::1]:port`). */
export function parseListen(listen: string): { host: string; port: number } {
  const m = /^(\[[^\]]+\]|[^:]+):(\d{1,5})$/.exec(listen);
  if (!m || Number(m[2]) > 65535) throw new Error(`--webhook-listen must be HOST:PORT, got '${listen}'`);
  return { host: m[1]!.replace(/^\[|\]$/g, ''), port: Number(m[2]) };
}

/** Listens, submits the disc fixture with a webhook to the receiver, waits for the end and then for a delivery (memoised). */
export function webhookDelivery(ctx: CheckContext): Promise<WebhookRun> {
  return ctx.memo('webhook', async () => {
    const { host, port } = parseListen(ctx.options.webhookListen!);
    const path = `/bgr-conformance/${randomUUID()}`;
    const deliveries: Delivery[] = [];
    let arrived: () => void = () => {};
    const first = new Promise<void>((r) => (arrived = r));
    const server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        if (req.method === 'POST' && req.url === path) {
          deliveries.push({ headers: req.headers, body: Buffer.concat(chunks).toString('utf8'), at: Date.now() });
          arrived();
        }
        res.writeHead(req.url === path ? 204 : 404).end();
      });
    });
    await new Promise<void>((resolve, reject) => server.once('error', reject).listen(port, host, resolve));
    ctx.defer(
      () =>
        new Promise<void>((r) => {
          server.closeAllConnections();
          server.close(() => r());
        }),
    );
    const bound = (server.address() as AddressInfo).port;
    const url = `http://${host.includes(':') ? `[${host}]` : host}:${bound}${path}`;
    const sentAt = Date.now();
    const submit = await ctx.http.post('/v2/bg-removal', { json: { image: ctx.fixtures.disc.base64, webhook: url } });
    if (submit.status !== 200) return { submit, waitedS: 0 };
    const sub = parseSubmit(ctx, submit, sentAt);
    await waitTerminal(ctx, sub, 50);
    const result = await ctx.http.get(sub.resultUrl);
    ctx.progress(`webhook: waiting up to ${graceS} s for a delivery to ${url}`);
    await Promise.race([first, new Promise((r) => setTimeout(r, graceS * 1000).unref())]);
    return {
      submit,
      requestId: sub.id,
      result,
      delivery: deliveries[0],
      waitedS: Math.round((Date.now() - sentAt) / 1000),
    };
  });
}
