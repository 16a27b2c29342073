import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

import { describe, expect, it } from 'vitest';

import { listFromImages, listStages, listVariableFromImages, rewriteFromImages } from '../../../src/dockerfile/index.js';

const fixturesDir = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../fixtures/dockerfile');

interface ListCase {
  name: string;
  dockerfile: string;
  /** Each expected image with the line its token starts on. */
  images: Array<[image: string, line: number]>;
}

const listCases: ListCase[] = [
  { name: 'a plain FROM', dockerfile: 'FROM golang:1.19\n', images: [['golang:1.19', 1]] },
  { name: 'a lowercase from', dockerfile: 'from builder\nrun make\n', images: [['builder', 1]] },
  { name: 'a mixed-case keyword', dockerfile: 'FrOm builder\n', images: [['builder', 1]] },
  {
    name: 'a --platform flag with a variable',
    dockerfile: 'FROM --platform=$BUILDPLATFORM builder AS build\n',
    images: [['builder', 1]],
  },
  {
    name: 'a --platform flag whose value follows a space',
    dockerfile: 'FROM --platform linux/amd64 builder\n',
    images: [['builder', 1]],
  },
  { name: 'a quoted --platform value', dockerfile: 'FROM --platform="linux/amd64" builder\n', images: [['builder', 1]] },
  {
    name: 'AS in any case, the stage then used as a base',
    dockerfile: 'FROM builder as one\nFROM one\nFROM runtime As two\nFROM two aS three\n',
    images: [['builder', 1], ['runtime', 3]],
  },
  {
    name: 'a stage named in another case',
    dockerfile: 'FROM builder AS Build\nFROM BUILD\nFROM build:latest\n',
    images: [['builder', 1], ['build:latest', 3]],
  },
  {
    name: 'a stage declared later, which is still an image where it is used',
    dockerfile: 'FROM later\nFROM builder AS later\nFROM later\n',
    images: [['later', 1], ['builder', 2]],
  },
  {
    name: 'a FROM naming its own stage',
    dockerfile: 'FROM builder AS builder\n',
    images: [['builder', 1]],
  },
  {
    name: 'ARG before FROM, whose variables are left to the engine',
    dockerfile: 'ARG BASE=builder\nARG TAG=1\nFROM $BASE\nFROM ${BASE}:${TAG}\nFROM builder:$TAG\nFROM builder\n',
    images: [['builder', 6]],
  },
  {
    name: 'quoted or escaped tokens, which the engine unquotes',
    dockerfile: 'FROM "builder"\nFROM \'builder\'\nFROM build\\er\nFROM runtime\n',
    images: [['runtime', 4]],
  },
  { name: 'a tag and a digest', dockerfile: 'FROM img@sha256:0123abcd\nFROM builder:latest AS b\n', images: [['img@sha256:0123abcd', 1], ['builder:latest', 2]] },
  { name: 'a registry with a port', dockerfile: 'FROM localhost:5000/team/builder:1.2\n', images: [['localhost:5000/team/builder:1.2', 1]] },
  { name: 'scratch', dockerfile: 'FROM scratch\n', images: [['scratch', 1]] },
  { name: 'leading spaces and tabs', dockerfile: '  \tFROM\tbuilder \t\n', images: [['builder', 1]] },
  {
    name: 'backslash continuations',
    dockerfile: 'FROM \\\n  builder \\\n  AS x\nFROM x\n',
    images: [['builder', 2]],
  },
  {
    name: 'a continuation followed by spaces and tabs',
    dockerfile: 'FROM \\ \t\nbuilder\n',
    images: [['builder', 2]],
  },
  {
    name: 'a comment line inside a continuation',
    dockerfile: 'FROM \\\n# FROM commented\n   # indented comment\n  builder\n',
    images: [['builder', 4]],
  },
  {
    name: 'an empty line inside a continuation',
    dockerfile: 'FROM \\\n\n  \t\n  builder\n',
    images: [['builder', 4]],
  },
  {
    name: 'comment lines',
    dockerfile: '# FROM commented\n   # FROM indented\nFROM builder\n',
    images: [['builder', 3]],
  },
  {
    name: 'a # after the image, which is an argument the engine rejects',
    dockerfile: 'FROM builder # note\n',
    images: [],
  },
  {
    name: 'a comment line ending in a backslash, which continues nothing',
    dockerfile: '# note \\\nFROM builder\n',
    images: [['builder', 2]],
  },
  {
    name: 'an escaped backslash at the end of a line, which continues nothing',
    dockerfile: 'RUN echo \\\\\nFROM builder\n',
    images: [['builder', 2]],
  },
  {
    name: 'a RUN continued into a line starting with FROM',
    dockerfile: 'FROM builder\nRUN echo \\\nFROM other\n',
    images: [['builder', 1]],
  },
  {
    name: 'the backtick escape directive',
    dockerfile: '# escape=`\nFROM `\n  builder\nRUN dir c:\\\nFROM other\n',
    images: [['builder', 3], ['other', 5]],
  },
  {
    name: 'an escape directive written with spaces and capitals',
    dockerfile: '#  ESCAPE = ` \nFROM `\n  builder\n',
    images: [['builder', 3]],
  },
  {
    name: 'the syntax directive before the escape directive',
    dockerfile: '# syntax=docker/dockerfile:1\n# escape=`\nFROM `\n builder\n',
    images: [['builder', 4]],
  },
  {
    name: 'an escape directive after a comment, which is a comment',
    dockerfile: '# hello\n# escape=`\nFROM builder\nRUN echo \\\nFROM other\n',
    images: [['builder', 3]],
  },
  {
    name: 'an escape directive after a blank line, which is a comment',
    dockerfile: '\n# escape=`\nFROM builder\nRUN echo \\\nFROM other\n',
    images: [['builder', 3]],
  },
  {
    name: 'an escape directive after an unknown directive, which is a comment',
    dockerfile: '# unknown=1\n# escape=`\nFROM builder\nRUN echo \\\nFROM other\n',
    images: [['builder', 3]],
  },
  {
    name: 'CRLF line endings',
    dockerfile: 'FROM builder AS b\r\nFROM b\r\nFROM \\\r\n  other\r\n',
    images: [['builder', 1], ['other', 4]],
  },
  { name: 'a UTF-8 byte order mark', dockerfile: '\uFEFFFROM builder\n', images: [['builder', 1]] },
  {
    name: 'a byte order mark before the escape directive',
    dockerfile: '\uFEFF# escape=`\nFROM `\n builder\n',
    images: [['builder', 3]],
  },
  {
    name: 'a RUN heredoc whose body has FROM lines',
    dockerfile: 'FROM builder\nRUN <<EOF\nFROM inside\n  FROM indented\nEOF\nFROM after\n',
    images: [['builder', 1], ['after', 6]],
  },
  {
    name: 'a COPY <<- heredoc ended by a tab-indented terminator',
    dockerfile: 'FROM builder\nCOPY <<-EOT /etc/x\n\tFROM inside\n\tEOT\nFROM after\n',
    images: [['builder', 1], ['after', 5]],
  },
  {
    name: 'a heredoc without dash, which a tab-indented terminator does not end',
    dockerfile: 'RUN <<EOT\n\tEOT\nFROM inside\nEOT\nFROM after\n',
    images: [['after', 5]],
  },
  {
    name: 'an ADD heredoc with a quoted terminator',
    dockerfile: 'ADD <<"EOF" /x\nFROM inside\nEOF\nFROM after\n',
    images: [['after', 4]],
  },
  {
    name: 'a heredoc with a file descriptor',
    dockerfile: 'RUN 3<<EOF cat /dev/fd/3\nFROM inside\nEOF\nFROM after\n',
    images: [['after', 4]],
  },
  {
    name: 'two heredocs opened on one line',
    dockerfile: 'RUN <<A cat - <<B\nFROM x\nA\nFROM y\nB\nFROM after\n',
    images: [['after', 6]],
  },
  {
    name: 'a heredoc opened on a continuation line',
    dockerfile: 'RUN \\\n  <<EOF cat\nFROM inside\nEOF\nFROM after\n',
    images: [['after', 5]],
  },
  {
    name: 'a heredoc with CRLF line endings',
    dockerfile: 'RUN <<EOF\r\nFROM inside\r\nEOF\r\nFROM after\r\n',
    images: [['after', 4]],
  },
  {
    name: 'an ONBUILD RUN heredoc',
    dockerfile: 'ONBUILD RUN <<EOF\nFROM inside\nEOF\nFROM after\n',
    images: [['after', 4]],
  },
  {
    name: 'a JSON-form RUN, which opens no heredoc',
    dockerfile: 'RUN ["echo", "<<EOF"]\nFROM after\nEOF\n',
    images: [['after', 2]],
  },
  {
    name: 'a here-string, which is no heredoc',
    dockerfile: 'FROM a\nRUN cat <<<EOF\nFROM b\n',
    images: [['a', 1], ['b', 3]],
  },
  {
    name: 'a quoted <<, which is no heredoc',
    dockerfile: 'RUN echo "<<EOF"\nFROM after\n',
    images: [['after', 2]],
  },
  {
    name: 'an ENV line with <<, which opens no heredoc',
    dockerfile: 'ENV A <<EOF\nFROM after\n',
    images: [['after', 2]],
  },
  {
    name: 'an unterminated heredoc, which runs to the end',
    dockerfile: 'FROM builder\nRUN <<EOF\nFROM inside\n',
    images: [['builder', 1]],
  },
  {
    name: 'a FROM with two words, which the engine rejects',
    dockerfile: 'FROM a b\nFROM c AS\nFROM d\n',
    images: [['d', 3]],
  },
  {
    name: 'non-ASCII text before the FROM',
    dockerfile: 'LABEL note="café ☕"\nFROM builder\n',
    images: [['builder', 2]],
  },
  { name: 'no trailing newline', dockerfile: 'FROM builder', images: [['builder', 1]] },
];

