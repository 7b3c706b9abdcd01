/**
 * Bench calls made with a grpckit client over @grpckit/transport-h2 (grpckit's own
 * HTTP/2), with the flow-control windows `--window` chooses (window-mode.ts).
 */
import { h2Transport } from "@grpckit/transport-h2";
import { windowModeArg, windowTransportOptions } from "../window-mode.js";
import { runGrpckitClient } from "./grpckit-echo-client.js";

const options = windowTransportOptions(windowModeArg());
await runGrpckitClient(() => h2Transport(options));
