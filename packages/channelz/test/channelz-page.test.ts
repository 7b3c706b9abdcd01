/**
 * The channelz web page: its HTTP endpoints, and the page itself in headless
 * Chromium, showing real channels and servers and refreshing without a reload.
 */
import { chromium, type Browser, type Page } from "playwright-core";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { createChannel, createClient, createServer, enableChannelz, type Channel, type ChannelzRegistry, type Server } from "@grpckit/core";
import { http2Transport } from "@grpckit/transport-http2";
import { addChannelzService, ChannelzService, serveChannelzPage, type ChannelzPage, type ChannelzSnapshot } from "../src/index.js";

const transport = http2Transport();
let registry: ChannelzRegistry;
let server: Server;
let address: string;
let app: Channel;
let client: ReturnType<typeof createClient<typeof ChannelzService>>;
let channelzPage: ChannelzPage;
let browser: Browser | undefined;
let page: Page | undefined;

beforeAll(async () => {
  registry = enableChannelz();
  server = createServer({ transport });
  addChannelzService(server);
  ({ address } = await server.listen("127.0.0.1:0"));
  app = createChannel(address, { transport });
  client = createClient(ChannelzService, app);
  await client.getServers({});
  channelzPage = await serveChannelzPage();
});

afterEach(async () => {
  await page?.close();
  page = undefined;
});

afterAll(async () => {
  await browser?.close();
  await channelzPage?.close();
  app?.close();
  server?.forceShutdown();
});

/** Opens the page in a fresh tab; the browser (with its own throwaway profile) is launched once. */
async function openPage(): Promise<Page> {
  browser ??= await chromium.launch({
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
  page = await browser.newPage();
  await page.goto(channelzPage.url, { timeout: 10_000 });
  return page;
}

describe("serveChannelzPage over HTTP", () => {
  it("binds to 127.0.0.1 by default and serves an HTML page with no external resources", async () => {
    expect(channelzPage.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/$/);
    const response = await fetch(channelzPage.url);
    expect(response.status).toBe(200);
    expect(response.headers.get("content-type")).toBe("text/html; charset=utf-8");
    expect(response.headers.get("content-security-policy")).toContain("default-src 'none'");
    const html = await response.text();
    expect(html).toContain("<title>channelz</title>");
    expect(html).not.toMatch(/\b(src|href)=/);
  });

  it("serves a JSON snapshot listing the channel with its target and calls", async () => {
    const response = await fetch(new URL("channelz.json", channelzPage.url));
    expect(response.headers.get("content-type")).toBe("application/json; charset=utf-8");
    const snapshot = (await response.json()) as ChannelzSnapshot;
    const mine = snapshot.channels.find((c) => c.id === app.channelz!.id);
    expect(mine?.target).toBe(address);
    expect(mine?.calls.started).toBeGreaterThanOrEqual(1);
    expect(mine?.subchannels[0]?.sockets[0]?.remote).toBe(address);
    expect(snapshot.servers.find((s) => s.id === server.channelz!.id)?.listenSockets).toEqual([address]);
  });

  it("answers 404 for other paths and 405 for other methods", async () => {
    expect((await fetch(new URL("nope", channelzPage.url))).status).toBe(404);
    expect((await fetch(channelzPage.url, { method: "POST", body: "x" })).status).toBe(405);
  });

  it("stops accepting connections once closed", async () => {
    const other = await serveChannelzPage();
    expect((await fetch(other.url)).status).toBe(200);
    await other.close();
    await expect(fetch(other.url)).rejects.toThrow();
  });
});

describe("the channelz page in Chromium", () => {
  it("shows the channel's target and state, and its calls-started count rises without a reload", async () => {
    const p = await openPage();
    const row = p.locator(`#channels tr[data-id="${app.channelz!.id}"]`);
    await expect.poll(() => row.locator("td.target").textContent({ timeout: 5000 }), { timeout: 5000 }).toBe(address);
    expect(await row.locator("td.state").textContent()).toBe("READY");
    const before = Number(await row.locator("td.started").textContent());
    expect(before).toBeGreaterThanOrEqual(1);

    let navigations = 0;
    p.on("framenavigated", () => navigations++);
    for (let i = 0; i < 3; i++) await client.getServers({});
    await expect
      .poll(async () => Number(await row.locator("td.started").textContent({ timeout: 1000 })), { timeout: 5000, interval: 200 })
      .toBe(before + 3);
    expect(navigations).toBe(0);
  });

  it("lists the subchannel, the server with its listen socket, both ends' sockets and trace events", async () => {
    const p = await openPage();
    const sc = [...app.channelz!.subchannels][0]!;
    await p.locator(`#subchannels tr[data-id="${sc.id}"] td.target`).waitFor({ timeout: 5000 });
    expect(await p.locator(`#subchannels tr[data-id="${sc.id}"] td.target`).textContent()).toBe(address);
    expect(await p.locator(`#servers tr[data-id="${server.channelz!.id}"] td.listen`).textContent()).toBe(address);
    const socket = [...sc.sockets][0]!;
    const socketRow = p.locator(`#sockets tr[data-id="${socket.id}"]`);
    expect(Number(await socketRow.locator("td.streams-started").textContent())).toBeGreaterThanOrEqual(1);
    expect(await socketRow.locator("td.security").textContent()).toBe("insecure");
    const accepted = [...server.channelz!.sockets].find((s) => s.remote === socket.local)!;
    const acceptedRow = p.locator(`#sockets tr[data-id="${accepted.id}"]`);
    expect(await acceptedRow.locator("td.owner").textContent()).toBe(`server ${server.channelz!.id}`);
    expect(Number(await acceptedRow.locator("td.streams-started").textContent())).toBeGreaterThanOrEqual(1);
    expect(await p.locator("#trace").textContent()).toContain("Channel created");
  });

  it("shows a target holding HTML as text, never as markup", async () => {
    const hostile = `dns:///<img src=x onerror="document.title='pwned'">&amp;`;
    const channel = registry.addChannel(hostile);
    try {
      const p = await openPage();
      const cell = p.locator(`#channels tr[data-id="${channel.id}"] td.target`);
      await cell.waitFor({ timeout: 5000 });
      expect(await cell.textContent()).toBe(hostile);
      expect(await p.locator("#channels img").count()).toBe(0);
      expect(await p.title()).toBe("channelz");
    } finally {
      registry.removeChannel(channel);
    }
  });
});
