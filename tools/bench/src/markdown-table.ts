/** The pieces of the Markdown report: tables, and numbers formatted for them. */
import { LIBRARY_LABEL } from "./libraries.js";
import type { Ratio } from "./ratio.js";

const MIB = 1024 * 1024;

export function table(header: string[], rows: string[][]): string {
  const line = (cells: string[]): string => `| ${cells.join(" | ")} |`;
  return [line(header), line(header.map(() => "---")), ...rows.map(line)].join("\n");
}

export function fixed(value: number, digits: number): string {
  return Number.isFinite(value) ? value.toFixed(digits) : "n/a";
}

export function count(value: number): string {
  return Number.isFinite(value) ? Math.round(value).toLocaleString("en-US") : "n/a";
}

export function mib(bytes: number): string {
  return fixed(bytes / MIB, 1);
}

export function kib(bytes: number): string {
  return fixed(bytes / 1024, 1);
}

/** Every run's requests/s or messages/s, for a table's last column. */
export function everyRun(runs: readonly number[] | undefined): string {
  return (runs ?? []).map(count).join(", ");
}

/** What a server row measured under h2load shows. */
export interface LoadMeasurement {
  requestsPerSecond: number;
  p50Ms: number;
  p99Ms: number;
  cpuMicrosPerCall: number;
  peakRssBytes: number;
  h2load: { status2xx: number; done: number };
}

/** The cells of a server under h2load: requests/s, p50 ms, p99 ms, CPU µs per call, peak RSS MiB, h2load 2xx / done. */
export function loadCells(row: LoadMeasurement): string[] {
  return [
    count(row.requestsPerSecond),
    fixed(row.p50Ms, 3),
    fixed(row.p99Ms, 3),
    fixed(row.cpuMicrosPerCall, 1),
    mib(row.peakRssBytes),
    `${count(row.h2load.status2xx)} / ${count(row.h2load.done)}`,
  ];
}

export function ratio(value: number | undefined): string {
  return value === undefined ? "" : `${fixed(value, 2)}×`;
}

export function ratioTable(ratios: Ratio[], withLatency: boolean, withCpu = false): string {
  const header = ["load", "ratio", "throughput", ...(withLatency ? ["p50", "p99"] : []), ...(withCpu ? ["CPU per call"] : []), "peak RSS"];
  return table(
    header,
    ratios.map((r) => [
      r.row,
      `${LIBRARY_LABEL[r.library]} ÷ ${LIBRARY_LABEL[r.versus]}`,
      ratio(r.throughput),
      ...(withLatency ? [ratio(r.p50), ratio(r.p99)] : []),
      ...(withCpu ? [ratio(r.cpuPerCall)] : []),
      ratio(r.peakRss),
    ]),
  );
}
