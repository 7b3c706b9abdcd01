/**
 * The `ipv4:` and `ipv6:` resolvers of doc/naming.md: the target lists literal
 * addresses, comma separated, each with an optional port (443 when absent):
 * `ipv4:127.0.0.1:50051,127.0.0.2` and `ipv6:[::1]:50051,[::1]`. Each address is
 * one endpoint.
 */
import { isIPv4, isIPv6 } from "node:net";
import type { Endpoint, ResolverBuilder } from "./resolver.js";
import { joinHostPort, splitHostPort, type Target } from "./target.js";

const defaultPort = 443;

/** Parses the address list of an `ipv4:`/`ipv6:` target; throws an Error naming the bad entry. */
export function parseAddressList(target: Target, family: 4 | 6): Endpoint[] {
  const list = target.endpoint.replace(/^\/+/, "");
  if (list === "") throw new Error(`ipv${family} target "${target.raw}" lists no addresses`);
  const isFamily = family === 4 ? isIPv4 : isIPv6;
  return list.split(",").map((entry) => {
    let host: string;
    let port: number | undefined;
    try {
      ({ host, port } = splitHostPort(entry));
    } catch (e) {
      throw new Error(`ipv${family} target "${target.raw}": ${(e as Error).message}`);
    }
    if (!isFamily(host)) {
      throw new Error(`ipv${family} target "${target.raw}": "${entry}" is not an IPv${family} address`);
    }
    return { addresses: [{ addr: joinHostPort(host, port ?? defaultPort) }] };
  });
}

function addressListResolver(family: 4 | 6): ResolverBuilder {
  return {
    name: `ipv${family}`,
    build(target, cc) {
      let closed = false;
      queueMicrotask(() => {
        if (closed) return;
        let endpoints: Endpoint[];
        try {
          endpoints = parseAddressList(target, family);
        } catch (e) {
          cc.reportError(e as Error);
          return;
        }
        cc.updateState({ endpoints });
      });
      return {
        resolveNow() {},
        close() {
          closed = true;
        },
      };
    },
    defaultAuthority: () => "localhost",
  };
}

export const ipv4Resolver = addressListResolver(4);
export const ipv6Resolver = addressListResolver(6);
