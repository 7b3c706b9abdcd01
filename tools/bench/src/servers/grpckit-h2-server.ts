/** The bench echo service on a grpckit server over @grpckit/transport-h2 (grpckit's own HTTP/2). */
import { h2Transport } from "@grpckit/transport-h2";
import { runGrpckitServer } from "./grpckit-echo-server.js";

await runGrpckitServer(h2Transport());
