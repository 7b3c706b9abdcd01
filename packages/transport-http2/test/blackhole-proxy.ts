/**
 * A TCP proxy for keepalive tests: it forwards bytes between clients and one upstream
 * address until told to black-hole, after which the connections it carries stay open
 * but nothing crosses them in either direction, as when a network path silently dies.
 */
import net from "node:net";

interface Pair {
  readonly client: net.Socket;
  readonly upstream: net.Socket;
  dead: boolean;
}

export interface BlackholeProxy {
  /** "127.0.0.1:port" to connect to instead of the upstream. */
  readonly address: string;
  /** Connections accepted so far. */
  readonly accepted: () => number;
  /** Stops forwarding on every connection, existing and new, without closing any. */
  blackhole(): void;
  /** New connections forward again; black-holed ones stay dead. */
  restore(): void;
  close(): Promise<void>;
}

export async function startBlackholeProxy(upstream: string): Promise<BlackholeProxy> {
  const colon = upstream.lastIndexOf(":");
  const host = upstream.slice(0, colon);
  const port = Number(upstream.slice(colon + 1));
  const pairs = new Set<Pair>();
  let holing = false;
  let accepted = 0;
  const server = net.createServer((client) => {
    accepted++;
    const up = net.connect({ host, port });
    const pair: Pair = { client, upstream: up, dead: holing };
    pairs.add(pair);
    const forward = (to: net.Socket) => (chunk: Buffer) => {
      if (!pair.dead && !to.destroyed) to.write(chunk);
    };
    client.on("data", forward(up));
    up.on("data", forward(client));
    const end = () => {
      pairs.delete(pair);
      client.destroy();
      up.destroy();
    };
    client.on("error", end).on("close", end);
    up.on("error", end).on("close", end);
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const bound = server.address() as net.AddressInfo;
  return {
    address: `127.0.0.1:${bound.port}`,
    accepted: () => accepted,
    blackhole() {
      holing = true;
      for (const pair of pairs) pair.dead = true;
    },
    restore() {
      holing = false;
    },
    close() {
      for (const pair of pairs) {
        pair.client.destroy();
        pair.upstream.destroy();
      }
      return new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
