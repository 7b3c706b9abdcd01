/** Running the interop binaries from tests: the built bin/ scripts as child processes. */
import { spawn, type ChildProcess } from "node:child_process";
import { once } from "node:events";
import { createServer as createNetServer } from "node:net";
import { fileURLToPath } from "node:url";

export const serverBin = fileURLToPath(new URL("../bin/interop-server.js", import.meta.url));
export const clientBin = fileURLToPath(new URL("../bin/interop-client.js", import.meta.url));

/** How a binary ended. */
export interface Exit {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs a binary to its end (killed after `timeoutMs`). */
export async function run(bin: string, args: string[], timeoutMs = 30_000): Promise<Exit> {
  const child = spawn(process.execPath, [bin, ...args], { stdio: ["ignore", "pipe", "pipe"] });
  let stdout = "";
  let stderr = "";
  child.stdout.setEncoding("utf8").on("data", (s: string) => (stdout += s));
  child.stderr.setEncoding("utf8").on("data", (s: string) => (stderr += s));
  const timer = setTimeout(() => child.kill("SIGKILL"), timeoutMs);
  const [code] = (await once(child, "exit")) as [number | null];
  clearTimeout(timer);
  return { code, stdout, stderr };
}

/** A port that was free a moment ago: listened on with port 0, then closed. */
export async function freePort(): Promise<number> {
  const probe = createNetServer();
  probe.listen(0, "127.0.0.1");
  await once(probe, "listening");
  const address = probe.address();
  probe.close();
  await once(probe, "close");
  if (address === null || typeof address === "string") throw new Error("no port");
  return address.port;
}

/** Starts the server binary with `extraArgs` and resolves once it says it is listening. */
export async function startServerBin(port: number, extraArgs: string[] = []): Promise<ChildProcess> {
  return (await startServerBinListening(port, extraArgs)).child;
}

/** A started server binary and the line it printed when it began listening. */
export interface ListeningServerBin {
  child: ChildProcess;
  /** "interop server listening on [::]:43567 (transport h2)" */
  banner: string;
}

/** Starts the server binary with `extraArgs` and resolves with its listening line once it prints it. */
export async function startServerBinListening(port: number, extraArgs: string[] = []): Promise<ListeningServerBin> {
  const child = spawn(process.execPath, [serverBin, `--port=${port}`, ...extraArgs], { stdio: ["ignore", "pipe", "pipe"] });
  let output = "";
  const ready = new Promise<string>((resolve, reject) => {
    child.stdout.setEncoding("utf8").on("data", (s: string) => {
      output += s;
      const line = /^(.*listening.*)\n/m.exec(output);
      if (line !== null) resolve(line[1]);
    });
    child.stderr.setEncoding("utf8").on("data", (s: string) => (output += s));
    child.once("exit", (code) => reject(new Error(`interop-server exited with ${code} before listening: ${output}`)));
  });
  try {
    return { child, banner: await ready };
  } catch (err) {
    child.kill("SIGKILL");
    throw err;
  }
}

/** Stops every child still running (SIGTERM, then SIGKILL after 5 s) and empties the list. */
export async function stopAll(children: ChildProcess[]): Promise<void> {
  for (const child of children.splice(0)) {
    if (child.exitCode === null && child.signalCode === null) {
      const exited = once(child, "exit");
      child.kill("SIGTERM");
      const timer = setTimeout(() => child.kill("SIGKILL"), 5_000);
      await exited;
      clearTimeout(timer);
    }
  }
}
