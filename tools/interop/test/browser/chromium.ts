/** Headless Chromium for the browser tests: Debian's build, a throwaway profile, nothing phoning home. */
import { chromium, type Browser } from "playwright-core";

/** Launches Chromium trusting, besides the usual roots, certificates with the given public key hashes. */
export function launchChromium(trustedSpkiHashes: string[]): Promise<Browser> {
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
      `--ignore-certificate-errors-spki-list=${trustedSpkiHashes.join(",")}`,
    ],
  });
}
