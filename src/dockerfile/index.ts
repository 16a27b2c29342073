// The Dockerfile module: FROM references, their rewriting, and build targets.
// It reads Dockerfile text only and never talks to Docker.

export { listFromImages, listStages, rewriteFromImages, type FromImage } from './from-references.js';
export { checkTarget } from './target.js';
