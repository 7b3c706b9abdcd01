/** The RouteGuide service: features at points and in rectangles, route summaries, and notes left along a route. */
import { Code, GrpcError, type ServiceImpl } from "@grpckit/core";
import { features as defaultFeatures, inRectangle, pointKey } from "./feature-db.js";
import { distanceMetres } from "./haversine.js";
import { RouteGuide, type Feature, type Point, type RouteNote } from "./gen/routeguide/v1/route_guide_pb.js";

/**
 * A RouteGuide over `features`. Notes sent to RouteChat are kept for the life of the
 * returned implementation and shared by all its calls.
 */
export function routeGuide(features: readonly Feature[] = defaultFeatures): ServiceImpl<typeof RouteGuide> {
  const byPoint = new Map<string, Feature>();
  for (const f of features) if (f.location !== undefined && f.name !== "") byPoint.set(pointKey(f.location), f);
  const notes = new Map<string, RouteNote[]>();

  return {
    getFeature(point) {
      return byPoint.get(pointKey(point)) ?? { name: "", location: point };
    },

    async *listFeatures(rect) {
      const { lo, hi } = rect;
      if (lo === undefined || hi === undefined) throw new GrpcError(Code.INVALID_ARGUMENT, "a rectangle needs both corners, lo and hi");
      for (const f of features) {
        if (f.location !== undefined && f.name !== "" && inRectangle(f.location, lo, hi)) yield f;
      }
    },

    async recordRoute(points) {
      const start = Date.now();
      let pointCount = 0;
      let featureCount = 0;
      let distance = 0;
      let previous: Point | undefined;
      for await (const p of points) {
        pointCount++;
        if (byPoint.has(pointKey(p))) featureCount++;
        if (previous !== undefined) distance += distanceMetres(previous, p);
        previous = p;
      }
      return {
        pointCount,
        featureCount,
        distance: Math.round(distance),
        elapsedTime: Math.floor((Date.now() - start) / 1000),
      };
    },

    async *routeChat(incoming) {
      for await (const note of incoming) {
        if (note.location === undefined) throw new GrpcError(Code.INVALID_ARGUMENT, "a note needs a location");
        const key = pointKey(note.location);
        let here = notes.get(key);
        if (here === undefined) notes.set(key, (here = []));
        const earlier = here.slice();
        here.push(note);
        yield* earlier;
      }
    },
  };
}

export { RouteGuide };
