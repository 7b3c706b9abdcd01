/**
 * The HTTP/2 transports a tool can run its servers and channels on, by the name its
 * `--transport` flag takes: "h2" (grpckit's own HTTP/2, @grpckit/transport-h2) and
 * "http2" (node:http2, @grpckit/transport-http2). The default is named here and
 * nowhere else.
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

/** The transport used when none is named. */
export const defaultTransportName: TransportName = "h2";

/** The npm package each transport comes from, for reports. */
export const transportPackages: Readonly<Record<TransportName, string>> = {
  h2: "@grpckit/transport-h2",
  http2: "@grpckit/transport-http2",
};

/** True when `name` is one of {@link transportNames}. */
export function isTransportName(name: string): name is TransportName {
  return Object.hasOwn(builders, name);
}

/**
 * A new transport builder for `name`, the default one when `name` is undefined.
 * Throws an Error listing the known names when `name` is not one of them.
 */
export function transportFor(name: string = defaultTransportName): TransportBuilder {
  if (!isTransportName(name)) throw new Error(`unknown transport ${JSON.stringify(name)} (known: ${transportNames.join(", ")})`);
  return builders[name]();
}
