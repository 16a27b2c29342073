import { describe, expect, it } from 'vitest';

import { listDeclaredArgs, selectDeclaredArgs } from '../../../src/secrets/build-args.js';

describe('listDeclaredArgs', () => {
  it.each([
    { dockerfile: 'FROM busybox\nARG habitus_host\nARG habitus_port=8080\n', expected: ['habitus_host', 'habitus_port'] },
    { dockerfile: 'FROM busybox\n  arg habitus_user\n', expected: ['habitus_user'] },
    { dockerfile: 'FROM busybox\nARG a=1 b=2\n', expected: ['a', 'b'] },
    { dockerfile: 'FROM busybox\nRUN echo ARG habitus_host\n', expected: [] },
  ])('finds $expected', ({ dockerfile, expected }) => {
    const names = listDeclaredArgs(dockerfile);

    expect([...names]).toEqual(expected);
  });
});

describe('selectDeclaredArgs', () => {
  it('keeps only the args the Dockerfile declares', () => {
    const args = { habitus_host: '127.0.0.1', habitus_port: '8080', habitus_password: 'pw' };

    const selected = selectDeclaredArgs(Buffer.from('FROM busybox\nARG habitus_host\nARG habitus_port\n'), args);

    expect(selected).toEqual({ habitus_host: '127.0.0.1', habitus_port: '8080' });
  });
});
