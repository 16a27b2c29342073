// The two halves of an image reference that the tag and import APIs take apart.

/** Splits `registry:5000/name:tag` into repository and tag; the tag is `latest` when absent. */
export function splitTag(reference: string): { repository: string; tag: string } {
  const lastSlash = reference.lastIndexOf('/');
  const colon = reference.indexOf(':', lastSlash + 1);
  if (colon < 0) return { repository: reference, tag: 'latest' };
  return { repository: reference.slice(0, colon), tag: reference.slice(colon + 1) };
}