interface RewriteCase {
  name: string;
  dockerfile: Buffer;
  expected: Buffer;
}

const replacements = new Map([
  ['builder', 'weld-run-7/builder:latest'],
  ['runtime:1', 'weld-run-7/runtime:latest'],
]);

function replaceKnown(image: string): string | undefined {
  return replacements.get(image);
}

const rewriteCases: RewriteCase[] = [
  {
    name: 'a plain FROM',
    dockerfile: Buffer.from('FROM builder\nRUN make\n'),
    expected: Buffer.from('FROM weld-run-7/builder:latest\nRUN make\n'),
  },
  {
    name: 'flags, AS and a stage reference',
    dockerfile: Buffer.from('from --platform=$BUILDPLATFORM builder  as  Build\nFROM build\nFROM runtime:1\n'),
    expected: Buffer.from('from --platform=$BUILDPLATFORM weld-run-7/builder:latest  as  Build\nFROM build\nFROM weld-run-7/runtime:latest\n'),
  },
  {
    name: 'CRLF line endings and a byte order mark',
    dockerfile: Buffer.from('\uFEFFFROM builder\r\nRUN echo \\\r\n  done\r\n'),
    expected: Buffer.from('\uFEFFFROM weld-run-7/builder:latest\r\nRUN echo \\\r\n  done\r\n'),
  },
  {
    name: 'a continuation and a comment before the token',
    dockerfile: Buffer.from('FROM \\\n# the base\n\tbuilder \\\n  AS x\n'),
    expected: Buffer.from('FROM \\\n# the base\n\tweld-run-7/builder:latest \\\n  AS x\n'),
  },
  {
    name: 'a token split by a continuation',
    dockerfile: Buffer.from('FROM bui\\\nlder AS x\nRUN true\n'),
    expected: Buffer.from('FROM \\\nweld-run-7/builder:latest AS x\nRUN true\n'),
  },
  {
    name: 'a token split by a continuation and a comment line',
    dockerfile: Buffer.from('FROM bu\\\n# note\nil\\\nder\n'),
    expected: Buffer.from('FROM \\\n# note\n\\\nweld-run-7/builder:latest\n'),
  },
  {
    name: 'the backtick escape',
    dockerfile: Buffer.from('# escape=`\nFROM `\n  builder\nRUN dir c:\\\n'),
    expected: Buffer.from('# escape=`\nFROM `\n  weld-run-7/builder:latest\nRUN dir c:\\\n'),
  },
  {
    name: 'a heredoc body, which stays as it is',
    dockerfile: Buffer.from('FROM builder\nRUN <<EOF\nFROM builder\nEOF\nFROM builder\n'),
    expected: Buffer.from('FROM weld-run-7/builder:latest\nRUN <<EOF\nFROM builder\nEOF\nFROM weld-run-7/builder:latest\n'),
  },
  {
    name: 'non-ASCII text around the token',
    dockerfile: Buffer.from('# résumé ☕\nLABEL a="ü"\nFROM builder\nRUN echo "日本"\n'),
    expected: Buffer.from('# résumé ☕\nLABEL a="ü"\nFROM weld-run-7/builder:latest\nRUN echo "日本"\n'),
  },
  {
    name: 'invalid UTF-8 around the token',
    dockerfile: Buffer.concat([Buffer.from('LABEL a="'), Buffer.from([0xff, 0xc3]), Buffer.from('"\nFROM builder\n'), Buffer.from([0xe2, 0x82])]),
    expected: Buffer.concat([
      Buffer.from('LABEL a="'),
      Buffer.from([0xff, 0xc3]),
      Buffer.from('"\nFROM weld-run-7/builder:latest\n'),
      Buffer.from([0xe2, 0x82]),
    ]),
  },
  {
    name: 'a variable token, which stays',
    dockerfile: Buffer.from('ARG BASE=builder\nFROM $BASE\nFROM builder:${TAG}\n'),
    expected: Buffer.from('ARG BASE=builder\nFROM $BASE\nFROM builder:${TAG}\n'),
  },
  {
    name: 'images without a replacement, which stay',
    dockerfile: Buffer.from('FROM golang:1.19 AS b\nFROM b\nFROM busybox\n'),
    expected: Buffer.from('FROM golang:1.19 AS b\nFROM b\nFROM busybox\n'),
  },
];

