/** The test page's script: it offers the case runner to the test, which calls it through page.evaluate. */
import { runCases } from "./cases.js";

Object.assign(globalThis, { runCases });
