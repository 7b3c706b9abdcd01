import { describe, expect, it } from "vitest";
import { decodeGrpcMessage, encodeGrpcMessage } from "../src/wire/percent-encoding.js";

describe("encodeGrpcMessage", () => {
  it("leaves printable ASCII other than '%' as it is", () => {
    let all = "";
    for (let c = 0x20; c <= 0x7e; c++) if (c !== 0x25) all += String.fromCharCode(c);
    expect(encodeGrpcMessage(all)).toBe(all);
    expect(encodeGrpcMessage("")).toBe("");
  });

  it("escapes '%' itself", () => {
    expect(encodeGrpcMessage("100% sure")).toBe("100%25 sure");
  });

  it("escapes control characters and DEL", () => {
    expect(encodeGrpcMessage("a\r\nb\tc\x00\x7f")).toBe("a%0D%0Ab%09c%00%7F");
  });

  it("escapes the UTF-8 bytes of non-ASCII text in upper-case hex", () => {
    expect(encodeGrpcMessage("café")).toBe("caf%C3%A9");
    expect(encodeGrpcMessage("€")).toBe("%E2%82%AC");
    expect(encodeGrpcMessage("😈")).toBe("%F0%9F%98%88");
  });

  it("produces only printable ASCII", () => {
    const out = encodeGrpcMessage("mixed 🙂 text\u0001 with % and ünïcödé\uffff");
    expect(out).toMatch(/^[\x20-\x7e]*$/);
  });
});

describe("decodeGrpcMessage", () => {
  it("returns a value without escapes as it is", () => {
    expect(decodeGrpcMessage("plain message")).toBe("plain message");
  });

  it("decodes escapes into UTF-8 text", () => {
    expect(decodeGrpcMessage("caf%C3%A9 %E2%82%AC %F0%9F%98%88")).toBe("café € 😈");
    expect(decodeGrpcMessage("100%25")).toBe("100%");
    expect(decodeGrpcMessage("a%0D%0Ab")).toBe("a\r\nb");
  });

  it("accepts lower-case hex", () => {
    expect(decodeGrpcMessage("caf%c3%a9")).toBe("café");
  });

  it("keeps malformed escapes as they are", () => {
    expect(decodeGrpcMessage("%")).toBe("%");
    expect(decodeGrpcMessage("50%")).toBe("50%");
    expect(decodeGrpcMessage("%4")).toBe("%4");
    expect(decodeGrpcMessage("%zz%41")).toBe("%zzA");
    expect(decodeGrpcMessage("%%41")).toBe("%A");
    expect(decodeGrpcMessage("%G1")).toBe("%G1");
  });

  it("turns invalid UTF-8 into U+FFFD instead of throwing", () => {
    expect(decodeGrpcMessage("%FF")).toBe("\ufffd");
    expect(decodeGrpcMessage("a%C3b")).toBe("a\ufffdb");
    expect(decodeGrpcMessage("%E2%82")).toBe("\ufffd");
  });

  it("keeps unescaped non-ASCII characters", () => {
    expect(decodeGrpcMessage("é%20ok")).toBe("é ok");
  });

  it("reads back whatever encodeGrpcMessage writes", () => {
    const samples = ["", "ok", "100%", "%41 literal", "line\nbreak", "Grüße, 世界 👋", "\u0000\u007f\u0080\u07ff\u0800\uffff"];
    for (const s of samples) expect(decodeGrpcMessage(encodeGrpcMessage(s))).toBe(s);
  });
});
