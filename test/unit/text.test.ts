import { describe, expect, it } from 'vitest';
import { multiLine, MULTI_LINE_MESSAGE, oneLine, singleLine, SINGLE_LINE_MESSAGE } from '../../src/http/text.ts';
import { isBookableDate, isBookableInstant } from '../../src/http/params.ts';

const name = singleLine({ max: 10, required: 'Enter a name.' });
const notes = multiLine({ max: 20 });
const issue = (r: { success: boolean; error?: { issues: { message: string }[] } }) => (r.success ? undefined : r.error!.issues[0]!.message);

describe('single-line text', () => {
  it('is trimmed and kept as typed otherwise, markup included (escaping is the page’s job)', () => {
    expect(name.parse('  Ann  ')).toBe('Ann');
    expect(name.parse('<b>"O\'H"')).toBe('<b>"O\'H"');
    expect(name.parse('Zoë 名前')).toBe('Zoë 名前');
  });

  it.each([
    ['a NUL', 'a\u0000b'],
    ['a line break', 'Kim\nBcc: x'],
    ['a carriage return', 'Kim\rX'],
    ['a tab', 'a\tb'],
    ['an escape sequence', 'a\u001b[31m'],
    ['DEL', 'a\u007f'],
    ['a C1 control (NEL)', 'a\u0085b'],
    ['a Unicode line separator', 'a\u2028b'],
  ])('refuses %s', (_what, value) => {
    expect(issue(name.safeParse(value))).toBe(SINGLE_LINE_MESSAGE);
  });

  it('trims line breaks at the ends away rather than refusing them (a pasted name)', () => {
    expect(name.parse('Ann\r\n')).toBe('Ann');
  });

  it('caps the length after trimming, and says so; requires a value when asked', () => {
    expect(issue(name.safeParse('x'.repeat(11)))).toBe('Use at most 10 characters.');
    expect(name.parse(`  ${'x'.repeat(10)}  `)).toHaveLength(10);
    expect(issue(name.safeParse('   '))).toBe('Enter a name.');
    expect(issue(name.safeParse(undefined))).toBe('Enter a name.');
    expect(singleLine({ max: 5 }).parse('')).toBe('');
  });

  it('refuses what is not text, such as a repeated form field', () => {
    expect(issue(name.safeParse(['a', 'b']))).toBe('Enter text.');
    expect(issue(name.safeParse(42))).toBe('Enter text.');
  });
});

describe('multi-line text', () => {
  it('keeps line breaks and tabs, as LF', () => {
    expect(notes.parse('one\r\ntwo\rthree\n\tfour')).toBe('one\ntwo\nthree\n\tfour');
  });

  it.each([['a NUL', 'a\u0000b'], ['a form feed', 'a\fb'], ['a vertical tab', 'a\u000bb'], ['DEL', 'a\u007f'], ['an escape', '\u001b[2J']])('refuses %s', (_what, value) => {
    expect(issue(notes.safeParse(value))).toBe(MULTI_LINE_MESSAGE);
  });

  it('counts the length after normalising line breaks', () => {
    expect(notes.parse('a\r\n'.repeat(7) + 'b')).toBe('a\n'.repeat(7) + 'b'); // 22 characters as sent, 15 as kept
    expect(issue(notes.safeParse('x'.repeat(21)))).toBe('Use at most 20 characters.');
  });
});

describe('one-line text for headers', () => {
  it('turns every run of line breaks and controls into one space', () => {
    expect(oneLine('New booking: Kim\r\nBcc: victim@example.com')).toBe('New booking: Kim Bcc: victim@example.com');
    expect(oneLine('a\u0000\u0007b\u2028c\td')).toBe('a b c d');
    expect(oneLine('  plain  ')).toBe('plain');
  });

  it('caps the length with an ellipsis', () => {
    expect(oneLine('x'.repeat(300), 10)).toBe(`${'x'.repeat(9)}…`);
  });
});

describe('dates and instants anything may name', () => {
  it.each([['2026-03-01', true], ['1970-01-01', true], ['2199-12-31', true], ['1969-12-31', false], ['2200-01-01', false], ['0001-01-01', false], ['9999-12-31', false], ['2026-13-45', false], ['2026-02-30', false]])(
    '%s → %s',
    (date, ok) => expect(isBookableDate(date)).toBe(ok),
  );

  it('bounds instants the same way', () => {
    expect(isBookableInstant(Date.parse('2026-03-01T10:00:00Z'))).toBe(true);
    expect(isBookableInstant(Date.parse('2200-01-01T00:00:00Z'))).toBe(false);
    expect(isBookableInstant(-8.64e15)).toBe(false);
    expect(isBookableInstant(NaN)).toBe(false);
  });
});
