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
