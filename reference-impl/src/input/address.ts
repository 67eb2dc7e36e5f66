/** Classifies IP addresses for the SSRF guard: which ones an image URL or webhook may never reach (issue 3 "Inputs"). */
import { isIPv4, isIPv6 } from 'node:net';

type Bytes = number[];

function v4Bytes(ip: string): Bytes {
  return ip.split('.').map(Number);
}

/** 16 bytes of an IPv6 address (zone id dropped; a dotted IPv4 tail allowed). */
function v6Bytes(ip: string): Bytes {
  let s = ip.split('%')[0]!.toLowerCase();
  const tail: number[] = [];
  const lastColon = s.lastIndexOf(':');
  if (s.slice(lastColon + 1).includes('.')) {
    const b = v4Bytes(s.slice(lastColon + 1));
    s = `${s.slice(0, lastColon + 1)}${((b[0]! << 8) | b[1]!).toString(16)}:${((b[2]! << 8) | b[3]!).toString(16)}`;
  }
  const [head, rest] = s.includes('::') ? s.split('::') as [string, string] : [s, undefined];
  const h = head ? head.split(':') : [];
  const r = rest !== undefined && rest !== '' ? rest.split(':') : [];
  const groups = rest === undefined ? h : [...h, ...Array(8 - h.length - r.length).fill('0'), ...r];
  for (const g of groups) {
    const n = parseInt(g, 16);
    tail.push(n >> 8, n & 0xff);
  }
  return tail;
}

function inPrefix(bytes: Bytes, prefix: Bytes, bits: number): boolean {
  for (let i = 0; i < bits; i++) {
    const byte = i >> 3;
    const mask = 0x80 >> (i & 7);
    if (((bytes[byte] ?? 0) & mask) !== ((prefix[byte] ?? 0) & mask)) return false;
  }
  return true;
}

type Range = [prefix: string, bits: number, reason: string];

// IANA special-purpose registries; everything here is unreachable from the public internet or is ours.
const v4Ranges: Range[] = [
  ['0.0.0.0', 8, 'unspecified/this network'],
  ['10.0.0.0', 8, 'private'],
  ['100.64.0.0', 10, 'carrier-grade NAT (incl. 100.100.100.200 metadata)'],
  ['127.0.0.0', 8, 'loopback'],
  ['169.254.0.0', 16, 'link-local (incl. 169.254.169.254 metadata)'],
  ['172.16.0.0', 12, 'private'],
  ['192.0.0.0', 24, 'IETF protocol assignments'],
  ['192.0.2.0', 24, 'documentation'],
  ['192.88.99.0', 24, '6to4 relay anycast'],
  ['192.168.0.0', 16, 'private'],
  ['198.18.0.0', 15, 'benchmarking'],
  ['198.51.100.0', 24, 'documentation'],
  ['203.0.113.0', 24, 'documentation'],
  ['224.0.0.0', 4, 'multicast'],
  ['240.0.0.0', 4, 'reserved/broadcast'],
];
const v6Ranges: Range[] = [
  ['::', 128, 'unspecified'],
  ['::1', 128, 'loopback'],
  ['::', 96, 'IPv4-compatible (deprecated)'],
  ['64:ff9b:1::', 48, 'local-use NAT64'],
  ['100::', 64, 'discard-only'],
  ['2001::', 32, 'Teredo'],
  ['2001:10::', 28, 'ORCHID'],
  ['2001:20::', 28, 'ORCHIDv2'],
  ['2001:db8::', 32, 'documentation'],
  ['3fff::', 20, 'documentation'],
  ['5f00::', 16, 'segment routing'],
  ['fc00::', 7, 'unique-local (incl. fd00:ec2::254 metadata)'],
  ['fe80::', 10, 'link-local'],
  ['fec0::', 10, 'site-local (deprecated)'],
  ['ff00::', 8, 'multicast'],
];
const v4Compiled = v4Ranges.map(([p, bits, reason]) => ({ prefix: v4Bytes(p), bits, reason }));
const v6Compiled = v6Ranges.map(([p, bits, reason]) => ({ prefix: v6Bytes(p), bits, reason }));

/** IPv6 forms that carry an IPv4 address, which is then what decides: mapped, NAT64 well-known, 6to4. */
function embeddedV4(b: Bytes): string | undefined {
  if (inPrefix(b, v6Bytes('::ffff:0:0'), 96)) return b.slice(12).join('.');
  if (inPrefix(b, v6Bytes('64:ff9b::'), 96)) return b.slice(12).join('.');
  if (inPrefix(b, v6Bytes('2002::'), 16)) return b.slice(2, 6).join('.');
  return undefined;
}

/** Why an address is forbidden (e.g. "loopback"), or undefined when it is a public unicast address. */
export function forbiddenReason(ip: string): string | undefined {
  const bare = ip.replace(/^\[|\]$/g, '');
  if (isIPv4(bare)) {
    const b = v4Bytes(bare);
    return v4Compiled.find((r) => inPrefix(b, r.prefix, r.bits))?.reason;
  }
  if (isIPv6(bare)) {
    const b = v6Bytes(bare);
    const v4 = embeddedV4(b);
    if (v4 !== undefined) {
      const why = forbiddenReason(v4);
      return why ? `${why} (IPv4 ${v4} embedded in IPv6)` : undefined;
    }
    return v6Compiled.find((r) => inPrefix(b, r.prefix, r.bits))?.reason;
  }
  return 'not an IP address';
}

/** True when `ip` is inside one of the allow-list entries (IPs or CIDRs, either family; IPv4-mapped IPv6 matches IPv4 entries). */
export function inAllowList(ip: string, list: readonly string[]): boolean {
  const bare = ip.replace(/^\[|\]$/g, '');
  const mapped = isIPv6(bare) ? embeddedV4(v6Bytes(bare)) : undefined;
  const candidates = mapped ? [bare, mapped] : [bare];
  return list.some((entry) => {
    const [net, bitsText] = entry.split('/') as [string, string | undefined];
    return candidates.some((c) => {
      if (isIPv4(c) && isIPv4(net)) return inPrefix(v4Bytes(c), v4Bytes(net), bitsText ? Number(bitsText) : 32);
      if (isIPv6(c) && isIPv6(net)) return inPrefix(v6Bytes(c), v6Bytes(net), bitsText ? Number(bitsText) : 128);
      return false;
    });
  });
}
