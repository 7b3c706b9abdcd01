/** Runs the authorization example in one process (needs the openssl command for its certificates). */
import { runExample } from "./run.js";

await runExample(console.log);
