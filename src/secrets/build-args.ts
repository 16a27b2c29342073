// The build args that tell a step where the secret server listens. Habitus's
// documentation has users pass them by hand (`--build habitus_host=...`). weld passes
// them itself, but only to steps whose Dockerfile declares them with ARG, because the
// classic builder warns about every build arg a Dockerfile does not consume.

/** Names of the build args a Dockerfile declares with ARG, in any stage. */
export function listDeclaredArgs(dockerfile: Buffer | string): Set<string> {
  const text = typeof dockerfile === 'string' ? dockerfile : dockerfile.toString('utf8');
  const names = new Set<string>();
  for (const match of text.matchAll(/^[ \t]*ARG[ \t]+([^\r\n]*)/gim)) {
    // `ARG name`, `ARG name=default`, and the newer `ARG a=1 b=2` all start each
    // declaration with its name.
    for (const word of match[1]!.trim().split(/\s+/)) {
      const name = word.split('=')[0];
      if (name) names.add(name);
    }
  }
  return names;
}

/** Returns the entries of `args` that the Dockerfile declares with ARG. */
export function selectDeclaredArgs(dockerfile: Buffer | string, args: Record<string, string>): Record<string, string> {
  const declared = listDeclaredArgs(dockerfile);
  return Object.fromEntries(Object.entries(args).filter(([name]) => declared.has(name)));
}
