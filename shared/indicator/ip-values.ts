/**
 * network.ip and network.cidr. Receivers match by containment at their gateways, so every
 * address must have exactly one spelling: IPv4 as a dotted quad, IPv6 in RFC 5952 compressed
 * lower case, and IPv4-mapped IPv6 folded to the IPv4 address it stands for.
 */
import ipaddr from 'ipaddr.js';
import { invalidArgument } from '../errors.js';

type Address = ipaddr.IPv4 | ipaddr.IPv6;

const DOTTED_TAIL = /^(.*:)(\d+\.\d+\.\d+\.\d+)$/;

/**
 * Parses strictly. ipaddr.js also accepts "10.1", "0x7f.1.1.1" and octal "010.1.1.1" (inet_aton
 * forms); those read differently in different tools, so only four decimal parts pass. It also
 * reads "::1.2.3.4" (deprecated IPv4-compatible) as IPv4-mapped, so a dotted tail is rewritten
 * to two hex groups before parsing.
 */
function parseAddress(text: string, field: string): Address {
  if (text.includes('%')) throw invalidArgument(field, 'must not carry an IPv6 zone id (%...)');
  if (!text.includes(':')) {
    if (!ipaddr.IPv4.isValidFourPartDecimal(text)) {
      throw invalidArgument(field, `invalid IP address '${text}': IPv4 must be four decimal parts (a.b.c.d) without leading zeros`);
    }
    return ipaddr.IPv4.parse(text);
  }
  let ipv6 = text;
  const tail = DOTTED_TAIL.exec(text);
  if (tail?.[1] !== undefined && tail[2] !== undefined) {
    if (!ipaddr.IPv4.isValidFourPartDecimal(tail[2])) throw invalidArgument(field, `invalid IP address '${text}'`);
    const [a = 0, b = 0, c = 0, d = 0] = ipaddr.IPv4.parse(tail[2]).octets;
    ipv6 = `${tail[1]}${((a << 8) | b).toString(16)}:${((c << 8) | d).toString(16)}`;
  } else if (text.includes('.')) {
    throw invalidArgument(field, `invalid IP address '${text}'`);
  }
  if (!ipaddr.IPv6.isValid(ipv6)) throw invalidArgument(field, `invalid IP address '${text}'`);
  return ipaddr.IPv6.parse(ipv6);
}

/** The IPv4 address behind ::ffff:a.b.c.d, else the address itself. */
function unmap(addr: Address): Address {
  return addr.kind() === 'ipv6' && (addr as ipaddr.IPv6).isIPv4MappedAddress()
    ? (addr as ipaddr.IPv6).toIPv4Address()
    : addr;
}

/** RFC 5952 for IPv6 (ipaddr.js 2.x toString), dotted quad for IPv4. */
function addressText(addr: Address): string {
  return addr.toString();
}

/** A dotted quad already in canonical form: four parts 0-255, no leading zeros. */
const CANONICAL_IPV4 = /^(?:(?:25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)\.){3}(?:25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)$/;

export function canonicalIp(value: string, field: string): string {
  // The common case of a gateway's batch lookup, answered without parsing: a tenth of the cost.
  if (CANONICAL_IPV4.test(value)) return value;
  return addressText(unmap(parseAddress(value, field)));
}

/** The address with all bits after `prefix` cleared. */
function networkOf(addr: Address, prefix: number): Address {
  const bytes = addr.toByteArray().map((byte, i) => {
    const keep = Math.max(0, Math.min(8, prefix - i * 8));
    return byte & ((0xff << (8 - keep)) & 0xff);
  });
  return ipaddr.fromByteArray(bytes);
}

const CIDR = /^([^/]+)\/(0|[1-9]\d{0,2})$/;

export function canonicalCidr(value: string, field: string): string {
  const match = CIDR.exec(value);
  if (match?.[1] === undefined || match[2] === undefined) {
    throw invalidArgument(field, `invalid CIDR '${value}': expected address/prefix, e.g. 10.0.0.0/8 or 2001:db8::/32`);
  }
  let addr = parseAddress(match[1], field);
  let prefix = Number(match[2]);
  const bits = addr.kind() === 'ipv4' ? 32 : 128;
  if (prefix > bits) throw invalidArgument(field, `prefix /${prefix} is out of range for ${addr.kind() === 'ipv4' ? 'IPv4 (0-32)' : 'IPv6 (0-128)'}`);
  // ::ffff:0:0/96 and longer lie wholly inside the IPv4-mapped block: the same IPv4 network.
  if (addr.kind() === 'ipv6' && prefix >= 96 && (addr as ipaddr.IPv6).isIPv4MappedAddress()) {
    addr = (addr as ipaddr.IPv6).toIPv4Address();
    prefix -= 96;
  }
  const network = networkOf(addr, prefix);
  const canonical = `${addressText(network)}/${prefix}`;
  if (addressText(network) !== addressText(addr)) {
    throw invalidArgument(field, `host bits must be zero: did you mean ${canonical}`);
  }
  return canonical;
}
