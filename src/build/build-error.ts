// The errors of a failed image build, told in the terms of the step: the engine names
// a Dockerfile line (parse errors) or a `Step N/M` (failed instructions), and weld
// turns either into the Dockerfile path and line, with the step and its build.yml line.

import { parseInstructions, type Instruction } from '../dockerfile/instructions.js';
import { DockerfileError, InputError, InstructionError, WeldError } from '../errors.js';
import type { PlannedStep } from './plan.js';

/** Widest instruction an error message quotes; the step's log shows it whole. */
export const QUOTED_INSTRUCTION_WIDTH = 60;

/** The classic builder's message for a RUN whose command exited non-zero; the command may span lines. */
const NON_ZERO_EXIT = /^The command '([\s\S]*)' returned a non-zero code: (\d+)$/;

/** The step whose build failed, with what its error messages name. */
export interface BuildErrorContext {
  planned: PlannedStep;
  /** build.yml as messages name it, e.g. `build.yml`. */
  buildFileLabel: string;
  /** True when the step declares secrets and the secret server is not running. */
  secretsNotServed: boolean;
}

/** Returns an instruction on one line, cut with `…` after QUOTED_INSTRUCTION_WIDTH characters. */
export function shortenInstruction(instruction: string): string {
  const oneLine = instruction.replace(/\s+/g, ' ').trim();
  return oneLine.length <= QUOTED_INSTRUCTION_WIDTH ? oneLine : `${oneLine.slice(0, QUOTED_INSTRUCTION_WIDTH - 1)}…`;
}

function keywordOf(text: string): string {
  return (text.trim().split(/\s/, 1)[0] ?? '').toLowerCase();
}

/** Returns the instruction that contains `line`: the last one that starts on it or before it. */
function findInstructionAtLine(instructions: Instruction[], line: number): Instruction | undefined {
  return instructions.filter((instruction) => instruction.line <= line).at(-1);
}

/**
 * Returns the instruction a failure happened in. The classic builder numbers every
 * instruction in order, ARG before the first FROM included, so `Step N` is the Nth
 * instruction; the keyword must match, or no line is claimed. A quiet build prints no
 * `Step` lines, so a RUN that exited non-zero is then found by its command, when only
 * one RUN has it.
 */
function findFailedInstruction(instructions: Instruction[], error: InstructionError): Instruction | undefined {
  if (error.index !== undefined) {
    const candidate = instructions[error.index - 1];
    const expected = error.instruction === undefined ? undefined : keywordOf(error.instruction);
    return candidate && (expected === undefined || candidate.keyword === expected) ? candidate : undefined;
  }

  const command = NON_ZERO_EXIT.exec(error.reason)?.[1];
  if (command === undefined) return undefined;
  const matches = instructions.filter((instruction) => {
    if (instruction.keyword !== 'run') return false;
    const argument = instruction.text.trim().slice('run'.length).trim();
    return argument !== '' && command.endsWith(argument);
  });
  return matches.length === 1 ? matches[0] : undefined;
}

/** Returns the hint for a step that declares secrets the run does not serve. */
function secretsHint(context: BuildErrorContext): string {
  const names = context.planned.step.secrets.map((secret) => secret.name).join(', ');
  return `run weld with --secrets: step \`${context.planned.step.label}\` declares secrets (${names}), and weld serves them only with --secrets`;
}

function describeDockerfileError(error: DockerfileError, context: BuildErrorContext): InputError {
  const { planned, buildFileLabel } = context;
  const { instructions } = parseInstructions(planned.dockerfileContent);
  const file = planned.dockerfileLabel;
  const where = `the Dockerfile of step \`${planned.step.label}\` (${buildFileLabel}:${planned.step.line})`;

  let instruction = error.line === undefined ? undefined : findInstructionAtLine(instructions, error.line);
  let line = error.line;
  if (line === undefined) {
    // Some messages name the keyword but no line (`LABEL must have two arguments`): the line is
    // certain only when one instruction has that keyword.
    const keyword = keywordOf(error.reason);
    const sameKeyword = instructions.filter((candidate) => candidate.keyword === keyword);
    instruction = sameKeyword.length === 1 ? sameKeyword[0] : undefined;
    line = instruction?.line;
  }

  if (line === undefined) {
    return new InputError(`${file}, ${where}, is invalid: ${error.reason}`, { hint: `fix ${file}; the Docker engine named no line`, cause: error });
  }
  const keyword = instruction ? `${instruction.keyword.toUpperCase()} ` : '';
  return new InputError(`invalid ${keyword}at ${file}:${line}, ${where}: ${error.reason}`, { hint: `fix the instruction at ${file}:${line}`, cause: error });
}

function describeInstructionError(error: InstructionError, context: BuildErrorContext): WeldError {
  const { planned } = context;
  const { instructions } = parseInstructions(planned.dockerfileContent);
  const instruction = findFailedInstruction(instructions, error);
  const text = error.instruction ?? (instruction ? instruction.text.trim() : undefined);
  if (text === undefined) return error;

  const location = instruction ? ` at ${planned.dockerfileLabel}:${instruction.line}` : '';
  const quoted = `${shortenInstruction(text)}${location}`;
  const reportedCode = NON_ZERO_EXIT.exec(error.reason)?.[2];
  const exitCode = error.commandExitCode ?? (reportedCode === undefined ? undefined : Number(reportedCode));
  // The engine repeats the keyword: `COPY failed: file not found in build context …`.
  const reason = error.reason.replace(new RegExp(`^${keywordOf(text)} failed:\\s*`, 'i'), '');
  const message = exitCode === undefined ? `${quoted} failed: ${reason}` : `${quoted} exited with code ${exitCode}`;

  let hint = error.hint ?? (exitCode === undefined ? undefined : "the step's log shows the command's output");
  if (context.secretsNotServed) hint = secretsHint(context);
  return new InstructionError(message, { instruction: text, index: error.index, reason: error.reason, commandExitCode: exitCode }, { hint, cause: error });
}

/**
 * Returns the error a step fails with when its image build failed. A Dockerfile the
 * engine rejected becomes bad input naming the Dockerfile line and the step's build.yml
 * line. A failed instruction names its Dockerfile line and, for a RUN, the exit code,
 * quoting the instruction once; when the step's secrets are not served, the hint says
 * so. Other errors pass through.
 */
export function describeBuildError(error: unknown, context: BuildErrorContext): unknown {
  if (error instanceof DockerfileError) return describeDockerfileError(error, context);
  if (error instanceof InstructionError) return describeInstructionError(error, context);
  return error;
}
