/**
 * The web example as a user runs it: `node dist/main.js 0 0` in its own process, the
 * page it prints opened in headless Chromium, and the page's buttons pressed. The page
 * calls the grpckit server on another origin with connect-web (Connect and gRPC-Web),
 * and shows the greeting, the streamed numbers and the errors the server sends.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { once } from "node:events";
import { fileURLToPath } from "node:url";
import { chromium, type Browser, type Page } from "playwright-core";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";

const main = fileURLToPath(new URL("../dist/main.js", import.meta.url));

interface Started {
  readonly child: ChildProcess;
  readonly apiUrl: string;
  readonly pageUrl: string;
  readonly stdout: string[];
}

let browser: Browser;
let example: Started;
const pages: Page[] = [];

/** Starts the example on free ports and reads the two lines it prints when ready. */
async function start(): Promise<Started> {
  const child = spawn(process.execPath, [main, "0", "0"], { stdio: ["ignore", "pipe", "inherit"] });
  const stdout: string[] = [];
  let buffered = "";
  return new Promise<Started>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`the example did not print its URL: ${stdout.join(" | ")}`)), 20_000);
    child.stdout!.on("data", (chunk: Buffer) => {
      buffered += chunk.toString();
      let nl: number;
      while ((nl = buffered.indexOf("\n")) >= 0) {
        stdout.push(buffered.slice(0, nl));
        buffered = buffered.slice(nl + 1);
      }
      const api = stdout.map((l) => /^grpckit API \(gRPC, gRPC-Web and Connect\) at (http:\/\/\S+)$/.exec(l)).find((m) => m !== null);
      const open = stdout.map((l) => /^open (http:\/\/\S+) in a browser; Ctrl-C to stop$/.exec(l)).find((m) => m !== null);
      if (api && open) {
        clearTimeout(timer);
        resolve({ child, apiUrl: api[1], pageUrl: open[1], stdout });
      }
    });
    child.once("exit", (code) => reject(new Error(`the example exited (${code}) before it was ready: ${stdout.join(" | ")}`)));
  });
}

async function openPage(protocol: "connect" | "grpc-web"): Promise<Page> {
  const page = await browser.newPage();
  pages.push(page);
  await page.goto(example.pageUrl, { timeout: 10_000 });
  await page.selectOption("#protocol", protocol);
  return page;
}

beforeAll(async () => {
  example = await start();
  browser = await chromium.launch({
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
    ],
  });
});

afterEach(async () => {
  for (const page of pages.splice(0)) await page.close();
});

afterAll(async () => {
  await browser?.close();
  if (example !== undefined && example.child.exitCode === null && example.child.signalCode === null) example.child.kill("SIGKILL");
});

describe("npm run example:web", () => {
  it("prints the page's URL and the API's, on 127.0.0.1 and two different ports", () => {
    expect(example.pageUrl).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/$/);
    expect(example.apiUrl).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    expect(new URL(example.pageUrl).port).not.toBe(new URL(example.apiUrl).port);
  });

  it("serves a page that names the API it calls", async () => {
    const page = await openPage("connect");
    await expect(page.title()).resolves.toBe("grpckit from the browser");
    expect(await page.textContent("#api-url")).toBe(example.apiUrl);
  });
});

describe.each([
  { protocol: "connect" as const, label: "Connect" },
  { protocol: "grpc-web" as const, label: "gRPC-Web" },
])("the page over $label", ({ protocol }) => {
  it("shows the greeting SayHello returns", async () => {
    const page = await openPage(protocol);
    const methods: string[] = [];
    page.on("request", (r) => {
      if (r.url().includes("/web.v1.HelloService/SayHello")) methods.push(r.method());
    });
    await page.fill("#name", "Grace");
    await page.click("#say-hello");
    await expect.poll(() => page.textContent("#hello-result"), { timeout: 10_000 }).toBe("Hello, Grace!");
    expect(await page.locator("#hello-result").evaluate((e) => e.classList.contains("error"))).toBe(false);
    // SayHello has no side effects: the Connect transport sends it as a GET, gRPC-Web always POSTs.
    expect(methods.filter((m) => m !== "OPTIONS")).toEqual([protocol === "connect" ? "GET" : "POST"]);
  });

  it("shows the status code and message of the error an empty name gets", async () => {
    const page = await openPage(protocol);
    await page.fill("#name", "");
    await page.click("#say-hello");
    await expect
      .poll(() => page.textContent("#hello-result"), { timeout: 10_000 })
      .toBe("error InvalidArgument (3): name must not be empty: type a name and try again");
    expect(await page.locator("#hello-result").evaluate((e) => e.classList.contains("error"))).toBe(true);
  });

  it("lists each number of the Count stream as it arrives, then says it is done", async () => {
    const page = await openPage(protocol);
    // When each number enters the list, by the page's own clock.
    await page.evaluate(() => {
      const shown: number[] = [];
      Object.assign(window, { shown });
      new MutationObserver((records) => {
        for (const r of records) for (let i = 0; i < r.addedNodes.length; i++) shown.push(performance.now());
      }).observe(document.querySelector("#count-list")!, { childList: true });
    });
    await page.fill("#up-to", "4");
    await page.click("#count");
    await expect.poll(() => page.textContent("#count-result"), { timeout: 10_000 }).toBe("done: 4 numbers");
    expect(await page.locator("#count-list li").allTextContents()).toEqual(["1", "2", "3", "4"]);
    // The server sends a number every 200 ms; a page that got them all at the end would show them at once.
    const shown = await page.evaluate(() => (window as unknown as { shown: number[] }).shown);
    expect(shown).toHaveLength(4);
    expect(shown[3] - shown[0]).toBeGreaterThanOrEqual(500);
  });

  it("shows the error a count out of range gets, with no numbers", async () => {
    const page = await openPage(protocol);
    await page.fill("#up-to", "50");
    await page.click("#count");
    await expect
      .poll(() => page.textContent("#count-result"), { timeout: 10_000 })
      .toBe("error InvalidArgument (3): up_to must be from 1 to 20, not 50 (after 0 numbers)");
    expect(await page.locator("#count-list li").count()).toBe(0);
  });
});

describe("CORS", () => {
  it("allows only the page's own origin: the page opened as localhost cannot read the API's answers", async () => {
    const page = await browser.newPage();
    pages.push(page);
    // The same page from http://localhost:<port> is another origin than http://127.0.0.1:<port>.
    await page.goto(example.pageUrl.replace("127.0.0.1", "localhost"), { timeout: 10_000 });
    await page.click("#say-hello");
    await expect.poll(() => page.textContent("#hello-result"), { timeout: 10_000 }).toBe("error Unknown (2): Failed to fetch");
  });
});

describe("stopping the example", () => {
  it("on SIGTERM lets a stream the page is reading finish, then exits 0", async () => {
    const page = await openPage("connect");
    await page.fill("#up-to", "5");
    await page.click("#count");
    await expect.poll(() => page.locator("#count-list li").count(), { timeout: 10_000 }).toBeGreaterThan(0);
    const exited = once(example.child, "exit");
    example.child.kill("SIGTERM");
    await expect.poll(() => page.textContent("#count-result"), { timeout: 10_000 }).toBe("done: 5 numbers");
    const [code] = await exited;
    expect(code).toBe(0);
    expect(example.stdout).toContain("shutting down");
    expect(example.stdout).toContain("stopped");
    // Stopped means stopped: the page can no longer reach the API (connect-web reports fetch's own failure).
    await page.click("#say-hello");
    await expect.poll(() => page.textContent("#hello-result"), { timeout: 10_000 }).toBe("error Unknown (2): Failed to fetch");
  });
});
