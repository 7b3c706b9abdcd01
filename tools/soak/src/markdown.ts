/** The soak report as Markdown: the figures, then the targets. */
import { resourceText, type SoakReport } from "./soak-report.js";
import { transportPackages } from "@grpckit/transport-choice";

const mib = (bytes: number): string => `${(bytes / 1048576).toFixed(1)} MiB`;
const count = (n: number): string => n.toLocaleString("en-US");

export function renderMarkdown(report: SoakReport): string {
  const { unary, streams, shutdown, options } = report;
  const rows: [string, string][] = [];
  if (unary !== undefined) {
    const memory = unary.serverMemory;
    rows.push(
      ["unary calls", `${count(unary.completed)} of ${count(unary.planned)} (${count(unary.warmupCalls)} warm-up), ${count(unary.failed)} failed`],
      ["unary duration", `${unary.durationSeconds.toFixed(1)} s`],
      ["unary calls/s", count(Math.round(unary.callsPerSecond))],
      ["server RSS at start", mib(memory.start.rss)],
      ["server RSS after warm-up", mib(memory.afterWarmup.rss)],
      ["server RSS at the end", mib(memory.end.rss)],
      ["server RSS growth after warm-up", `${unary.rssGrowthPercent.toFixed(2)}%`],
      ["server heap used: start / after warm-up / end", `${mib(memory.start.heapUsed)} / ${mib(memory.afterWarmup.heapUsed)} / ${mib(memory.end.heapUsed)}`],
    );
  }
  rows.push(["server RSS peak (sampled every second)", mib(report.serverRssPeak)]);
  if (streams !== undefined) {
    rows.push(
      ["bidi streams open at once", `${count(streams.openAtOnce)} of ${count(streams.planned)}`],
      ["streams ok", `${count(streams.ok)} (${count(streams.failed)} failed, ${count(streams.outOfOrder)} out of order, ${count(streams.incomplete)} incomplete)`],
      ["messages checked in order", `${count(streams.messagesChecked)} of ${count(streams.planned * streams.messagesPerStream)}`],
      ["stream phase duration", `${streams.durationSeconds.toFixed(1)} s`],
    );
  }
  if (shutdown !== undefined) {
    rows.push(
      ["server shutdown", shutdown.serverShutdownMs === undefined ? "did not finish" : `${shutdown.serverShutdownMs.toFixed(0)} ms`],
      ["leftover resources, server", shutdown.serverShutdownMs === undefined ? "not reported" : resourceText(shutdown.serverLeftover)],
      ["leftover resources, client", resourceText(shutdown.clientLeftover)],
    );
  }
  const lines = [
    `# grpckit soak run ${report.passed ? "(passed)" : "(FAILED)"}`,
    "",
    `${report.date}; Node ${report.node}; ${report.machine.cpuModel}, ${report.machine.cores} cores, ${mib(report.machine.memoryBytes)}.`,
    `${count(options.calls)} unary calls, ${options.concurrency} in flight over ${options.channels} channels; ` +
      `${count(options.streams)} bidi streams over ${options.streamChannels} channels, ${options.messages} messages each; ` +
      `${options.payloadBytes}-byte payloads; server and client on ${transportPackages[options.transport]}, the server in its own process.`,
    "",
    "| measure | value |",
    "| --- | --- |",
    ...rows.map(([name, value]) => `| ${name} | ${value} |`),
    "",
    "| target | result | detail |",
    "| --- | --- | --- |",
    ...report.checks.map((check) => `| ${check.name} | ${check.passed ? "pass" : "FAIL"} | ${check.detail.replaceAll("|", "\\|")} |`),
  ];
  if (report.errors.length > 0) lines.push("", "Errors:", ...report.errors.map((error) => `- ${error}`));
  return `${lines.join("\n")}\n`;
}
