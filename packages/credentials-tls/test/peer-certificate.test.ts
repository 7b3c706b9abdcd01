/** How a peer certificate's subject alternative names are listed in auth info. */
import { describe, expect, it } from "vitest";
import { splitAltNames } from "../src/peer-certificate.js";

describe("subjectAltNames", () => {
  it("lists each name of node's comma-separated form", () => {
    expect(splitAltNames("DNS:localhost, IP Address:127.0.0.1, URI:spiffe://a/b")).toEqual(["DNS:localhost", "IP Address:127.0.0.1", "URI:spiffe://a/b"]);
  });

  it("keeps a quoted name that holds a comma whole", () => {
    expect(splitAltNames('DNS:a.test, URI:"https://x.test/a,b", DNS:b.test')).toEqual(["DNS:a.test", 'URI:"https://x.test/a,b"', "DNS:b.test"]);
  });

  it("is empty when the certificate has no names", () => {
    expect(splitAltNames(undefined)).toEqual([]);
    expect(splitAltNames("")).toEqual([]);
  });
});
