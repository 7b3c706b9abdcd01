/** The bench echo service on a grpckit server over @grpckit/transport-http2 (node:http2). */
import { http2Transport } from "@grpckit/transport-http2";
import { runGrpckitServer } from "./grpckit-echo-server.js";

await runGrpckitServer(http2Transport());
