// The Dockerfile module: FROM references, their rewriting, instruction and target checks.
// It reads Dockerfile text only and never talks to Docker.

export { listFromImages, listStages, listVariableFromImages, rewriteFromImages, type FromImage, type VariableFromImage } from './from-references.js';
export { checkInstructions } from './check-instructions.js';
export { checkTarget } from './target.js';
