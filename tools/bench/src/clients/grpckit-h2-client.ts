/** Bench calls made with a grpckit client over @grpckit/transport-h2 (grpckit's own HTTP/2). */
import { h2Transport } from "@grpckit/transport-h2";
import { runGrpckitClient } from "./grpckit-echo-client.js";

await runGrpckitClient(() => h2Transport());
