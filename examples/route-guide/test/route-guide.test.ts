/**
 * The RouteGuide example over real loopback HTTP/2: each of the four RPC kinds answers
 * what the route guide promises — the feature at a point, exactly the features inside a
 * rectangle, a correct summary of a route, and the notes left earlier at a point.
 */
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { Code, GrpcError, createChannel, createClient, createServer, type Channel, type Client, type Server } from "@grpckit/core";
import { h2Transport } from "@grpckit/transport-h2";
import { tour } from "../src/client.js";
import { features } from "../src/feature-db.js";
import { RouteGuide, routeGuide } from "../src/server.js";

const transport = h2Transport();
let server: Server;
let channel: Channel;
let client: Client<typeof RouteGuide>;

// A fresh server per test, so notes left by one test are not seen by the next.
beforeEach(async () => {
  server = createServer({ transport });
  server.addService(RouteGuide, routeGuide(features));
  const { address } = await server.listen("127.0.0.1:0");
  channel = createChannel(address, { transport });
  client = createClient(RouteGuide, channel);
});

afterEach(() => {
  channel?.close();
  server?.forceShutdown();
});

const e7 = (degrees: number) => Math.round(degrees * 1e7);
const at = (lat: number, lng: number) => ({ latitude: e7(lat), longitude: e7(lng) });

async function failure(run: () => Promise<unknown>): Promise<GrpcError> {
  try {
    await run();
  } catch (e) {
    if (e instanceof GrpcError) return e;
    throw e;
  }
  throw new Error("the call succeeded");
}

async function names(rect: { lo?: { latitude: number; longitude: number }; hi?: { latitude: number; longitude: number } }): Promise<string[]> {
  const out: string[] = [];
  for await (const f of client.listFeatures(rect)) out.push(f.name);
  return out;
}

describe("the feature database", () => {
  it("holds a dozen named features at distinct points", () => {
    expect(features).toHaveLength(12);
    expect(features.every((f) => f.name !== "" && f.location !== undefined)).toBe(true);
    expect(new Set(features.map((f) => `${f.location?.latitude},${f.location?.longitude}`)).size).toBe(12);
  });
});

describe("GetFeature", () => {
  it("returns the named feature at a known point", async () => {
    const f = await client.getFeature(at(46.5401, 7.9502));
    expect(f.name).toBe("Blue Tarn Hut");
    expect(f.location).toMatchObject(at(46.5401, 7.9502));
  });

  it("returns a feature with an empty name and the asked location where nothing is known", async () => {
    const f = await client.getFeature(at(46.5401, 7.9503));
    expect(f.name).toBe("");
    expect(f.location).toMatchObject(at(46.5401, 7.9503));
  });
});

describe("ListFeatures", () => {
  it("returns exactly the features inside the rectangle", async () => {
    const inside = await names({ lo: at(46.48, 7.88), hi: at(46.53, 7.94) });
    expect(inside.sort()).toEqual(["Larch Hollow Picnic Ground", "Old Mill Footbridge", "Saint Oda's Chapel", "Whistling Rock Viewpoint"]);
  });

  it("gives the same features when the corners are given the other way round", async () => {
    const inside = await names({ lo: at(46.53, 7.94), hi: at(46.48, 7.88) });
    expect(inside.sort()).toEqual(["Larch Hollow Picnic Ground", "Old Mill Footbridge", "Saint Oda's Chapel", "Whistling Rock Viewpoint"]);
  });

  it("includes a feature lying on the rectangle's border", async () => {
    expect(await names({ lo: at(46.5401, 7.9502), hi: at(46.5401, 7.9502) })).toEqual(["Blue Tarn Hut"]);
    expect(await names({ lo: at(46.5401, 7.95), hi: at(46.56, 7.9502) })).toEqual(["Blue Tarn Hut"]);
  });

  it("returns every feature for a rectangle around the whole valley and none for one elsewhere", async () => {
    expect(await names({ lo: at(46, 7), hi: at(47, 8.5) })).toHaveLength(12);
    expect(await names({ lo: at(-10, -10), hi: at(10, 10) })).toEqual([]);
  });

  it("a rectangle missing a corner ends the call with INVALID_ARGUMENT", async () => {
    const err = await failure(() => names({ lo: at(46, 7) }));
    expect(err.code).toBe(Code.INVALID_ARGUMENT);
  });
});

