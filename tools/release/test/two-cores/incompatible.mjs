// Copy A loads first; copy C lays its process-wide state out in another shape, so it
// must refuse to load. Prints the error C threw as JSON.
import * as A from "core-a";

let error = "";
try {
  await import("core-c");
} catch (e) {
  error = e instanceof Error ? e.message : String(e);
}
console.log(JSON.stringify({ a: A.coreVersion, error }));
