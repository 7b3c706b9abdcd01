/**
 * The HTTP/2 transports a soak run can put its server and its client on, by the name
 * `--transport` takes: "h2" (grpckit's own HTTP/2, @grpckit/transport-h2), the default,
 * and "http2" (node:http2, @grpckit/transport-http2).
 */
import type { TransportBuilder } from "@grpckit/core";
import { h2Transport } from "@grpckit/transport-h2";
import { http2Transport } from "@grpckit/transport-http2";

const builders = {
  h2: () => h2Transport(),
  http2: () => http2Transport(),
} satisfies Record<string, () => TransportBuilder>;

/** A name `--transport` takes. */
export type TransportName = keyof typeof builders;

/** Every name `--transport` takes, sorted. */
export const transportNames: readonly TransportName[] = (Object.keys(builders) as TransportName[]).sort();

/** The transport of a run that names none. */
export const defaultTransportName: TransportName = "h2";

/** The npm package each transport comes from, for the report. */
export const transportPackages: Record<TransportName, string> = {
  h2: "@grpckit/transport-h2",
  http2: "@grpckit/transport-http2",
};

/** True when `name` is one of {@link transportNames}. */
export function isTransportName(name: string): name is TransportName {
  return Object.hasOwn(builders, name);
}

/** A new transport builder for `name`. */
export function transportFor(name: TransportName): TransportBuilder {
  return builders[name]();
}