describe("RecordRoute", () => {
  it("counts the points and the ones that are features", async () => {
    const summary = await client.recordRoute([at(46.5012, 7.9023), at(46.505, 7.91), at(46.5235, 7.9311), at(46.5012, 7.9023)]);
    expect(summary.pointCount).toBe(4);
    expect(summary.featureCount).toBe(3);
  });

  it("measures a degree of latitude along a meridian as 111,195 m per degree", async () => {
    const summary = await client.recordRoute([at(0, 0), at(1, 0), at(2, 0)]);
    expect(summary.distance).toBe(222_390);
    expect(summary.featureCount).toBe(0);
  });

  it("measures a quarter of the equator as 10,007,543 m", async () => {
    const summary = await client.recordRoute([at(0, 0), at(0, 90)]);
    expect(summary.distance).toBe(10_007_543);
  });

  it("sums the legs of a walk through the valley to the metre", async () => {
    // Legs of 725.2 m, 867.3 m and 1,775.6 m, by the haversine formula with R = 6,371 km.
    const summary = await client.recordRoute([at(46.5012, 7.9023), at(46.505, 7.91), at(46.512, 7.915), at(46.5235, 7.9311)]);
    expect(summary.distance).toBe(3368);
  });

  it("summarises an empty route as zero points, features and metres", async () => {
    const summary = await client.recordRoute([]);
    expect(summary).toMatchObject({ pointCount: 0, featureCount: 0, distance: 0, elapsedTime: 0 });
  });

  it("reports the seconds the route took", async () => {
    async function* slowWalk() {
      yield at(0, 0);
      await new Promise((r) => setTimeout(r, 1100));
      yield at(0, 1);
    }
    const summary = await client.recordRoute(slowWalk());
    // Whole seconds, counted from the first point: at least the pause, more on a slow machine.
    expect(summary.elapsedTime).toBeGreaterThanOrEqual(1);
  });
});

describe("RouteChat", () => {
  const hut = at(46.5401, 7.9502);
  const chapel = at(46.489, 7.8804);

  it("answers each note with the notes left earlier at the same location, oldest first", async () => {
    const received: string[] = [];
    const notes = [
      { location: hut, message: "h1" },
      { location: chapel, message: "c1" },
      { location: hut, message: "h2" },
      { location: hut, message: "h3" },
      { location: chapel, message: "c2" },
    ];
    for await (const n of client.routeChat(notes)) received.push(n.message);
    expect(received).toEqual(["h1", "h1", "h2", "c1"]);
  });

  it("sends the earlier notes as soon as a note arrives, before the client has finished sending", async () => {
    const received: string[] = [];
    let answered!: () => void;
    const firstAnswer = new Promise<void>((r) => (answered = r));
    async function* notes() {
      yield { location: hut, message: "first" };
      yield { location: hut, message: "second" };
      await firstAnswer;
      yield { location: chapel, message: "third" };
    }
    for await (const n of client.routeChat(notes())) {
      received.push(`${n.message} at ${n.location?.latitude}`);
      answered();
    }
    expect(received).toEqual([`first at ${hut.latitude}`]);
  });

  it("remembers notes from an earlier call", async () => {
    for await (const _ of client.routeChat([{ location: hut, message: "left yesterday" }])) {
      throw new Error("a first note at a point has no earlier notes");
    }
    const received: string[] = [];
    for await (const n of client.routeChat([{ location: hut, message: "today" }])) received.push(n.message);
    expect(received).toEqual(["left yesterday"]);
  });

  it("a note without a location ends the call with INVALID_ARGUMENT", async () => {
    const err = await failure(async () => {
      for await (const _ of client.routeChat([{ message: "nowhere" }]));
    });
    expect(err.code).toBe(Code.INVALID_ARGUMENT);
  });
});

describe("the client flow main.ts runs", () => {
  it("prints a line for each answer of the four RPCs", async () => {
    const lines: string[] = [];
    await tour(client, (line) => lines.push(line));
    expect(lines).toEqual([
      'GetFeature   -> "Blue Tarn Hut" at 46.5401, 7.9502',
      "GetFeature   -> nothing known at 0.0000, 0.0000",
      "ListFeatures -> features from 46.4800, 7.8800 to 46.5300, 7.9400:",
      'ListFeatures -> "Old Mill Footbridge" at 46.5012, 7.9023',
      'ListFeatures -> "Larch Hollow Picnic Ground" at 46.5120, 7.9150',
      'ListFeatures -> "Whistling Rock Viewpoint" at 46.5235, 7.9311',
      'ListFeatures -> "Saint Oda\'s Chapel" at 46.4890, 7.8804',
      expect.stringMatching(/^RecordRoute {2}-> 4 points, 3 features, 3368 m, \d+ s$/),
      'RouteChat    -> left earlier at 46.5401, 7.9502: "the hut is open"',
      'RouteChat    -> left earlier at 46.5401, 7.9502: "the hut is open"',
      'RouteChat    -> left earlier at 46.5401, 7.9502: "the water is cold"',
    ]);
  });
});
