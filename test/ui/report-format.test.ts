import { describe, expect, test } from 'vitest';
import type { FinalImage, Savings } from '../../src/build/events.js';
import { formatBar, formatBytes, formatDuration, formatPercent, formatRatio, formatSavings } from '../../src/report/format.js';

describe('formatBytes', () => {
  test.each([
    [0, '0 B'],
    [512, '512 B'],
    [999, '999 B'],
    [1000, '1 kB'],
    [1500, '1.5 kB'],
    [999_960, '1 MB'],
    [4_512_345, '4.5 MB'],
    [6_012_345, '6 MB'],
    [12_345_678, '12.3 MB'],
    [811_234_567, '811 MB'],
    [1_234_567_890, '1.2 GB'],
    [-5, '0 B'],
    [Number.NaN, '0 B'],
  ])('formats %d bytes as %s', (bytes, expected) => {
    expect(formatBytes(bytes)).toBe(expected);
  });
});

describe('formatDuration', () => {
  test.each([
    [0, '0.0s'],
    [420, '0.4s'],
    [12_345, '12.3s'],
    [59_960, '1m 00s'],
    [125_000, '2m 05s'],
    [3_725_000, '1h 02m'],
  ])('formats %d ms as %s', (ms, expected) => {
    expect(formatDuration(ms)).toBe(expected);
  });
});

describe('formatRatio and formatPercent', () => {
  test.each([
    [179.78, '180×'],
    [10, '10×'],
    [2.54, '2.5×'],
    [Number.POSITIVE_INFINITY, '∞×'],
  ])('formats ratio %d as %s', (ratio, expected) => {
    expect(formatRatio(ratio)).toBe(expected);
  });

  test('percent has one decimal and a spaced sign', () => {
    expect(formatPercent(99.4438)).toBe('99.4 %');
  });
});

describe('formatSavings', () => {
  const image = (sizeBytes: number): FinalImage => ({ step: 'production', image: 'helloworld:latest', imageId: 'sha256:1', sizeBytes, layers: [], savings: [] });
  const against = (finalSize: number, builderSize: number): Savings => ({
    againstStep: 'builder',
    againstImage: 'builder:latest',
    againstSizeBytes: builderSize,
    ratio: builderSize / finalSize,
    percentSaved: (1 - finalSize / builderSize) * 100,
  });

  test('demo image reads as the savings line', () => {
    const line = formatSavings(image(4_512_345), against(4_512_345, 811_234_567));

    expect(line).toBe('helloworld:latest 4.5 MB · builder 811 MB · 180× smaller (99.4 % saved)');
  });

  test('image larger than its builder reads as larger', () => {
    const line = formatSavings(image(13_000_000), against(13_000_000, 10_000_000));

    expect(line).toBe('helloworld:latest 13 MB · builder 10 MB · 1.3× larger (30.0 % more)');
  });

  test('image as large as its builder reads as the same size', () => {
    const line = formatSavings(image(2_000_100), against(2_000_100, 2_000_200));

    expect(line).toBe('helloworld:latest 2 MB · builder 2 MB · the same size');
  });

  test('image 3 % smaller still shows its ratio', () => {
    const line = formatSavings(image(9_700_000), against(9_700_000, 10_000_000));

    expect(line).toBe('helloworld:latest 9.7 MB · builder 10 MB · 1.0× smaller (3.0 % saved)');
  });
});

describe('formatBar', () => {
  test.each([
    [0, 10, '░░░░░░░░░░'],
    [1, 10, '██████████'],
    [0.5, 10, '█████░░░░░'],
    [0.25, 10, '██▌░░░░░░░'],
    [1.7, 4, '████'],
    [-1, 4, '░░░░'],
  ])('draws %d of %d cells', (fraction, width, expected) => {
    expect(formatBar(fraction, width, '░')).toBe(expected);
  });
});
