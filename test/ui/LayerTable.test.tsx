import { cleanup } from 'ink-testing-library';
import { afterEach, describe, expect, test, vi } from 'vitest';
import type { FinalImage } from '../../src/build/events.js';
import { LayerTable } from '../../src/ui/LayerTable.js';
import { SavingsLine } from '../../src/ui/SavingsLine.js';
import { foldEvents, readFixture } from './fixtures.js';
import { renderAtSize } from './render-at-size.js';

afterEach(() => {
  cleanup();
});

const demoImage = foldEvents(readFixture('demo-two-stage')).end!.finalImages[0]!;
const bundleImage = foldEvents(readFixture('graph-eight-steps')).end!.finalImages.find((image) => image.step === 'bundle')!;

describe('LayerTable', () => {
  test('bundle image at 80 columns shows 0-byte layers, missing ids and shares', () => {
    const { lastFrame } = renderAtSize(<LayerTable image={bundleImage} width={80} />, 80);

    expect(lastFrame()).toBe(
      [
        'acme/bundle:latest · bundle · 31.5 MB · 4 layers',
        '  #  LAYER            SIZE  SHARE               CREATED BY',
        '  1  b0b0b0b0b0b0      0 B  ░░░░░░░░░░   0.0 %  CMD ["/srv/api"]',
        '  2  <missing>         0 B  ░░░░░░░░░░   0.0 %  EXPOSE 8080',
        '  3  <missing>     24.5 MB  ███████▊░░  77.8 %  COPY dir:4f5e6d7c8b9a0f1e2d3c4b…',
        '  4  <missing>        7 MB  ██▎░░░░░░░  22.2 %  ADD file:9a8b7c in /',
      ].join('\n'),
    );
  });

  test('bundle image at 120 columns gets a longer bar and instruction', () => {
    const { lastFrame } = renderAtSize(<LayerTable image={bundleImage} width={120} />, 120);

    expect(lastFrame()).toBe(
      [
        'acme/bundle:latest · bundle · 31.5 MB · 4 layers',
        '  #  LAYER            SIZE  SHARE                         CREATED BY',
        '  1  b0b0b0b0b0b0      0 B  ░░░░░░░░░░░░░░░░░░░░   0.0 %  CMD ["/srv/api"]',
        '  2  <missing>         0 B  ░░░░░░░░░░░░░░░░░░░░   0.0 %  EXPOSE 8080',
        '  3  <missing>     24.5 MB  ███████████████▌░░░░  77.8 %  COPY dir:4f5e6d7c8b9a0f1e2d3c4b5a69788796a5b4c3d2e1f0 in /srv/',
        '  4  <missing>        7 MB  ████▌░░░░░░░░░░░░░░░  22.2 %  ADD file:9a8b7c in /',
      ].join('\n'),
    );
  });

  test('demo image at 80 columns', () => {
    const { lastFrame } = renderAtSize(<LayerTable image={demoImage} width={80} />, 80);

    expect(lastFrame()).toBe(
      [
        'helloworld:latest · production · 4.5 MB · 2 layers',
        '  #  LAYER            SIZE  SHARE               CREATED BY',
        '  1  5d1e0a9f33c2      0 B  ░░░░░░░░░░   0.0 %  CMD ["/server"]',
        '  2  <missing>      4.5 MB  ██████████ 100.0 %  COPY file:3c1f0a8e2b7d4c6f9e5a1…',
      ].join('\n'),
    );
  });

  test('under 60 columns the id and the bar are left out', () => {
    const { lastFrame } = renderAtSize(<LayerTable image={demoImage} width={50} />, 50);

    expect(lastFrame()).toBe(
      [
        'helloworld:latest · production · 4.5 MB · 2 layers',
        '  #     SIZE   SHARE  CREATED BY',
        '  1      0 B   0.0 %  CMD ["/server"]',
        '  2   4.5 MB 100.0 %  COPY file:3c1f0a8e2b7d4c6f9…',
      ].join('\n'),
    );
  });

  test('rows are keyed by position, so equal layers raise no key warning', () => {
    const layer = { id: '<missing>', createdBy: 'RUN true', sizeBytes: 0, createdMs: 0 };
    const image: FinalImage = { ...demoImage, sizeBytes: 0, layers: [layer, layer, layer] };
    const consoleError = vi.spyOn(console, 'error').mockImplementation(() => {});

    const { lastFrame } = renderAtSize(<LayerTable image={image} width={80} />, 80);

    expect(lastFrame()?.split('\n').filter((line) => line.includes('RUN true'))).toHaveLength(3);
    expect(consoleError).not.toHaveBeenCalled();
    consoleError.mockRestore();
  });
});

describe('SavingsLine', () => {
  test.each([80, 120])('demo savings line reads the same at %d columns', (columns) => {
    const { lastFrame } = renderAtSize(<SavingsLine image={demoImage} savings={demoImage.savings[0]!} />, columns);

    expect(lastFrame()).toBe('helloworld:latest 4.5 MB · builder 811 MB · 180× smaller (99.4 % saved)');
  });

  test('savings against two builders are two lines', () => {
    const lines = bundleImage.savings.map((savings) => renderAtSize(<SavingsLine image={bundleImage} savings={savings} />, 80).lastFrame());

    expect(lines).toEqual([
      'acme/bundle:latest 31.5 MB · api 834 MB · 26× smaller (96.2 % saved)',
      'acme/bundle:latest 31.5 MB · web 415 MB · 13× smaller (92.4 % saved)',
    ]);
  });
});
