/** A local HTTP server for input tests: serves a PNG, text posing as an image, SVG, redirects (to private addresses, in loops), 404 and oversized bodies. */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface ImageServer {
  url: string;
  hits: number;
  close(): Promise<void>;
}

export async function startImageServer(png: Buffer, bigBytes = 512 * 1024): Promise<ImageServer> {
  const state = { hits: 0 };
  const server: Server = createServer((req, res) => {
    state.hits++;
    const path = req.url ?? '/';
    if (path === '/png') return res.writeHead(200, { 'content-type': 'image/png' }).end(png);
    if (path === '/text')
      return res.writeHead(200, { 'content-type': 'image/png' }).end('this is plain text pretending to be a PNG');
    if (path === '/svg')
      return res.writeHead(200, { 'content-type': 'image/svg+xml' }).end('<svg xmlns="http://www.w3.org/2000/svg"/>');
    if (path === '/redirect-private')
      return res.writeHead(302, { location: 'http://169.254.169.254/latest/meta-data/' }).end();
    if (path === '/redirect-png') return res.writeHead(301, { location: '/png' }).end();
    if (path === '/loop') return res.writeHead(302, { location: '/loop' }).end();
    if (path === '/big') return res.writeHead(200, { 'content-type': 'image/png' }).end(Buffer.alloc(bigBytes, 1));
    if (path === '/hang') return; // never answers: the fetch timeout must fire
    res.writeHead(404).end('not found');
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    get hits() {
      return state.hits;
    },
    close: () =>
      new Promise<void>((r) => {
        server.closeAllConnections();
        server.close(() => r());
      }),
  };
}
