// The Dockerfile module: FROM references, their rewriting, instruction and target checks.
// It reads Dockerfile text only and never talks to Docker.

export { listFromImages, listStages, rewriteFromImages, type FromImage } from './from-references.js';
export { checkInstructions } from './check-instructions.js';
export { checkTarget } from './target.js';
