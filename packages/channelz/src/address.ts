/**
 * Socket addresses as channelz's Address message carries them: core records
 * addresses as strings ("1.2.3.4:80", "[::1]:80", "unix:/path"); a channelz client
 * expects IP bytes and a port.
 */
import type { MessageInitShape } from "@bufbuild/protobuf";
import type { AddressSchema } from "./gen/grpc/channelz/v1/channelz_pb.js";

export type AddressInit = MessageInitShape<typeof AddressSchema>;

/**
 * The Address for a recorded address string: TcpIpAddress for "ip:port" and
 * "[ipv6]:port" (4 or 16 bytes), UdsAddress for "unix:/path", "unix:///path" and a bare
 * absolute path, OtherAddress (the string as name) for anything else.
 */
export function addressMessage(address: string): AddressInit {
  const tcp = parseHostPort(address);
  if (tcp !== undefined) {
    return { address: { case: "tcpipAddress", value: tcp } };
  }
  const uds = unixPath(address);
  if (uds !== undefined) {
    return { address: { case: "udsAddress", value: { filename: uds } } };
  }
  return { address: { case: "otherAddress", value: { name: address } } };
}

function parseHostPort(address: string): { ipAddress: Uint8Array; port: number } | undefined {
  let host: string;
  let portText: string | undefined;
  if (address.startsWith("[")) {
    const close = address.indexOf("]");
    if (close < 0) return undefined;
    host = address.slice(1, close);
    const rest = address.slice(close + 1);
    if (rest !== "" && !rest.startsWith(":")) return undefined;
    portText = rest === "" ? undefined : rest.slice(1);
  } else {
    const colon = address.lastIndexOf(":");
    if (colon >= 0 && address.indexOf(":") === colon) {
      host = address.slice(0, colon);
      portText = address.slice(colon + 1);
    } else {
      // No colon (a bare IPv4 address), or several (a bare IPv6 address).
      host = address;
    }
  }
  const ipAddress = parseIPv4(host) ?? parseIPv6(host);
  if (ipAddress === undefined) return undefined;
  if (portText === undefined) return { ipAddress, port: -1 };
  if (!/^\d{1,5}$/.test(portText)) return undefined;
  const port = Number(portText);
  return port <= 65535 ? { ipAddress, port } : undefined;
}

/** The 4 bytes of a dotted-quad IPv4 address. */
export function parseIPv4(text: string): Uint8Array | undefined {
  const parts = text.split(".");
  if (parts.length !== 4) return undefined;
  const out = new Uint8Array(4);
  for (let i = 0; i < 4; i++) {
    const p = parts[i]!;
    if (!/^\d{1,3}$/.test(p)) return undefined;
    const n = Number(p);
    if (n > 255) return undefined;
    out[i] = n;
  }
  return out;
}

/** The 16 bytes of an IPv6 address ("::" compression, a trailing dotted quad and a %zone allowed). */
export function parseIPv6(text: string): Uint8Array | undefined {
  const zone = text.indexOf("%");
  const addr = zone >= 0 ? text.slice(0, zone) : text;
  if (addr === "" || !addr.includes(":")) return undefined;
  const halves = addr.split("::");
  if (halves.length > 2) return undefined;
  const head = groups(halves[0]!);
  const tail = halves.length === 2 ? groups(halves[1]!) : [];
  if (head === undefined || tail === undefined) return undefined;
  const total = head.length + tail.length;
  if (halves.length === 2 ? total > 7 : total !== 8) return undefined;
  const words = [...head, ...new Array<number>(8 - total).fill(0), ...tail];
  const out = new Uint8Array(16);
  for (let i = 0; i < 8; i++) {
    out[2 * i] = words[i]! >> 8;
    out[2 * i + 1] = words[i]! & 0xff;
  }
  return out;
}

/** 16-bit groups of one side of "::"; a last group in dotted-quad form counts as two. */
function groups(side: string): number[] | undefined {
  if (side === "") return [];
  const parts = side.split(":");
  const words: number[] = [];
  for (let i = 0; i < parts.length; i++) {
    const p = parts[i]!;
    if (i === parts.length - 1 && p.includes(".")) {
      const v4 = parseIPv4(p);
      if (v4 === undefined) return undefined;
      words.push((v4[0]! << 8) | v4[1]!, (v4[2]! << 8) | v4[3]!);
    } else {
      if (!/^[0-9a-fA-F]{1,4}$/.test(p)) return undefined;
      words.push(parseInt(p, 16));
    }
  }
  return words;
}

function unixPath(address: string): string | undefined {
  if (address.startsWith("unix://")) {
    const path = address.slice("unix://".length);
    return path.startsWith("/") ? path : undefined;
  }
  if (address.startsWith("unix:")) return address.slice("unix:".length);
  if (address.startsWith("/")) return address;
  return undefined;
}
