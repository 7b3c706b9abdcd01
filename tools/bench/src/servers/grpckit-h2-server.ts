/**
 * The bench echo service on a grpckit server over @grpckit/transport-h2 (grpckit's own
 * HTTP/2), with the flow-control windows `--window` chooses (window-mode.ts).
 */
import { h2Transport } from "@grpckit/transport-h2";
import { windowModeArg, windowTransportOptions } from "../window-mode.js";
import { runGrpckitServer } from "./grpckit-echo-server.js";

await runGrpckitServer(h2Transport(windowTransportOptions(windowModeArg())));
