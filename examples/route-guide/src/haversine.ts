/** Great-circle distance between two E7 points, by the haversine formula. */
import type { Point } from "./gen/routeguide/v1/route_guide_pb.js";

/** Mean radius of the Earth in metres, as the haversine formula takes it. */
export const earthRadiusMetres = 6_371_000;

const e7ToRadians = Math.PI / 180 / 1e7;

/** The distance in metres along the Earth's surface from `a` to `b` (coordinates in E7). */
export function distanceMetres(a: Pick<Point, "latitude" | "longitude">, b: Pick<Point, "latitude" | "longitude">): number {
  const lat1 = a.latitude * e7ToRadians;
  const lat2 = b.latitude * e7ToRadians;
  const dLat = lat2 - lat1;
  const dLng = (b.longitude - a.longitude) * e7ToRadians;
  const h = Math.sin(dLat / 2) ** 2 + Math.cos(lat1) * Math.cos(lat2) * Math.sin(dLng / 2) ** 2;
  return 2 * earthRadiusMetres * Math.asin(Math.min(1, Math.sqrt(h)));
}
