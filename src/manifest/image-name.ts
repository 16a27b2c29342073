// Checks a step's image name against Docker's reference grammar (distribution/reference),
// so that a name the engine would reject fails with the line of build.yml before any build.

/** The reason a name was rejected: what is wrong with it, and what to write instead. */
export interface ImageNameError {
  /** Completes "image name `…` in step `…` …", e.g. "has an uppercase letter". */
  reason: string;
  hint: string;
}

/** A path component: lowercase letters and digits, joined by `.`, `_`, `__` or dashes. */
const PATH_COMPONENT = /^[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*$/;
/** A registry host name with an optional port, such as `registry.example:5000` or `localhost`. */
const DOMAIN = /^(?:[a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9])(?:\.(?:[a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9]))*(?::[0-9]+)?$/;
const TAG = /^[\w][\w.-]{0,127}$/;
/** Maximum length of a repository name (NameTotalLengthMax in distribution/reference). */
const MAX_NAME_LENGTH = 255;

const NAME_HINT = 'write lowercase letters, digits and `.`, `_` or `-` between them, with an optional registry host, `/` paths and `:tag`, e.g. `registry.example:5000/team/app:1.0`';

/** Returns whether the first part of a name is a registry host, as Docker decides it. */
function isDomain(part: string): boolean {
  return part.includes('.') || part.includes(':') || part === 'localhost';
}

/** Returns why `name` is not a valid name to tag a build with, or undefined when it is. */
export function checkImageName(name: string): ImageNameError | undefined {
  if (name.includes('@')) {
    return { reason: 'has a digest', hint: 'a build is tagged by name and tag only; remove the `@…` part' };
  }
  if (/\s/.test(name)) {
    return { reason: 'contains a space', hint: NAME_HINT };
  }

  const lastSlash = name.lastIndexOf('/');
  const tagColon = name.lastIndexOf(':');
  const hasTag = tagColon > lastSlash;
  const repository = hasTag ? name.slice(0, tagColon) : name;
  const tag = hasTag ? name.slice(tagColon + 1) : undefined;

  if (tag !== undefined && !TAG.test(tag)) {
    return {
      reason: tag === '' ? 'has an empty tag after `:`' : `has an invalid tag \`${tag}\``,
      hint: 'a tag is up to 128 letters, digits, `_`, `.` and `-`, and does not start with `.` or `-`',
    };
  }
  if (repository.length > MAX_NAME_LENGTH) {
    return { reason: `is longer than ${MAX_NAME_LENGTH} characters`, hint: 'shorten the repository part of the name' };
  }

  const parts = repository.split('/');
  const paths = parts.length > 1 && isDomain(parts[0]!) ? parts.slice(1) : parts;
  if (paths !== parts && !DOMAIN.test(parts[0]!)) {
    return { reason: `has an invalid registry host \`${parts[0]}\``, hint: NAME_HINT };
  }
  for (const part of paths) {
    if (PATH_COMPONENT.test(part)) continue;
    if (/[A-Z]/.test(part) && PATH_COMPONENT.test(part.toLowerCase())) {
      const host = paths === parts ? '' : `${parts[0]}/`;
      const lowercase = `${host}${paths.join('/').toLowerCase()}${tag === undefined ? '' : `:${tag}`}`;
      return { reason: 'has an uppercase letter', hint: `image names are lowercase: write \`${lowercase}\`` };
    }
    return { reason: part === '' ? 'has an empty part between `/`' : `has an invalid part \`${part}\``, hint: NAME_HINT };
  }
  return undefined;
}
