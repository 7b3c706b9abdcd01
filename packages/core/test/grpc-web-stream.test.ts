import { describe, expect, it } from "vitest";
import { Base64StreamDecoder, encodeTrailerFrame, grpcWebContentType } from "../src/server/grpc-web-stream.js";

describe("grpcWebContentType", () => {
  it("reads the codec and the text variant, and keeps the request's type for the response", () => {
    expect(grpcWebContentType("application/grpc-web")).toEqual({ codecName: "proto", text: false, responseType: "application/grpc-web" });
    expect(grpcWebContentType("application/grpc-web+proto")).toEqual({ codecName: "proto", text: false, responseType: "application/grpc-web+proto" });
    expect(grpcWebContentType("application/grpc-web+json; charset=utf-8")).toEqual({ codecName: "json", text: false, responseType: "application/grpc-web+json" });
    expect(grpcWebContentType("Application/gRPC-Web-Text")).toEqual({ codecName: "proto", text: true, responseType: "application/grpc-web-text" });
    expect(grpcWebContentType("application/grpc-web-text+proto")?.text).toBe(true);
  });

  it("is undefined for gRPC's own content types and for malformed ones", () => {
    for (const ct of ["application/grpc", "application/grpc+proto", "application/grpc-webx", "application/grpc-web+", "application/json", ""]) {
      expect(grpcWebContentType(ct)).toBeUndefined();
    }
  });
});

describe("encodeTrailerFrame", () => {
  it("writes the trailers as an HTTP/1 header block behind a 0x80-flagged prefix, leaving out pseudo-headers", () => {
    const frame = Buffer.from(encodeTrailerFrame({ ":status": 200, "grpc-status": "3", "grpc-message": "bad%20input", "x-ids": ["1", "2"] }));
    const block = "grpc-status: 3\r\ngrpc-message: bad%20input\r\nx-ids: 1\r\nx-ids: 2\r\n";
    expect(frame[0]).toBe(0x80);
    expect(frame.readUInt32BE(1)).toBe(block.length);
    expect(frame.subarray(5).toString("latin1")).toBe(block);
  });
});

describe("Base64StreamDecoder", () => {
  const bytes = Buffer.from(Array.from({ length: 200 }, (_, i) => (i * 37 + 11) & 0xff));

  it("decodes one unpadded or padded run split at every position", () => {
    for (const length of [0, 1, 2, 3, 4, 5, 99, 200]) {
      const text = bytes.subarray(0, length).toString("base64");
      for (let cut = 0; cut <= text.length; cut++) {
        const d = new Base64StreamDecoder();
        const out = Buffer.concat([d.push(Buffer.from(text.slice(0, cut))), d.push(Buffer.from(text.slice(cut)))]);
        expect(out.equals(bytes.subarray(0, length))).toBe(true);
        expect(d.held).toBe(0);
      }
    }
  });

  it("decodes a body of separately padded runs, whatever the chunk boundaries", () => {
    // Runs of 1, 2, 3, 7 and 20 bytes: "==", "=", no padding, "=", "==".
    const runs = [1, 2, 3, 7, 20];
    let at = 0;
    const parts: Buffer[] = [];
    for (const n of runs) {
      parts.push(bytes.subarray(at, at + n));
      at += n;
    }
    const text = parts.map((p) => p.toString("base64")).join("");
    const expected = Buffer.concat(parts);
    for (const step of [1, 2, 3, 5, 7, 11, text.length]) {
      const d = new Base64StreamDecoder();
      const out: Buffer[] = [];
      for (let i = 0; i < text.length; i += step) out.push(Buffer.from(d.push(Buffer.from(text.slice(i, i + step)))));
      expect(Buffer.concat(out).equals(expected)).toBe(true);
      expect(d.held).toBe(0);
    }
  });

  it("holds the characters of an unfinished group until the rest arrives", () => {
    const d = new Base64StreamDecoder();
    expect(d.push(Buffer.from("QUJ")).byteLength).toBe(0);
    expect(d.held).toBe(3);
    expect(Buffer.from(d.push(Buffer.from("DQQ="))).toString()).toBe("ABC");
    expect(d.held).toBe(3);
    expect(Buffer.from(d.push(Buffer.from("="))).toString()).toBe("A");
    expect(d.held).toBe(0);
  });
});
