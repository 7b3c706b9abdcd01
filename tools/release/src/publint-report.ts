import { publint } from "publint";
import { formatMessage } from "publint/utils";

/** publint's findings on one package, as readable sentences grouped by severity. */
export interface PublintReport {
  errors: string[];
  warnings: string[];
  suggestions: string[];
}

/** Lints an unpacked tarball; every file in `unpackedDir` counts as published. */
export async function publintReport(unpackedDir: string): Promise<PublintReport> {
  const { messages, pkg } = await publint({ pkgDir: unpackedDir, pack: false, level: "suggestion" });
  const report: PublintReport = { errors: [], warnings: [], suggestions: [] };
  for (const message of messages) {
    const text = `${message.code}: ${formatMessage(message, pkg, { color: false }) ?? message.path.join(".")}`;
    if (message.type === "error") report.errors.push(text);
    else if (message.type === "warning") report.warnings.push(text);
    else report.suggestions.push(text);
  }
  return report;
}
