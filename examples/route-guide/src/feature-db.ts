/** The example's feature database: a dozen invented places in an alpine valley, from features.json. */
import { fromJson, type JsonValue } from "@bufbuild/protobuf";
import { FeatureSchema, type Feature, type Point } from "./gen/routeguide/v1/route_guide_pb.js";
import data from "./features.json" with { type: "json" };

/** Every feature of features.json, parsed as protobuf JSON. */
export const features: readonly Feature[] = (data as JsonValue[]).map((f) => fromJson(FeatureSchema, f));

/** A map key for a point: equal for points with the same coordinates. */
export function pointKey(p: Pick<Point, "latitude" | "longitude">): string {
  return `${p.latitude},${p.longitude}`;
}

/** Whether `p` lies inside the rectangle with corners `a` and `b` (in either order), borders included. */
export function inRectangle(p: Point, a: Point, b: Point): boolean {
  return (
    p.latitude >= Math.min(a.latitude, b.latitude) &&
    p.latitude <= Math.max(a.latitude, b.latitude) &&
    p.longitude >= Math.min(a.longitude, b.longitude) &&
    p.longitude <= Math.max(a.longitude, b.longitude)
  );
}

/** "46.5401, 7.9502": a point's coordinates in degrees, for printing. */
export function formatPoint(p: Pick<Point, "latitude" | "longitude"> | undefined): string {
  if (p === undefined) return "(no point)";
  return `${(p.latitude / 1e7).toFixed(4)}, ${(p.longitude / 1e7).toFixed(4)}`;
}
