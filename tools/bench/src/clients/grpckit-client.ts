/** Bench calls made with a grpckit client over @grpckit/transport-http2 (node:http2). */
import { http2Transport } from "@grpckit/transport-http2";
import { runGrpckitClient } from "./grpckit-echo-client.js";

await runGrpckitClient(() => http2Transport());
