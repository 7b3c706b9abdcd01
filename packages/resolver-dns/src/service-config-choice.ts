/**
 * Service config published in DNS (doc/service_config.md, gRFC A2): a TXT record on
 * `_grpc_config.<host>` whose text starts with `grpc_config=`, followed by a JSON array
 * of choices. The first choice whose clientLanguage, percentage and clientHostname all
 * match this client wins (an absent or empty list matches every client); its serviceConfig is the channel's service config.
 */

/** The TXT record prefix that marks a service config. */
export const grpcConfigPrefix = "grpc_config=";

/**
 * The client language this library matches in `clientLanguage`: "node", compared
 * case-insensitively. It is the name grpc-js matches, so one published config treats
 * grpc-js and grpckit clients alike.
 */
export const clientLanguage = "node";

/** What a choice is matched against. */
export interface ChoiceContext {
  /** This machine's host name (os.hostname() or the resolver's option). */
  readonly hostname: string;
  /** A draw in 0-99, made once per resolution; a choice with percentage p matches when draw < p. */
  readonly draw: number;
}

const choiceKeys = new Set(["clientLanguage", "percentage", "clientHostname", "serviceConfig"]);

/**
 * The service config JSON text chosen from a host's TXT records (each record given as
 * its character-strings), or undefined when there is none, none matches, or the
 * grpc_config text is malformed (a malformed config is ignored as a whole).
 */
export function chooseServiceConfig(records: readonly (readonly string[])[], ctx: ChoiceContext): string | undefined {
  let text: string | undefined;
  for (const chunks of records) {
    const joined = chunks.join("");
    if (joined.startsWith(grpcConfigPrefix)) {
      text = joined.slice(grpcConfigPrefix.length);
      break;
    }
  }
  if (text === undefined) return undefined;
  let choices: unknown;
  try {
    choices = JSON.parse(text);
  } catch {
    return undefined;
  }
  if (!Array.isArray(choices) || !choices.every(isValidChoice)) return undefined;
  for (const choice of choices) {
    if (matches(choice, ctx)) return JSON.stringify(choice.serviceConfig);
  }
  return undefined;
}

interface Choice {
  clientLanguage?: string[];
  percentage?: number;
  clientHostname?: string[];
  serviceConfig: object;
}

function isValidChoice(c: unknown): c is Choice {
  if (typeof c !== "object" || c === null || Array.isArray(c)) return false;
  const o = c as Record<string, unknown>;
  for (const key of Object.keys(o)) if (!choiceKeys.has(key)) return false;
  if (o.clientLanguage !== undefined && !isStringArray(o.clientLanguage)) return false;
  if (o.clientHostname !== undefined && !isStringArray(o.clientHostname)) return false;
  if (o.percentage !== undefined) {
    const p = o.percentage;
    if (typeof p !== "number" || !Number.isInteger(p) || p < 0 || p > 100) return false;
  }
  const sc = o.serviceConfig;
  return typeof sc === "object" && sc !== null && !Array.isArray(sc);
}

function isStringArray(v: unknown): v is string[] {
  return Array.isArray(v) && v.every((s) => typeof s === "string");
}

function matches(c: Choice, ctx: ChoiceContext): boolean {
  if (c.clientLanguage !== undefined && c.clientLanguage.length > 0 && !c.clientLanguage.some((l) => l.toLowerCase() === clientLanguage)) return false;
  if (c.percentage !== undefined && ctx.draw >= c.percentage) return false;
  if (c.clientHostname !== undefined && c.clientHostname.length > 0 && !c.clientHostname.includes(ctx.hostname)) return false;
  return true;
}
