/**
 * What core keeps for the whole process (its registries, channelz, the logger, the
 * client inflate budget, the health checker) lives on `globalThis`, under
 * `Symbol.for("@grpckit/core/process-state")`, so every copy of @grpckit/core loaded
 * in one process (two versions installed side by side, or a bundle beside node_modules)
 * shares one world: a balancer registered through one copy is found by a channel made
 * with another. `processStateShape` numbers the layout of that shared state; a copy that
 * meets state of another shape refuses to load rather than split the world silently.
 */
import manifest from "../../package.json" with { type: "json" };

/** This copy's package version, read from @grpckit/core's package.json. */
export const coreVersion: string = manifest.version;

/**
 * The layout of the shared state: which slots exist and what each holds. Raise it when a
 * slot changes in a way an older copy could not use.
 */
export const processStateShape = 1;

/** The globalThis key of the shared state. */
export const processStateKey: unique symbol = Symbol.for("@grpckit/core/process-state");

/** The shared state as every copy of core sees it. */
export interface ProcessState {
  /** The layout version of `slots`. */
  readonly shape: number;
  /** The version of the @grpckit/core copy that made this state. */
  readonly madeBy: string;
  /** Each process-wide value, by name, made by the first copy that asked for it. */
  readonly slots: Record<string, unknown>;
}

/** The shared state, made now when this is the first copy of core in the process. */
function sharedState(): ProcessState {
  const holder = globalThis as { [processStateKey]?: ProcessState };
  const found = holder[processStateKey];
  if (found === undefined) {
    const made: ProcessState = { shape: processStateShape, madeBy: coreVersion, slots: Object.create(null) as Record<string, unknown> };
    Object.defineProperty(holder, processStateKey, { value: made, enumerable: false, writable: false, configurable: false });
    return made;
  }
  if (found.shape !== processStateShape) {
    throw new Error(
      `@grpckit/core ${coreVersion} found process-wide state of shape ${String(found.shape)} made by @grpckit/core ${String(found.madeBy)} ` +
        `(this copy uses shape ${processStateShape}): two incompatible copies of @grpckit/core are loaded in one process, ` +
        `and they cannot share registries; install one version of @grpckit/core (npm ls @grpckit/core shows them; npm dedupe)`,
    );
  }
  return found;
}

// Checked when core loads, so an incompatible second copy fails at import.
const state = sharedState();

/**
 * The process-wide value called `name`, shared by every copy of core: made with
 * `create` by the first copy that asks, returned as is to every later one.
 */
export function processWide<T>(name: string, create: () => T): T {
  if (!(name in state.slots)) state.slots[name] = create();
  return state.slots[name] as T;
}
