/** Headless Chromium for the browser tests: Debian's build, a throwaway profile, nothing phoning home. */
import { chromium, type Browser } from "playwright-core";

export interface ChromiumOptions {
  /** Certificates to trust besides the usual roots, by the hashes of their public keys. */
  readonly trustedSpkiHashes: string[];
  /** False turns HTTP/2 off, so the browser asks TLS servers for http/1.1 alone. */
  readonly http2: boolean;
}

/** Launches Chromium; playwright gives it a fresh, throwaway profile (--user-data-dir) each time. */
export function launchChromium(options: ChromiumOptions): Promise<Browser> {
  return chromium.launch({
    executablePath: "/usr/bin/chromium",
    timeout: 30_000,
    args: [
      "--headless",
      "--no-sandbox",
      "--disable-gpu",
      "--disable-quic",
      "--no-first-run",
      "--disable-background-networking",
      "--disable-component-update",
      "--disable-sync",
      `--ignore-certificate-errors-spki-list=${options.trustedSpkiHashes.join(",")}`,
      ...(options.http2 ? [] : ["--disable-http2"]),
    ],
  });
}
