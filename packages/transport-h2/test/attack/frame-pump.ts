/**
 * An attacker over node:net for the attack tests: it writes batches of raw frames as
 * fast as the socket takes them for a given time, on a fresh connection whenever the
 * server closes one, and either reads (and discards) what the server sends or never
 * reads at all. It yields to the event loop between batches, so a victim client in the
 * same process keeps running.
 */
import net from "node:net";
import { connectionPreface, settingsFrame } from "../../src/frame.js";

export interface PumpOptions {
  port: number;
  durationMs: number;
  /** Read and discard the server's bytes; false leaves the socket unread. */
  read: boolean;
  /** The bytes of one batch on a connection, given the first stream id it may use. */
  batch(firstStreamId: number): { bytes: Buffer; streams: number };
  /** Bytes sent once after the preface (a WINDOW_UPDATE, say). */
  hello?: Buffer;
}

export interface PumpResult {
  /** Connections used: 1 plus one per connection the server closed during the attack. */
  connections: number;
  /** Streams opened, over all connections. */
  streams: number;
  /** Bytes the sockets took from the attacker. */
  bytesWritten: number;
}

const immediate = () => new Promise<void>((resolve) => setImmediate(resolve));

export async function pump(options: PumpOptions): Promise<PumpResult> {
  const end = Date.now() + options.durationMs;
  const result: PumpResult = { connections: 0, streams: 0, bytesWritten: 0 };
  const sockets: net.Socket[] = [];
  try {
    while (Date.now() < end) {
      const socket = net.connect({ port: options.port, host: "127.0.0.1", noDelay: true });
      sockets.push(socket);
      socket.on("error", () => {});
      if (options.read) socket.on("data", () => {});
      let closed = false;
      socket.once("close", () => (closed = true));
      await new Promise<void>((resolve) => {
        socket.once("connect", resolve);
        socket.once("close", resolve);
      });
      if (closed) continue;
      result.connections++;
      socket.write(Buffer.concat([connectionPreface, settingsFrame([]), options.hello ?? Buffer.alloc(0)]));
      let nextId = 1;
      while (!closed && Date.now() < end && nextId < 0x7fff0000) {
        const { bytes, streams } = options.batch(nextId);
        nextId += 2 * streams;
        result.streams += streams;
        const taken = socket.write(bytes);
        if (!taken) {
          await new Promise<void>((resolve) => {
            const done = () => {
              clearTimeout(timer);
              resolve();
            };
            const timer = setTimeout(done, Math.max(0, end - Date.now()));
            socket.once("drain", done);
            socket.once("close", done);
          });
        }
        await immediate();
      }
      result.bytesWritten += socket.bytesWritten - socket.writableLength;
    }
  } finally {
    for (const s of sockets) s.destroy();
  }
  return result;
}
