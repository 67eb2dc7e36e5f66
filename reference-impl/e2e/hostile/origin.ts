/** A hostile image origin for the corpus: redirects with malformed Locations, tricks, and slow or lying bodies. */
import { createServer, type AddressInfo, type Server } from 'node:net';

export interface Origin {
  url: string;
  close(): Promise<void>;
}

/** path → raw response head (written as is, so malformed headers reach the client untouched) and body. */
function routes(png: Buffer): Record<string, { head: string; body?: Buffer | string }> {
  const redirect = (location: string) => ({
    head: `HTTP/1.1 302 Found\r\nLocation: ${location}\r\nContent-Length: 0\r\n`,
  });
  return {
    '/png': { head: 'HTTP/1.1 200 OK\r\nContent-Type: image/png\r\n', body: png },
    '/redirect-unclosed-ipv6': redirect('http://[::1'),
    '/redirect-port-99999': redirect('http://example.com:99999/a.png'),
    '/redirect-space-in-host': redirect('http://exa mple.com/a.png'),
    '/redirect-empty-host': redirect('http:///a.png'),
    '/redirect-file': redirect('file:///etc/passwd'),
    '/redirect-gopher': redirect('gopher://127.0.0.1:6379/_INFO'),
    '/redirect-metadata': redirect('http://169.254.169.254/latest/meta-data/'),
    '/redirect-mapped-loopback': redirect('http://[::ffff:7f00:1]:9/'),
    '/redirect-relative-png': redirect('/png'),
    '/redirect-empty': redirect(''),
    '/status-500': { head: 'HTTP/1.1 500 Internal Server Error\r\nContent-Type: text/plain\r\n', body: 'boom' },
    '/lying-length': { head: 'HTTP/1.1 200 OK\r\nContent-Type: image/png\r\nContent-Length: 100000\r\n', body: png },
    '/html-as-png': { head: 'HTTP/1.1 200 OK\r\nContent-Type: image/png\r\n', body: '<html>not an image</html>' },
  };
}

export async function startOrigin(png: Buffer): Promise<Origin> {
  const table = routes(png);
  // Raw TCP, not node:http: a malformed Location must reach the client exactly as written.
  const server: Server = createServer((socket) => {
    socket.on('error', () => {});
    socket.once('data', (d) => {
      const path = d.toString('latin1').split(' ')[1] ?? '/';
      const r = table[path];
      if (!r) return socket.end('HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\nConnection: close\r\n\r\n');
      const body = r.body === undefined ? Buffer.alloc(0) : Buffer.from(r.body);
      const length = /content-length/i.test(r.head) ? '' : `Content-Length: ${body.length}\r\n`;
      socket.end(Buffer.concat([Buffer.from(`${r.head}${length}Connection: close\r\n\r\n`), body]));
    });
  });
  const sockets = new Set<import('node:net').Socket>();
  server.on('connection', (s) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    close: () =>
      new Promise<void>((r) => {
        for (const s of sockets) s.destroy();
        server.close(() => r());
      }),
  };
}
