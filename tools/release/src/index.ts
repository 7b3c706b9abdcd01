export { attwReport, esmOnlyIgnoredResolutions, type AttwProblem, type AttwReport } from "./attw-report.js";
export {
  createChangesetSandbox,
  listWorkspaceFolders,
  runChangesetVersion,
  writeChangeset,
  type BumpType,
} from "./changeset-sandbox.js";
export { packPackage, type PackedPackage } from "./pack-package.js";
export {
  listPublishablePackages,
  readManifest,
  type PackageManifest,
  type PublishablePackage,
} from "./publishable-packages.js";
export { publintReport, type PublintReport } from "./publint-report.js";
export { runCommand, type CommandResult } from "./run-command.js";
export { workspaceRoot } from "./workspace-root.js";
