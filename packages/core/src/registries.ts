/**
 * The process-wide registries. A channel or server uses these unless it is given
 * builders of its own; explicit wins over global. Core registers only what it owns:
 * the passthrough, unix, ipv4 and ipv6 resolvers, pick_first, the proto and JSON codecs, and the
 * identity, gzip and deflate compressors. Transports are registered by the user.
 * Every copy of core in the process shares these registries.
 */
import { ipv4Resolver, ipv6Resolver } from "./resolver/address-list-resolver.js";
import type { BalancerBuilder } from "./balancer/balancer.js";
import { jsonCodec, protoCodec, type Codec } from "./wire/codec.js";
import { deflateCompressor, gzipCompressor, identityCompressor, type Compressor } from "./wire/compression.js";
import { passthroughResolver } from "./resolver/passthrough-resolver.js";
import { pickFirstBalancer } from "./balancer/pick-first.js";
import { processWide } from "./registry/process-state.js";
import { Registry } from "./registry/registry.js";
import { chooseBalancer, type ChosenBalancer } from "./config/service-config.js";
import type { ResolverBuilder } from "./resolver/resolver.js";
import type { TransportBuilder } from "./transport/transport.js";
import { unixAbstractResolver, unixResolver } from "./resolver/unix-resolver.js";

// Shared with every other copy of core in the process (see registry/process-state.ts);
// the first copy to load registers the built-ins, so a later copy never replaces what
// the application registered under a built-in's name.
export const resolverRegistry = processWide("resolvers", () =>
  new Registry<ResolverBuilder>("resolver")
    .register(passthroughResolver)
    .register(unixResolver)
    .register(unixAbstractResolver)
    .register(ipv4Resolver)
    .register(ipv6Resolver),
);
export const balancerRegistry = processWide("balancers", () =>
  new Registry<BalancerBuilder>("balancer").register(pickFirstBalancer as BalancerBuilder),
);
export const transportRegistry = processWide("transports", () => new Registry<TransportBuilder>("transport"));
export const codecRegistry = processWide("codecs", () => new Registry<Codec>("codec").register(protoCodec).register(jsonCodec));
export const compressorRegistry = processWide("compressors", () =>
  new Registry<Compressor>("compressor").register(identityCompressor).register(gzipCompressor).register(deflateCompressor),
);

/** Registers a resolver for its scheme in the process-wide registry. */
export function registerResolver(builder: ResolverBuilder): void {
  resolverRegistry.register(builder);
}
/** Registers a load-balancing policy in the process-wide registry. */
export function registerBalancer(builder: BalancerBuilder): void {
  balancerRegistry.register(builder);
}
/** Registers a transport in the process-wide registry; the first one registered is the default. */
export function registerTransport(builder: TransportBuilder): void {
  transportRegistry.register(builder);
}
/** Registers a codec (content-subtype) in the process-wide registry. */
export function registerCodec(codec: Codec): void {
  codecRegistry.register(codec);
}
/** Registers a compressor (grpc-encoding) in the process-wide registry. */
export function registerCompressor(compressor: Compressor): void {
  compressorRegistry.register(compressor);
}

/** The transport a channel or server uses: the one given, a registered name, or the first registered. */
export function resolveTransport(t: TransportBuilder | string | undefined): TransportBuilder {
  if (typeof t === "object") return t;
  if (typeof t === "string") return transportRegistry.mustGet(t);
  const first = transportRegistry.names()[0];
  if (first === undefined) {
    throw new Error(
      "no transport registered: pass { transport: h2Transport() } from @grpckit/transport-h2, or call registerTransport() once",
    );
  }
  return transportRegistry.mustGet(first);
}

/** The process-wide compressors, plus `extra` for one channel or server (theirs win). */
export function compressorsWith(extra: readonly Compressor[] | undefined): Registry<Compressor> {
  if (extra === undefined || extra.length === 0) return compressorRegistry;
  const own = new Registry<Compressor>("compressor");
  for (const n of compressorRegistry.names()) own.register(compressorRegistry.mustGet(n));
  for (const c of extra) own.register(c);
  return own;
}

/**
 * A parent policy's child policy: the first policy of `list` registered in the
 * process-wide registry, with its config parsed by its schema (as grpc-go's
 * gracefulswitch.ParseConfig). Throws an Error that says which policies were asked for
 * and which are registered, or why the chosen one's config was refused; a parent's
 * configSchema turns that into a config error of its own.
 *
 * @example
 * const child = parseLoadBalancingConfig([{ round_robin: {} }]);
 * gracefulSwitch.switchTo(child.builder);
 * gracefulSwitch.updateClientConnState({ resolverState, config: child.config });
 */
export function parseLoadBalancingConfig(list: readonly Readonly<Record<string, unknown>>[], where = "childPolicy"): ChosenBalancer {
  return chooseBalancer(list, balancerRegistry, where);
}
