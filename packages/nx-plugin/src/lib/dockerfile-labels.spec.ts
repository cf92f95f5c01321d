/** withLabelInstruction: a platform image's labels as one LABEL instruction at the end of the temporary Dockerfile. */
import { parseDockerfile } from './dockerfile';
import { withLabelInstruction } from './dockerfile-rewrite';
import { expandWord } from './dockerfile-lex';

describe('withLabelInstruction', () => {
  const LABELS = {
    'org.opencontainers.image.version': '6.0-1.2.0',
    'io.platform-images.context.digest': 'sha256:abc',
    'org.opencontainers.image.created': '2026-11-29T10:00:00.000Z',
  };
  const sortedWords =
    '"io.platform-images.context.digest"="sha256:abc" "org.opencontainers.image.created"="2026-11-29T10:00:00.000Z" "org.opencontainers.image.version"="6.0-1.2.0"';

  it.each<[string, string, Record<string, string>, string | undefined]>([
    ['one LABEL at the end, keys sorted', 'FROM a\nUSER app\n', LABELS, `FROM a\nUSER app\nLABEL ${sortedWords}\n`],
    ['a last line without a line break gets one', 'FROM a\nUSER app', LABELS, `FROM a\nUSER app\nLABEL ${sortedWords}\n`],
    ['after a heredoc', 'FROM a\nRUN <<EOF\necho hi\nEOF\n', { a: 'b' }, 'FROM a\nRUN <<EOF\necho hi\nEOF\nLABEL "a"="b"\n'],
    [
      'quotes, $ and the escape character escaped: nothing is expanded',
      'FROM a\n',
      { k: 'a"b$c\\d${HOME}' },
      'FROM a\nLABEL "k"="a\\"b\\$c\\\\d\\${HOME}"\n',
    ],
    [
      'under # escape=` the backtick escapes, the backslash is a character',
      '# escape=`\nFROM a\n',
      { k: 'a"b$c\\d`e' },
      '# escape=`\nFROM a\nLABEL "k"="a`"b`$c\\d``e"\n',
    ],
    ['no labels: the text as it is', 'FROM a\n', {}, 'FROM a\n'],
    ['a line break in a value: left to --label', 'FROM a\n', { k: 'a\nb' }, undefined],
    ['a last line that continues would swallow it: left to --label', 'FROM a\nRUN echo \\\n', LABELS, undefined],
  ])('%s', (_name, text, labels, expected) => {
    expect(withLabelInstruction(text, labels)).toBe(expected);
  });

  it('reads back as the labels given, through the parser and the word expansion the builder uses', () => {
    const labels = {
      'org.opencontainers.image.source': 'https://dev.azure.com/contoso/_git/platform#platform-images/net6/sdk',
      k: '$HOME "x" \\ `y` \'z\'',
    };
    for (const text of ['FROM a\n', '# escape=`\nFROM a\n']) {
      const parsed = parseDockerfile(withLabelInstruction(text, labels)!);
      const label = parsed.instructions[parsed.instructions.length - 1];
      expect(label.keyword).toBe('label');
      const words = label.args.match(/"(?:[^"\\`]|[\\`].)*"="(?:[^"\\`]|[\\`].)*"/g)!;
      expect(words.map((w) => expandWord(w, new Map(), parsed.escape).value)).toEqual(
        Object.entries(labels)
          .sort(([a], [b]) => a.localeCompare(b))
          .map(([k, v]) => `${k}=${v}`),
      );
    }
  });
});
