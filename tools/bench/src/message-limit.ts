/** The raised message-size limit of the large-message rows, given to servers and clients as `--max-message-bytes N`. */

/** N from `--max-message-bytes N`; undefined when absent (the library's default limit). */
export function maxMessageBytes(argv: readonly string[] = process.argv.slice(2)): number | undefined {
  const index = argv.indexOf("--max-message-bytes");
  return index === -1 ? undefined : Number(argv[index + 1]);
}
