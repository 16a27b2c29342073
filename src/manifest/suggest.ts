// "Did you mean …?" for misspelt keys and step labels.

/**
 * Returns the edit distance between two strings: insertions, deletions, substitutions and
 * swaps of two neighbouring characters each count one (optimal string alignment).
 */
export function editDistance(a: string, b: string): number {
  // rows[i][j] is the distance between the first i characters of a and the first j of b.
  const rows: number[][] = [];
  for (let i = 0; i <= a.length; i++) {
    rows.push(Array.from({ length: b.length + 1 }, (_, j) => (i === 0 ? j : 0)));
    rows[i]![0] = i;
  }

  for (let i = 1; i <= a.length; i++) {
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      let distance = Math.min(rows[i - 1]![j]! + 1, rows[i]![j - 1]! + 1, rows[i - 1]![j - 1]! + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) {
        distance = Math.min(distance, rows[i - 2]![j - 2]! + 1);
      }
      rows[i]![j] = distance;
    }
  }

  return rows[a.length]![b.length]!;
}

/** Returns how many edits still make `word` a likely typo: 1 for short words, up to 3 for long ones. */
function maxEdits(word: string): number {
  if (word.length <= 3) return 1;
  return Math.min(3, Math.max(2, Math.floor(word.length / 3)));
}

/**
 * Returns the candidate closest to `word` (ignoring case), or undefined when none is close
 * enough. A candidate that starts with `word` (`val` for `value`) counts as close.
 */
export function closestMatch(word: string, candidates: readonly string[]): string | undefined {
  const lower = word.toLowerCase();
  const completion = lower.length >= 3 ? candidates.find((candidate) => candidate.toLowerCase().startsWith(lower)) : undefined;
  if (completion) return completion;

  let best: string | undefined;
  let bestDistance = Infinity;

  for (const candidate of candidates) {
    const distance = editDistance(lower, candidate.toLowerCase());
    if (distance < bestDistance) {
      best = candidate;
      bestDistance = distance;
    }
  }

  return bestDistance <= maxEdits(word) ? best : undefined;
}
