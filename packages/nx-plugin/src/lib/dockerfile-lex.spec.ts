import { expandWord, heredocWords, type Environment, type VariableValue } from './dockerfile-lex';

const env = (values: Record<string, string | { builder: true }>): Environment =>
  new Map(
    Object.entries(values).map(([name, value]): [string, VariableValue] => [
      name,
      typeof value === 'string' ? { value } : { causes: { missing: [], builderDefined: [name] } },
    ]),
  );

const ENV = env({ TAG: '8.0-bookworm-slim', EMPTY: '', PATHS: 'a/b/c/b/a', TARGETARCH: { builder: true } });

describe('expandWord', () => {
  // Cases from the Dockerfile reference's "Environment replacement" and BuildKit's shell/lex.go behaviour.
  it.each<[string, string, string]>([
    ['plain text', 'mcr.microsoft.com/dotnet/runtime:8.0', 'mcr.microsoft.com/dotnet/runtime:8.0'],
    ['$NAME', 'runtime:$TAG', 'runtime:8.0-bookworm-slim'],
    ['${NAME}', 'runtime:${TAG}', 'runtime:8.0-bookworm-slim'],
    ['$NAME ends at a character that cannot be in a name', '$TAG:x', '8.0-bookworm-slim:x'],
    ['$ before a non-name is literal', 'a$/b$', 'a$/b$'],
    ['${NAME:-word} set', '${TAG:-6.0}', '8.0-bookworm-slim'],
    ['${NAME:-word} unset', '${NOPE:-6.0}', '6.0'],
    ['${NAME:-word} empty', '${EMPTY:-6.0}', '6.0'],
    ['${NAME-word} empty', '${EMPTY-6.0}', ''],
    ['${NAME:+word} set', '${TAG:+slim}', 'slim'],
    ['${NAME:+word} empty', '${EMPTY:+slim}', ''],
    ['${NAME+word} empty', '${EMPTY+slim}', 'slim'],
    ['${NAME+word} unset', '${NOPE+slim}', ''],
    ['a variable inside the word', '${NOPE:-runtime:$TAG}', 'runtime:8.0-bookworm-slim'],
    ['${NAME#pattern} shortest prefix', '${PATHS#*/}', 'b/c/b/a'],
    ['${NAME##pattern} longest prefix', '${PATHS##*/}', 'a'],
    ['${NAME%pattern} shortest suffix', '${PATHS%/*}', 'a/b/c/b'],
    ['${NAME%%pattern} longest suffix', '${PATHS%%/*}', 'a'],
    ['${NAME/pattern/replacement} first', '${PATHS/b/x}', 'a/x/c/b/a'],
    ['${NAME//pattern/replacement} all', '${PATHS//b/x}', 'a/x/c/x/a'],
    ['? matches one character', '${TAG/8.?/10.0}', '10.0-bookworm-slim'],
    ['double quotes removed, variables expanded inside', '"runtime:$TAG"', 'runtime:8.0-bookworm-slim'],
    ['single quotes removed, nothing expanded inside', "'runtime:$TAG'", 'runtime:$TAG'],
    ['the escape character makes $ literal', 'a\\$TAG', 'a$TAG'],
    ['an escape at the end is dropped', 'a\\', 'a'],
    ['inside double quotes only ", $ and the escape are escaped', '"a\\b\\"c\\$TAG"', 'a\\b"c$TAG'],
  ])('%s: %s → %s', (_name, word, value) => {
    expect(expandWord(word, ENV, '\\')).toEqual({ value, missing: [], builderDefined: [] });
  });

  it('uses the backtick as the escape character when the Dockerfile says so', () => {
    expect(expandWord('C:\\app\\`$TAG', ENV, '`')).toEqual({ value: 'C:\\app\\$TAG', missing: [], builderDefined: [] });
  });

  it.each<[string, string, string[], string[]]>([
    ['an unset variable used as it is', 'runtime:${NOPE}', ['NOPE'], []],
    ['several, in order, once each', '${REPO}:${TAG2}-$REPO', ['REPO', 'TAG2'], []],
    ['a pattern on an unset variable', '${NOPE%-*}', ['NOPE'], []],
    ['${NAME:?} unset', '${NOPE:?}', ['NOPE'], []],
    ['${NAME:?} empty', '${EMPTY:?}', ['EMPTY'], []],
    ['a builder-defined variable', 'runtime:8.0-$TARGETARCH', [], ['TARGETARCH']],
    ['${NAME:-word} when only the builder knows whether it is empty', '${TARGETARCH:-amd64}', [], ['TARGETARCH']],
  ])('reports what it could not know: %s', (_name, word, missing, builderDefined) => {
    expect(expandWord(word, ENV, '\\')).toMatchObject({ missing, builderDefined });
  });

  it('does not report a variable in a word it did not use', () => {
    expect(expandWord('${TAG:-$NOPE}${NOPE2:+$NOPE3}${TARGETARCH+x}', ENV, '\\')).toEqual({
      value: '8.0-bookworm-slimx',
      missing: [],
      builderDefined: [],
    });
  });

  it('passes on what an unresolved variable depends on', () => {
    const base = new Map<string, VariableValue>([['BASE', { causes: { missing: ['TAG'], builderDefined: [] } }]]);
    expect(expandWord('$BASE', base, '\\')).toEqual({ value: '', missing: ['TAG'], builderDefined: [] });
  });

  it.each<[string, RegExp]>([
    ['${}', /bad substitution/],
    ['${:-x}', /bad substitution/],
    ['${TAG', /missing '}'/],
    ['${TAG:-x', /missing '}'/],
    ['${TAG:#x}', /unsupported modifier \(:#\)/],
    ['${TAG^}', /unsupported modifier \(\^\)/],
    ['"open', /double-quote/],
    ["'open", /single-quote/],
    ['${TAG/a', /missing '\/'/],
    ['${TAG#\\x}', /invalid escape/],
  ])('%s → error', (word, message) => {
    expect(() => expandWord(word, ENV, '\\')).toThrow(message);
  });
});

describe('heredocWords', () => {
  // As BuildKit's parser_heredoc_test.go splits instruction lines to find heredoc markers.
  it.each<[string, string[]]>([
    ['RUN <<EOF', ['RUN', '<<EOF']],
    ['RUN <<-EOF', ['RUN', '<<-EOF']],
    ['RUN <<EOF <<EOF2', ['RUN', '<<EOF', '<<EOF2']],
    ["RUN <<'EOF'", ['RUN', "<<'EOF'"]],
    ['RUN 4<<EOF', ['RUN', '4<<EOF']],
    ['RUN <<  EOF  > foo', ['RUN', '<<  EOF', '>', 'foo']],
    ['RUN <<- EOF', ['RUN', '<<-', 'EOF']],
    ["RUN '<<EOF'", ['RUN', "'<<EOF'"]],
    ['RUN "<<EOF"', ['RUN', '"<<EOF"']],
    ['RUN <<$EOF', ['RUN', '<<$EOF']],
    ["RUN <<eo\\'f", ['RUN', "<<eo\\'f"]],
    ['RUN echo "it\'s open', []],
  ])('raw: %s', (line, words) => {
    expect(heredocWords(line, true)).toEqual(words);
  });

  it.each<[string, string[]]>([
    ['EOF', ['EOF']],
    ['"EOF"', ['EOF']],
    ["'EOF'", ['EOF']],
    ["eo'f'", ['eof']],
    ["eo\\'f", ["eo'f"]],
    ["'one two'", ['one two']],
    ['one two', ['one', 'two']],
    ['$EOF', ['$EOF']],
  ])('a delimiter: %s', (word, words) => {
    expect(heredocWords(word, false)).toEqual(words);
  });
});
