/** A loopback TCP proxy between the nodes and Redis: it follows the current primary, and can delay, pause or drop connections. */
import { createServer, connect, type Server, type Socket } from 'node:net';

export interface Proxy {
  port: number;
  /** Points new connections at `port` and drops the open ones (a managed endpoint after a failover). */
  retarget(port: number): void;
  /** Every chunk waits `ms` (0 = none), order kept. */
  delay(ms: number): void;
  /** Closes every open connection at once; new ones are refused for `ms`. */
  drop(ms: number): void;
  close(): Promise<void>;
}

/** Starts the proxy on a free loopback port, forwarding to 127.0.0.1:`target`. */
export async function startProxy(target: number): Promise<Proxy> {
  let delayMs = 0;
  let refuseUntil = 0;
  const open = new Set<Socket>();
  /**
   * Forwards `from` → `to` through one FIFO per direction drained by one timer: each chunk waits `delayMs`,
   * never overtaking an earlier one (separate timers per chunk could fire out of order and corrupt the stream).
   */
  const pipe = (from: Socket, to: Socket) => {
    const queue: { at: number; chunk: Buffer }[] = [];
    let timer: NodeJS.Timeout | undefined;
    const flush = () => {
      timer = undefined;
      while (queue.length > 0 && queue[0]!.at <= Date.now()) {
        const { chunk } = queue.shift()!;
        if (!to.destroyed) to.write(chunk);
      }
      if (queue.length > 0) timer = setTimeout(flush, queue[0]!.at - Date.now());
    };
    from.on('data', (chunk: Buffer) => {
      if (delayMs === 0 && queue.length === 0) {
        to.write(chunk);
        return;
      }
      queue.push({ at: Math.max(queue.at(-1)?.at ?? 0, Date.now() + delayMs), chunk });
      timer ??= setTimeout(flush, queue[0]!.at - Date.now());
    });
    from.on('close', () => {
      if (timer) clearTimeout(timer);
    });
  };
  const server: Server = createServer((client) => {
    if (Date.now() < refuseUntil) {
      client.destroy();
      return;
    }
    const upstream = connect(target, '127.0.0.1');
    open.add(client);
    open.add(upstream);
    const end = () => {
      client.destroy();
      upstream.destroy();
      open.delete(client);
      open.delete(upstream);
    };
    for (const s of [client, upstream]) {
      s.on('error', end);
      s.on('close', end);
    }
    pipe(client, upstream);
    pipe(upstream, client);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as { port: number }).port;
  const dropAll = () => {
    for (const s of [...open]) s.destroy();
    open.clear();
  };
  return {
    port,
    retarget(p) {
      target = p;
      dropAll();
    },
    delay(ms) {
      delayMs = ms;
    },
    drop(ms) {
      refuseUntil = Date.now() + ms;
      dropAll();
    },
    close: () =>
      new Promise<void>((r) => {
        dropAll();
        server.close(() => r());
      }),
  };
}
