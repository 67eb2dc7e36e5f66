/** Classifies IP addresses for the SSRF guard: which ones an image URL or webhook may never reach. */
import { BlockList, isIPv4, isIPv6 } from 'node:net';

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
  const [head, rest] = s.includes('::') ? (s.split('::') as [string, string]) : [s, undefined];
  const h = head ? head.split(':') : [];
  const r = rest !== undefined && rest !== '' ? rest.split(':') : [];
  const groups = rest === undefined ? h : [...h, ...Array(8 - h.length - r.length).fill('0'), ...r];
  for (const g of groups) {
    const n = parseInt(g, 16);
    tail.push(n >> 8, n & 0xff);
  }
  return tail;
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
const familyOf = (ip: string): 'ipv4' | 'ipv6' => (isIPv4(ip) ? 'ipv4' : 'ipv6');

function blockList(entries: readonly (readonly [prefix: string, bits: number])[]): BlockList {
  const list = new BlockList();
  for (const [prefix, bits] of entries) list.addSubnet(prefix, bits, familyOf(prefix));
  return list;
}

// One BlockList per range, so a refusal can say which range it fell in.
const forbiddenRanges = [...v4Ranges, ...v6Ranges].map(([prefix, bits, reason]) => ({
  list: blockList([[prefix, bits]]),
  reason,
}));
const mapped = blockList([['::ffff:0:0', 96]]);
const nat64 = blockList([['64:ff9b::', 96]]);
const sixToFour = blockList([['2002::', 16]]);

/** IPv6 forms that carry an IPv4 address, which is then what decides: mapped, NAT64 well-known, 6to4. */
function embeddedV4(ip: string): string | undefined {
  // BlockList matches an IPv4 rule against ::ffff:a.b.c.d itself, but the other two forms need the address.
  if (mapped.check(ip, 'ipv6') || nat64.check(ip, 'ipv6')) return v6Bytes(ip).slice(12).join('.');
  if (sixToFour.check(ip, 'ipv6')) return v6Bytes(ip).slice(2, 6).join('.');
  return undefined;
}

/** Why an address is forbidden (e.g. "loopback"), or undefined when it is a public unicast address. */
export function forbiddenReason(ip: string): string | undefined {
  const bare = ip.replace(/^\[|\]$/g, '');
  if (!isIPv4(bare) && !isIPv6(bare)) return 'not an IP address';
  if (isIPv6(bare)) {
    const v4 = embeddedV4(bare);
    if (v4 !== undefined) {
      const why = forbiddenReason(v4);
      return why ? `${why} (IPv4 ${v4} embedded in IPv6)` : undefined;
    }
  }
  return forbiddenRanges.find((r) => r.list.check(bare, familyOf(bare)))?.reason;
}

const allowLists = new WeakMap<readonly string[], BlockList>();

/** The allow-list (IPs or CIDRs, either family) as a BlockList; entries that are not addresses match nothing. */
function allowListOf(entries: readonly string[]): BlockList {
  let list = allowLists.get(entries);
  if (!list) {
    list = new BlockList();
    for (const entry of entries) {
      const [net, bits] = entry.split('/') as [string, string | undefined];
      if (!isIPv4(net) && !isIPv6(net)) continue;
      try {
        if (bits === undefined) list.addAddress(net, familyOf(net));
        else list.addSubnet(net, Number(bits), familyOf(net));
      } catch {
        /* a prefix length out of range: the entry matches nothing */
      }
    }
    allowLists.set(entries, list);
  }
  return list;
}

/** True when `ip` is inside one of the allow-list entries (IPv4-mapped IPv6 matches IPv4 entries). */
export function inAllowList(ip: string, list: readonly string[]): boolean {
  const bare = ip.replace(/^\[|\]$/g, '');
  if (!isIPv4(bare) && !isIPv6(bare)) return false;
  const allowed = allowListOf(list);
  const v4 = isIPv6(bare) ? embeddedV4(bare) : undefined;
  return allowed.check(bare, familyOf(bare)) || (v4 !== undefined && allowed.check(v4, 'ipv4'));
}
