// Image references as build.yml and FROM lines write them, compared the way the
// engine resolves them: a reference without a tag or digest means `:latest`.

/** Splits `registry:5000/name:tag` into repository and tag (or digest). */
export function splitImageReference(reference: string): { repository: string; tag?: string; digest?: string } {
  const at = reference.indexOf('@');
  if (at >= 0) return { repository: reference.slice(0, at), digest: reference.slice(at + 1) };

  const lastSlash = reference.lastIndexOf('/');
  const colon = reference.indexOf(':', lastSlash + 1);
  if (colon < 0) return { repository: reference };
  return { repository: reference.slice(0, colon), tag: reference.slice(colon + 1) };
}

/** Returns the reference with `:latest` added when it has neither tag nor digest. */
export function normalizeImageReference(reference: string): string {
  const { repository, tag, digest } = splitImageReference(reference);
  if (digest) return reference;
  return `${repository}:${tag ?? 'latest'}`;
}

/**
 * Returns the image name a step gets under `--uid`: the uid joins the repository
 * with a dash and the tag stays (`api:1.2` with uid `Ci7` → `api-ci7:1.2`),
 * lowercased because the engine rejects upper-case repository names.
 */
export function applyUid(name: string, uid: string | undefined): string {
  if (!uid) return name;
  const { repository, tag, digest } = splitImageReference(name);
  const suffixed = `${repository}-${uid}`.toLowerCase();
  if (digest) return `${suffixed}@${digest}`;
  return tag === undefined ? suffixed : `${suffixed}:${tag}`;
}
