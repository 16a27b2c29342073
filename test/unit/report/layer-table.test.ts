import { describe, expect, it } from 'vitest';

import type { FinalImage } from '../../../src/build/events.js';
import { buildLayerRows, describeLayerInstruction, shortenImageId } from '../../../src/report/layer-table.js';

describe('describeLayerInstruction', () => {
  it.each([
    { createdBy: '/bin/sh -c #(nop)  CMD ["/helloworld"]', expected: 'CMD ["/helloworld"]' },
    { createdBy: '/bin/sh -c go build -o /app .', expected: 'RUN go build -o /app .' },
    { createdBy: 'RUN /bin/sh -c make # buildkit', expected: 'RUN /bin/sh -c make' },
    {
      createdBy: `/bin/sh -c #(nop) COPY file:${'62b1a3708989'}${'a'.repeat(52)} in /helloworld `,
      expected: 'COPY file:62b1a3708989… in /helloworld',
    },
    { createdBy: '', expected: '(no instruction recorded)' },
    { createdBy: '/bin/sh -ec #(nop)  SHELL [/bin/sh -ec]', expected: 'SHELL [/bin/sh -ec]' },
    { createdBy: '/bin/bash -o pipefail -c #(nop)  CMD ["sh"]', expected: 'CMD ["sh"]' },
  ])('turns "$createdBy" into "$expected"', ({ createdBy, expected }) => {
    expect(describeLayerInstruction(createdBy)).toBe(expected);
  });
});

describe('buildLayerRows', () => {
  it('gives each layer its share of the image size and a short id', () => {
    const image: FinalImage = {
      step: 'production',
      image: 'app:latest',
      imageId: 'sha256:abc',
      sizeBytes: 4_000,
      layers: [
        { id: `sha256:${'1'.repeat(64)}`, createdBy: '/bin/sh -c #(nop)  CMD ["/app"]', sizeBytes: 0, createdMs: 0 },
        { id: '<missing>', createdBy: '/bin/sh -c #(nop) COPY file:x in /app', sizeBytes: 3_000, createdMs: 0 },
        { id: '', createdBy: '/bin/sh -c #(nop) ADD rootfs.tar /', sizeBytes: 1_000, createdMs: 0 },
      ],
      savings: [],
    };

    const rows = buildLayerRows(image);

    expect(rows.map((row) => row.id)).toEqual(['111111111111', '<missing>', '<missing>']);
    expect(rows.map((row) => row.share)).toEqual([0, 0.75, 0.25]);
  });

  it('reads RUN entries in the shell that a SHELL entry below them set', () => {
    const image: FinalImage = {
      step: 'app',
      image: 'app:latest',
      imageId: 'sha256:abc',
      sizeBytes: 10,
      layers: [
        { id: '<missing>', createdBy: '/bin/sh -ec #(nop)  CMD ["sh"]', sizeBytes: 0, createdMs: 0 },
        { id: '<missing>', createdBy: '/bin/sh -ec echo hi > /x', sizeBytes: 3, createdMs: 0 },
        { id: '<missing>', createdBy: '/bin/sh -ec #(nop)  SHELL [/bin/sh -ec]', sizeBytes: 0, createdMs: 0 },
        { id: '<missing>', createdBy: '/bin/sh -c echo before > /y', sizeBytes: 7, createdMs: 0 },
      ],
      savings: [],
    };

    const rows = buildLayerRows(image);

    expect(rows.map((row) => row.instruction)).toEqual(['CMD ["sh"]', 'RUN echo hi > /x', 'SHELL [/bin/sh -ec]', 'RUN echo before > /y']);
  });

  it('shortens ids without the sha256 prefix', () => {
    expect(shortenImageId('sha256:0123456789abcdef')).toBe('0123456789ab');
  });
});
