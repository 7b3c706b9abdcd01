/**
 * Call metadata as an OpenTelemetry propagation carrier: how trace context (W3C
 * `traceparent`, `tracestate`, baggage, ...) is written into a call's metadata and read back.
 */
import type { TextMapGetter, TextMapSetter } from "@opentelemetry/api";
import type { Metadata } from "@grpckit/core";

/** Writes a propagation header as a text metadata entry, replacing any value it had. */
export const metadataSetter: TextMapSetter<Metadata> = {
  set(carrier, key, value) {
    carrier.set(key, value);
  },
};

/** Reads a propagation header from text metadata; binary ("-bin") entries are not read. */
export const metadataGetter: TextMapGetter<Metadata> = {
  keys(carrier) {
    return carrier.keys();
  },
  get(carrier, key) {
    const values = carrier.getAll(key);
    if (values.length === 0) return undefined;
    if (values.length === 1) return typeof values[0] === "string" ? values[0] : undefined;
    return values.filter((v): v is string => typeof v === "string");
  },
};
