// Lines of the keys and values in a YAML text. js-yaml returns plain values without
// positions, but its loader (4.3) calls `listener('open', state)` when it starts a node and
// `listener('close', state)` when it ends it, properly nested. `trackPositions` records
// those events as a tree and turns it into positions keyed like the loaded value.

import type { LoadOptions } from 'js-yaml';

/** A key or index on the way from the document root to a value. */
export type YamlPath = ReadonlyArray<string | number>;

/** Position of one value in the YAML text. */
export interface NodePosition {
  /** 1-based line where the value starts; for an empty value, the line of its key. */
  line: number;
  /** 1-based line of the mapping key of this value, when it has one. */
  keyLine?: number;
  /** Entries of a mapping (by key) or a sequence (by index), in the order the text lists them. */
  entries: Map<string | number, NodePosition>;
}

/** One node as the js-yaml loader reported it: offsets into the text and its children. */
interface EventNode {
  /** Offset where the loader opened the node; may sit before blanks and comments. */
  start: number;
  kind: string | null;
  result: unknown;
  children: EventNode[];
}

/** Records the loader events of one `yaml.load` call; pass `listener` to the loader. */
export function trackPositions(text: string): { listener: NonNullable<LoadOptions['listener']>; tree: () => NodePosition | undefined } {
  const stack: EventNode[] = [];
  let root: EventNode | undefined;

  const listener: NonNullable<LoadOptions['listener']> = (event, state) => {
    if (event === 'open') {
      const node: EventNode = { start: state.position, kind: null, result: undefined, children: [] };
      stack.at(-1)?.children.push(node);
      stack.push(node);
      return;
    }

    const node = stack.pop();
    if (!node) return;
    // state.kind is 'scalar', 'mapping' or 'sequence', and null or '' for an empty node or an alias.
    node.kind = state.kind || null;
    node.result = state.result;
    if (stack.length === 0) root = node;
  };

  return { listener, tree: () => (root ? toPosition(root, new LineIndex(text)) : undefined) };
}

/** Maps text offsets to 1-based lines. */
class LineIndex {
  private readonly lineStarts: number[] = [0];

  constructor(readonly text: string) {
    for (let index = 0; index < text.length; index++) {
      if (text[index] === '\n') this.lineStarts.push(index + 1);
    }
  }

  lineOf(offset: number): number {
    let low = 0;
    let high = this.lineStarts.length - 1;
    while (low < high) {
      const middle = Math.ceil((low + high) / 2);
      if (this.lineStarts[middle]! <= offset) low = middle;
      else high = middle - 1;
    }
    return low + 1;
  }

  /** Returns the offset of the first character at or after `offset` that is not a blank or part of a comment. */
  skipBlanks(offset: number): number {
    let index = offset;
    while (index < this.text.length) {
      const char = this.text[index];
      if (char === ' ' || char === '\t' || char === '\r' || char === '\n' || char === '\uFEFF') {
        index++;
      } else if (char === '#') {
        while (index < this.text.length && this.text[index] !== '\n') index++;
      } else {
        break;
      }
    }
    return index;
  }
}

/**
 * Returns the node under any wrappers. The loader opens a node before it has read what the
 * node is, so a scalar or a sequence item can show up as a node whose only child is the same value.
 */
function unwrap(node: EventNode): EventNode {
  let current = node;
  while (current.kind !== 'mapping' && current.kind !== 'sequence' && current.children.length === 1) {
    current = current.children[0]!;
  }
  return current;
}

function toPosition(node: EventNode, lines: LineIndex): NodePosition {
  const content = unwrap(node);
  const line = content.kind === null ? lines.lineOf(node.start) : lines.lineOf(lines.skipBlanks(node.start));
  const position: NodePosition = { line, entries: new Map() };

  if (content.kind === 'sequence') {
    content.children.forEach((child, index) => position.entries.set(index, toPosition(child, lines)));
  } else if (content.kind === 'mapping') {
    addMappingEntries(position, content, lines);
  }

  return position;
}

function addMappingEntries(position: NodePosition, mapping: EventNode, lines: LineIndex): void {
  for (let index = 0; index + 1 < mapping.children.length; index += 2) {
    const keyNode = unwrap(mapping.children[index]!);
    const value = toPosition(mapping.children[index + 1]!, lines);
    value.keyLine = lines.lineOf(lines.skipBlanks(mapping.children[index]!.start));
    const key = String(keyNode.result);

    // A merge key (`<<: {…}`) adds its entries to this mapping. Entries merged through an
    // alias (`<<: *base`) have no position here; lookups fall back to the `<<` line.
    if (key === '<<') {
      for (const [mergedKey, merged] of value.entries) {
        if (!position.entries.has(mergedKey)) position.entries.set(mergedKey, merged);
      }
      continue;
    }
    position.entries.set(key, value);
  }
}

/** Line lookups over a position tree, falling back to the nearest ancestor that has a position. */
export class SourcePositions {
  constructor(readonly root: NodePosition | undefined) {}

  /** Returns the position of the value at `path`, if the text has one. */
  find(path: YamlPath): NodePosition | undefined {
    let node = this.root;
    for (const segment of path) {
      node = node?.entries.get(segment);
    }
    return node;
  }

  /** Returns the line of the value at `path`. */
  valueLine(path: YamlPath): number {
    return this.nearest(path).line;
  }

  /** Returns the line of the key of the value at `path` (the value's line for list items). */
  keyLine(path: YamlPath): number {
    const node = this.nearest(path);
    return node.keyLine ?? node.line;
  }

  /** Returns the keys of the mapping at `path` in the order the text lists them. */
  keysInOrder(path: YamlPath): string[] {
    const node = this.find(path);
    if (!node) return [];
    return [...node.entries.keys()].filter((key): key is string => typeof key === 'string');
  }

  private nearest(path: YamlPath): NodePosition {
    let found: NodePosition = this.root ?? { line: 1, entries: new Map() };
    let node = this.root;
    for (const segment of path) {
      node = node?.entries.get(segment);
      if (!node) break;
      found = node;
    }
    return found;
  }
}
