/**
 * The string patterns of gRFC A43 policies: "*" alone matches any non-empty value, a
 * trailing "*" a prefix, a leading "*" a suffix, and anything else the exact value.
 */

/** Whether a value matches one pattern. */
export type StringMatcher = (value: string) => boolean;

/** Compiles a policy pattern; checked in the order above, so "abc*" is a prefix and "*abc" a suffix. */
export function compilePattern(pattern: string): StringMatcher {
  if (pattern === "*") return (value) => value.length > 0;
  if (pattern.endsWith("*")) {
    const prefix = pattern.slice(0, -1);
    return (value) => value.startsWith(prefix);
  }
  if (pattern.startsWith("*")) {
    const suffix = pattern.slice(1);
    return (value) => value.endsWith(suffix);
  }
  return (value) => value === pattern;
}
