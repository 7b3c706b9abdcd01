/**
 * The channelz web page: one self-contained HTML document (inline style and script,
 * no external resources) that polls the JSON snapshot every second and redraws its
 * tables. Every value reaches the DOM through textContent, never as markup, so
 * targets and addresses (user input) cannot inject HTML.
 */

/** The page's HTML; `nonce` marks its inline style and script for the Content-Security-Policy. */
export function channelzPageHtml(nonce: string, snapshotPath: string): string {
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>channelz</title>
<style nonce="${nonce}">
  body { font: 14px/1.4 system-ui, sans-serif; margin: 1.5em; color: #222; }
  h1 { font-size: 1.4em; margin: 0 0 .2em; }
  h2 { font-size: 1.1em; margin: 1.6em 0 .4em; }
  #status { color: #666; }
  #status.error { color: #b00020; }
  table { border-collapse: collapse; width: 100%; }
  th, td { text-align: left; padding: .25em .6em; border-bottom: 1px solid #ddd; vertical-align: top; }
  th { background: #f4f4f4; font-weight: 600; }
  th.num, td.num { text-align: right; font-variant-numeric: tabular-nums; }
  td.none { color: #888; font-style: italic; }
  .READY { color: #137333; } .CONNECTING { color: #b06000; } .TRANSIENT_FAILURE { color: #b00020; }
  .IDLE, .SHUTDOWN { color: #666; } .WARNING { color: #b06000; } .ERROR { color: #b00020; }
  code, td.addr { font-family: ui-monospace, monospace; word-break: break-all; }
</style>
</head>
<body>
<h1>channelz</h1>
<div id="status">loading…</div>

<h2>Channels</h2>
<table id="channels"><thead><tr>
  <th class="num">id</th><th>target</th><th>state</th><th class="num">calls started</th><th class="num">succeeded</th><th class="num">failed</th><th>last call</th>
</tr></thead><tbody></tbody></table>

<h2>Subchannels</h2>
<table id="subchannels"><thead><tr>
  <th class="num">id</th><th class="num">channel</th><th>target</th><th>state</th><th class="num">calls started</th><th class="num">succeeded</th><th class="num">failed</th><th>last call</th>
</tr></thead><tbody></tbody></table>

<h2>Servers</h2>
<table id="servers"><thead><tr>
  <th class="num">id</th><th>listen sockets</th><th class="num">calls started</th><th class="num">succeeded</th><th class="num">failed</th><th>last call</th>
</tr></thead><tbody></tbody></table>

<h2>Sockets</h2>
<table id="sockets"><thead><tr>
  <th class="num">id</th><th>owner</th><th>local</th><th>remote</th><th class="num">streams started</th><th class="num">succeeded</th><th class="num">failed</th>
  <th class="num">messages sent</th><th class="num">received</th><th>security</th>
</tr></thead><tbody></tbody></table>

<h2>Trace events</h2>
<table id="trace"><thead><tr>
  <th>entity</th><th>time</th><th>severity</th><th>description</th>
</tr></thead><tbody></tbody></table>

<script nonce="${nonce}">
"use strict";
const snapshotPath = ${JSON.stringify(snapshotPath)};

function row(id, cells) {
  const tr = document.createElement("tr");
  if (id !== undefined) tr.dataset.id = String(id);
  for (const [text, cls] of cells) {
    const td = document.createElement("td");
    td.textContent = text === undefined || text === null ? "" : String(text);
    if (cls) td.className = cls;
    tr.appendChild(td);
  }
  return tr;
}

function fill(tableId, rows, columns) {
  const body = document.querySelector("#" + tableId + " tbody");
  if (rows.length === 0) {
    const tr = document.createElement("tr");
    const td = document.createElement("td");
    td.colSpan = columns;
    td.className = "none";
    td.textContent = "none";
    tr.appendChild(td);
    rows = [tr];
  }
  body.replaceChildren(...rows);
}

function time(iso) {
  return iso ? new Date(iso).toLocaleTimeString() : "";
}

function callCells(c) {
  return [[c.started, "num started"], [c.succeeded, "num succeeded"], [c.failed, "num failed"], [time(c.lastStarted), "last"]];
}

function socketRow(s, owner) {
  return row(s.id, [
    [s.id, "num"], [owner, "owner"], [s.local, "addr local"], [s.remote, "addr remote"],
    [s.streamsStarted, "num streams-started"], [s.streamsSucceeded, "num"], [s.streamsFailed, "num"],
    [s.messagesSent, "num messages-sent"], [s.messagesReceived, "num messages-received"], [s.security || "plaintext", "security"],
  ]);
}

function traceRows(entity, events) {
  return events.map((e) => row(undefined, [[entity, ""], [time(e.time), ""], [e.severity, e.severity], [e.description, ""]]));
}

function render(snap) {
  const channels = [], subchannels = [], servers = [], sockets = [], trace = [];
  for (const c of snap.channels) {
    channels.push(row(c.id, [[c.id, "num"], [c.target, "target"], [c.state, "state " + c.state], ...callCells(c.calls)]));
    trace.push(...traceRows("channel " + c.id + " (" + c.target + ")", c.trace));
    for (const sc of c.subchannels) {
      subchannels.push(row(sc.id, [[sc.id, "num"], [c.id, "num"], [sc.target, "target"], [sc.state, "state " + sc.state], ...callCells(sc.calls)]));
      trace.push(...traceRows("subchannel " + sc.id + " (" + sc.target + ")", sc.trace));
      for (const s of sc.sockets) sockets.push(socketRow(s, "subchannel " + sc.id));
    }
  }
  for (const s of snap.servers) {
    servers.push(row(s.id, [[s.id, "num"], [s.listenSockets.join(", "), "addr listen"], ...callCells(s.calls)]));
    trace.push(...traceRows("server " + s.id, s.trace));
    for (const k of s.sockets) sockets.push(socketRow(k, "server " + s.id));
  }
  fill("channels", channels, 7);
  fill("subchannels", subchannels, 8);
  fill("servers", servers, 6);
  fill("sockets", sockets, 10);
  fill("trace", trace, 4);
}

const status = document.getElementById("status");
async function refresh() {
  try {
    const response = await fetch(snapshotPath, { cache: "no-store" });
    if (!response.ok) throw new Error("HTTP " + response.status);
    const snap = await response.json();
    render(snap);
    status.className = "";
    status.textContent = "updated " + time(snap.time) + " — refreshes every second";
  } catch (e) {
    status.className = "error";
    status.textContent = "cannot reach the process: " + (e && e.message ? e.message : String(e));
  } finally {
    setTimeout(refresh, 1000);
  }
}
refresh();
</script>
</body>
</html>
`;
}
