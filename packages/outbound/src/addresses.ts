import { isIPv4, isIPv6 } from 'node:net';

/**
 * Why an address may not be called, or undefined when it is a public unicast address. Ranges
 * from the IANA IPv4 and IPv6 special-purpose registries (RFC 6890 and successors), plus every
 * IPv6 address outside global unicast (2000::/3). An IPv4 address embedded in IPv6 (mapped,
 * NAT64) is judged as the IPv4 address it stands for, so `::ffff:127.0.0.1` is loopback.
 */
export type ForbiddenRange =
  | 'unspecified'
  | 'loopback'
  | 'private'
  | 'shared'
  | 'link-local'
  | 'multicast'
  | 'reserved'
  | 'documentation'
  | 'benchmarking'
  | 'transition'
  | 'not-an-address';

type Range = readonly [prefix: readonly number[], bits: number, range: ForbiddenRange];

// Most specific first where ranges nest.
const IPV4: readonly Range[] = [
  [[0, 0, 0, 0], 8, 'unspecified'], // "this network"
  [[10, 0, 0, 0], 8, 'private'],
  [[100, 64, 0, 0], 10, 'shared'], // carrier-grade NAT
  [[127, 0, 0, 0], 8, 'loopback'],
  [[169, 254, 0, 0], 16, 'link-local'], // cloud metadata lives here
  [[172, 16, 0, 0], 12, 'private'],
  [[192, 0, 0, 0], 24, 'reserved'], // IETF protocol assignments
  [[192, 0, 2, 0], 24, 'documentation'],
  [[192, 88, 99, 0], 24, 'transition'], // 6to4 relay anycast
  [[192, 168, 0, 0], 16, 'private'],
  [[198, 18, 0, 0], 15, 'benchmarking'],
  [[198, 51, 100, 0], 24, 'documentation'],
  [[203, 0, 113, 0], 24, 'documentation'],
  [[224, 0, 0, 0], 4, 'multicast'],
  [[240, 0, 0, 0], 4, 'reserved'], // and the broadcast address
];

const IPV6: readonly Range[] = [
  [[], 128, 'unspecified'], // ::
  [[0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1], 128, 'loopback'], // ::1
  [[], 96, 'transition'], // IPv4-compatible ::a.b.c.d (deprecated)
  [[0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff, 0, 0], 96, 'transition'], // ::ffff:0:a.b.c.d (SIIT)
  [[0, 0x64, 0xff, 0x9b, 0, 1], 48, 'transition'], // local-use NAT64
  [[0x01, 0, 0, 0, 0, 0, 0, 0], 64, 'reserved'], // discard-only 100::/64
  [[0x20, 0x01, 0x0d, 0xb8], 32, 'documentation'],
  [[0x20, 0x01, 0x00, 0x02, 0, 0], 48, 'benchmarking'],
  [[0x20, 0x01], 23, 'reserved'], // IETF protocol assignments, Teredo (2001::/32) among them
  [[0x20, 0x02], 16, 'transition'], // 6to4: any IPv4 address, private ones included
  [[0x3f, 0xff], 20, 'documentation'],
  [[0x5f, 0x00], 16, 'reserved'], // SRv6 SIDs
  [[0xfc], 7, 'private'], // unique local
  [[0xfe, 0x80], 10, 'link-local'],
  [[0xfe, 0xc0], 10, 'private'], // site-local (deprecated)
  [[0xff], 8, 'multicast'],
];

const MAPPED_PREFIX = [0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff];
const NAT64_PREFIX = [0, 0x64, 0xff, 0x9b, 0, 0, 0, 0, 0, 0, 0, 0]; // 64:ff9b::/96

/**
 * The range an IP address falls in that outgoing calls may not reach, or undefined for a public
 * unicast address. Anything that is not a plain IPv4 or IPv6 address is `not-an-address`.
 */
export function forbiddenRange(address: string): ForbiddenRange | undefined {
  const v4 = ipv4Bytes(address);
  if (v4 !== undefined) return matching(IPV4, v4);
  const v6 = ipv6Bytes(address);
  if (v6 === undefined) return 'not-an-address';
  if (startsWith(v6, MAPPED_PREFIX, 96) || startsWith(v6, NAT64_PREFIX, 96)) {
    return matching(IPV4, v6.slice(12));
  }
  const special = matching(IPV6, v6);
  if (special !== undefined) return special;
  // Global unicast is 2000::/3; everything else is unassigned or special.
  return startsWith(v6, [0x20], 3) ? undefined : 'reserved';
}

/** Whether the address is a loopback address, in any of its forms. */
export function isLoopback(address: string): boolean {
  return forbiddenRange(address) === 'loopback';
}

/** The four bytes of a dotted-quad IPv4 address (the only form DNS and sockets give). */
function ipv4Bytes(address: string): number[] | undefined {
  if (!isIPv4(address)) return undefined;
  return address.split('.').map(Number);
}

/** The sixteen bytes of an IPv6 address, `::` expanded, a dotted-quad tail and a zone allowed. */
export function ipv6Bytes(address: string): number[] | undefined {
  const unzoned = address.replace(/%[^%]*$/, '');
  if (!isIPv6(unzoned)) return undefined;
  let groups = unzoned;
  const tail = /(\d+\.\d+\.\d+\.\d+)$/.exec(groups)?.[1];
  if (tail !== undefined) {
    const [a = 0, b = 0, c = 0, d = 0] = tail.split('.').map(Number);
    groups = `${groups.slice(0, -tail.length)}${hex16(a, b)}:${hex16(c, d)}`;
  }
  const [head = '', rest] = groups.split('::');
  const left = head === '' ? [] : head.split(':');
  const right = rest === undefined || rest === '' ? [] : rest.split(':');
  const missing = 8 - left.length - right.length;
  const words = [...left, ...Array<string>(rest === undefined ? 0 : missing).fill('0'), ...right];
  if (words.length !== 8) return undefined;
  return words.flatMap((word) => {
    const value = parseInt(word, 16);
    return [value >> 8, value & 0xff];
  });
}

function hex16(high: number, low: number): string {
  return ((high << 8) | low).toString(16);
}

function matching(ranges: readonly Range[], bytes: readonly number[]): ForbiddenRange | undefined {
  for (const [prefix, bits, range] of ranges) {
    if (startsWith(bytes, prefix, bits)) return range;
  }
  return undefined;
}

/** Whether the first `bits` bits of `bytes` equal those of `prefix` (missing bytes are 0). */
function startsWith(bytes: readonly number[], prefix: readonly number[], bits: number): boolean {
  for (let bit = 0; bit < bits; bit += 8) {
    const take = Math.min(8, bits - bit);
    const mask = (0xff << (8 - take)) & 0xff;
    const index = bit / 8;
    if (((bytes[index] ?? 0) & mask) !== ((prefix[index] ?? 0) & mask)) return false;
  }
  return true;
}
