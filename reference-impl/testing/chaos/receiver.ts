/** The chaos run's webhook receiver: verifies each Standard Webhooks delivery, logs it, and can fail (503) for a while. */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Webhook } from 'standardwebhooks';
import type { History } from './history.ts';

export interface Receiver {
  url: string;
  /** Answers 503 to every delivery until `up(true)`. */
  up(on: boolean): void;
  close(): Promise<void>;
}

export async function startChaosReceiver(secret: string, history: History): Promise<Receiver> {
  const wh = new Webhook(secret);
  let failing = false;
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = Buffer.concat(chunks).toString('utf8');
      const headers = Object.fromEntries(Object.entries(req.headers).map(([k, v]) => [k, String(v)]));
      let payload: { status?: string } | undefined;
      try {
        payload = wh.verify(body, headers) as { status?: string };
      } catch {
        payload = undefined;
      }
      const answered = !payload ? 400 : failing ? 503 : 204;
      history.add({
        kind: 'delivery',
        t: history.now(),
        id: headers['webhook-id'] ?? '',
        state: payload?.status ?? '',
        answered,
        verified: !!payload,
      });
      res.writeHead(answered).end();
    });
  });
  server.keepAliveTimeout = 1_000;
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/hooks`,
    up(on) {
      failing = !on;
    },
    close: () =>
      new Promise<void>((r) => {
        server.closeAllConnections();
        server.close(() => r());
      }),
  };
}
