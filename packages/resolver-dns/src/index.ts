/**
 * @grpckit/resolver-dns: the "dns" name resolver for @grpckit/core channels — A and
 * AAAA lookups, service config from `_grpc_config.<host>` TXT records, rate-limited
 * re-resolution. Nothing is registered on import: pass `dnsResolver()` to a channel's
 * `resolvers`, or call `registerDnsResolver()` once.
 */
export { dnsResolver, registerDnsResolver, type DnsResolverOptions } from "./dns-resolver.js";
export { parseDnsTarget, defaultPort, type DnsTarget } from "./dns-target.js";
export { chooseServiceConfig, clientLanguage, grpcConfigPrefix, type ChoiceContext } from "./service-config-choice.js";
