/** The RouteGuide client flow main.ts runs: each of the four RPCs once, a line per answer. */
import type { Client } from "@grpckit/core";
import { formatPoint } from "./feature-db.js";
import type { RouteGuide } from "./gen/routeguide/v1/route_guide_pb.js";

const blueTarnHut = { latitude: 465401000, longitude: 79502000 };
const saintOdasChapel = { latitude: 464890000, longitude: 78804000 };

/** A walk from the Old Mill Footbridge up to the Whistling Rock Viewpoint, with one unnamed point on the way. */
export const walk = [
  { latitude: 465012000, longitude: 79023000 },
  { latitude: 465050000, longitude: 79100000 },
  { latitude: 465120000, longitude: 79150000 },
  { latitude: 465235000, longitude: 79311000 },
];

/** The rectangle ListFeatures is asked about: the valley floor around the chapel and the mill. */
export const valleyFloor = {
  lo: { latitude: 464800000, longitude: 78800000 },
  hi: { latitude: 465300000, longitude: 79400000 },
};

/** Notes left along a route; the last two are at a point where one was left before. */
export const notes = [
  { location: blueTarnHut, message: "the hut is open" },
  { location: saintOdasChapel, message: "bells at noon" },
  { location: blueTarnHut, message: "the water is cold" },
  { location: blueTarnHut, message: "a marmot by the door" },
];

/** Calls GetFeature, ListFeatures, RecordRoute and RouteChat in turn, passing each answer to `print` as a line. */
export async function tour(client: Client<typeof RouteGuide>, print: (line: string) => void): Promise<void> {
  for (const point of [blueTarnHut, { latitude: 0, longitude: 0 }]) {
    const f = await client.getFeature(point);
    print(f.name !== "" ? `GetFeature   -> "${f.name}" at ${formatPoint(f.location)}` : `GetFeature   -> nothing known at ${formatPoint(f.location)}`);
  }

  print(`ListFeatures -> features from ${formatPoint(valleyFloor.lo)} to ${formatPoint(valleyFloor.hi)}:`);
  for await (const f of client.listFeatures(valleyFloor)) {
    print(`ListFeatures -> "${f.name}" at ${formatPoint(f.location)}`);
  }

  const summary = await client.recordRoute(walk);
  print(
    `RecordRoute  -> ${summary.pointCount} points, ${summary.featureCount} features, ` +
      `${summary.distance} m, ${summary.elapsedTime} s`,
  );

  for await (const earlier of client.routeChat(notes)) {
    print(`RouteChat    -> left earlier at ${formatPoint(earlier.location)}: "${earlier.message}"`);
  }
}