describe('listFromImages', () => {
  it.each(listCases)('finds the images of $name', ({ dockerfile, images }) => {
    const found = listFromImages(dockerfile);

    expect(found.map((entry) => [entry.image, entry.line])).toEqual(images);
  });

  it('gives byte offsets that cover exactly the token', () => {
    const dockerfile = '\uFEFF# café\nFROM --platform=linux/amd64 builder:1 AS b\r\nFROM \\\n  runtime\n';
    const bytes = Buffer.from(dockerfile, 'utf8');

    const found = listFromImages(dockerfile);

    expect(found.map((entry) => bytes.subarray(entry.start, entry.end).toString())).toEqual(['builder:1', 'runtime']);
  });

  it('returns nothing for an empty file', () => {
    const found = listFromImages('');

    expect(found).toEqual([]);
  });
});

describe('listVariableFromImages', () => {
  it.each([
    { name: 'ARG default in braces', dockerfile: 'ARG V=1.0\nFROM --platform=linux/amd64 base:${V} AS x\n', args: {}, expected: [['base:${V}', 2, 'base:1.0']] },
    { name: 'bare variable', dockerfile: 'ARG IMAGE=base\nFROM $IMAGE\n', args: {}, expected: [['$IMAGE', 2, 'base']] },
    { name: 'build arg over the default', dockerfile: 'ARG V=1.0\nFROM base:${V}\n', args: { V: '2.0' }, expected: [['base:${V}', 2, 'base:2.0']] },
    { name: 'ARG without a default', dockerfile: 'ARG V\nFROM base:${V}\n', args: {}, expected: [['base:${V}', 2, undefined]] },
    { name: 'ARG after FROM', dockerfile: 'FROM busybox\nARG V=1\nFROM base:${V}\n', args: {}, expected: [['base:${V}', 3, undefined]] },
    { name: 'default form', dockerfile: 'ARG V=1\nFROM base:${V:-2}\n', args: {}, expected: [['base:${V:-2}', 2, undefined]] },
    { name: 'quoted default', dockerfile: 'ARG V="1.0"\nFROM base:$V\n', args: {}, expected: [['base:$V', 2, 'base:1.0']] },
    { name: 'a build arg no ARG declares', dockerfile: 'FROM base:$V\n', args: { V: '3' }, expected: [['base:$V', 1, undefined]] },
    { name: 'literal image', dockerfile: 'FROM base:1.0\n', args: {}, expected: [] },
  ])('resolves $name', ({ dockerfile, args, expected }) => {
    const found = listVariableFromImages(dockerfile, args as Record<string, string>);

    expect(found.map((entry) => [entry.token, entry.line, entry.resolved])).toEqual(expected);
  });
});

