/** The base of absolute URLs in bodies: BGR_PUBLIC_URL, else the request's Host (forwarded only when trusted) if it is a valid authority, else the listen address. */
import { isIPv6 } from 'node:net';
import type { FastifyRequest } from 'fastify';

const label = '[A-Za-z0-9_](?:[A-Za-z0-9_-]{0,61}[A-Za-z0-9_])?';
const authority = new RegExp(`^(?:(${label}(?:\\.${label})*\\.?)|\\[([0-9A-Fa-f:.]+)\\])(?::(\\d{1,5}))?$`);

/** `host[:port]` when it is a DNS name, IPv4 or bracketed IPv6 literal with a port ≤ 65535; else undefined. */
export function validAuthority(host: string | undefined): string | undefined {
  if (!host || host.length > 261) return undefined;
  const m = authority.exec(host);
  if (!m) return undefined;
  if (m[2] !== undefined && !isIPv6(m[2])) return undefined;
  if (m[3] !== undefined && Number(m[3]) > 65535) return undefined;
  return host.toLowerCase();
}

/** The address this server listens on, as `host:port` (the connection's local address when bound to all interfaces). */
function listenAuthority(request: FastifyRequest): string {
  const a = request.server.server.address();
  const port = a && typeof a === 'object' ? a.port : request.socket?.localPort;
  let ip = a && typeof a === 'object' ? a.address : undefined;
  if (!ip || ip === '0.0.0.0' || ip === '::') ip = request.socket?.localAddress ?? '127.0.0.1';
  ip = ip.replace(/^::ffff:(?=\d+\.\d+\.\d+\.\d+$)/, '');
  const host = isIPv6(ip) ? `[${ip}]` : ip;
  return port ? `${host}:${port}` : host;
}

/** Absolute links come from `publicUrl`, else from the request when its Host is a valid authority, else the listen address. */
export function publicBaseUrl(publicUrl: string | undefined): (request: FastifyRequest) => string {
  if (publicUrl) {
    const fixed = publicUrl.replace(/\/+$/, '');
    return () => fixed;
  }
  return (request) => {
    // request.protocol/host read X-Forwarded-* only when trustProxy is set.
    const proto = request.protocol === 'https' ? 'https' : 'http';
    return `${proto}://${validAuthority(request.host) ?? listenAuthority(request)}`;
  };
}