describe('listStages', () => {
  it('lists the stage names in order as written', () => {
    const dockerfile = 'FROM a AS One\nfrom b as two\nFROM --platform=$TARGETPLATFORM c aS Three\nFROM One\n';

    const stages = listStages(dockerfile);

    expect(stages).toEqual(['One', 'two', 'Three']);
  });

  it('ignores AS inside heredocs and comments', () => {
    const dockerfile = '# FROM a AS commented\nFROM b AS real\nRUN <<EOF\nFROM c AS inside\nEOF\n';

    const stages = listStages(dockerfile);

    expect(stages).toEqual(['real']);
  });
});

describe('rewriteFromImages', () => {
  it.each(rewriteCases)('rewrites byte for byte with $name', ({ dockerfile, expected }) => {
    const rewritten = rewriteFromImages(dockerfile, replaceKnown);

    expect(rewritten.equals(expected)).toBe(true);
    expect(rewritten.toString('latin1')).toBe(expected.toString('latin1'));
  });

  it('asks about each literal image once per token', () => {
    const asked: string[] = [];
    const dockerfile = Buffer.from('FROM builder AS b\nFROM b\nFROM $X\nFROM runtime:1\n');

    rewriteFromImages(dockerfile, (image) => {
      asked.push(image);
      return undefined;
    });

    expect(asked).toEqual(['builder', 'runtime:1']);
  });

  it('returns a copy when nothing is replaced', () => {
    const dockerfile = Buffer.from('FROM busybox\n');

    const rewritten = rewriteFromImages(dockerfile, () => undefined);

    expect(rewritten.equals(dockerfile)).toBe(true);
    expect(rewritten).not.toBe(dockerfile);
  });

  it('rewrites a multi-stage fixture to the expected bytes', async () => {
    const dockerfile = await readFile(path.join(fixturesDir, 'multi-stage.Dockerfile'));
    const expected = await readFile(path.join(fixturesDir, 'multi-stage.rewritten.Dockerfile'));

    const rewritten = rewriteFromImages(dockerfile, replaceKnown);

    expect(rewritten.toString('utf8')).toBe(expected.toString('utf8'));
    expect(rewritten.equals(expected)).toBe(true);
  });
});
