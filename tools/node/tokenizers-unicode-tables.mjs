// Generates src/OnnxTransfer.Text/Unicode/BertUnicodeData.g.cs: the character tables the BERT tokenizer needs to
// behave exactly like the Hugging Face `tokenizers` Rust library (what transformers' fast BertTokenizer runs).
//
// That library does not use one Unicode version, and neither .NET nor JavaScript can give us its answers directly:
//   * BertNormalizer/BertPreTokenizer classify characters with the `unicode_categories` crate, whose tables are
//     Unicode 8.0: "control" = Cc|Cf|Co, "accent" = Mn, "punctuation" = P* (plus ASCII punctuation).
//   * NFD comes from `unicode-normalization-alignments`, whose decomposition and combining-class tables are Unicode 9.0.
//   * Lower-casing is Rust's char::to_lowercase (full mapping, current Unicode: 17.0 for tokenizers 0.23.2).
//   * Whitespace is Rust's char::is_whitespace (the White_Space property, unchanged for many versions).
// The 8.0 and 9.0 tables are rebuilt from a newer Unicode Character Database (Debian's `unicode-data` package, 15.0)
// by keeping characters whose Age is old enough and undoing the few General_Category changes made since 8.0.
// Lower-casing comes from this Node's ICU (String.prototype.toLowerCase on one code point has no context, so it is the
// plain full mapping); the header records which Unicode version that was.
//
// Usage:  node tools/node/tokenizers-unicode-tables.mjs [/usr/share/unicode] > src/OnnxTransfer.Text/Unicode/BertUnicodeData.g.cs
// The exhaustive test against the Rust tokenizer (OnnxTransfer.Text.Tests, UnicodeTablesAgainstRustTests) proves the result.
import fs from 'node:fs';
import path from 'node:path';

const ucd = process.argv[2] ?? '/usr/share/unicode';
const read = (name) => fs.readFileSync(path.join(ucd, name), 'utf8');

// ---- UnicodeData.txt: general category, combining class, canonical decomposition --------------------------------
const category = new Map();
const combiningClass = new Map();
const decomposition = new Map();
let rangeFirst = -1;
for (const line of read('UnicodeData.txt').split('\n')) {
  if (!line) continue;
  const f = line.split(';');
  const cp = parseInt(f[0], 16);
  if (f[1].endsWith('First>')) { rangeFirst = cp; continue; }
  const from = f[1].endsWith('Last>') ? rangeFirst : cp;
  for (let c = from; c <= cp; c++) { category.set(c, f[2]); combiningClass.set(c, parseInt(f[3], 10)); }
  if (f[5] && !f[5].startsWith('<')) decomposition.set(cp, f[5].split(' ').map((x) => parseInt(x, 16)));
}
const ucdVersion = (read('ReadMe.txt').match(/Version (\d+\.\d+\.\d+)/) ?? [, 'unknown'])[1];

// ---- DerivedAge.txt: the Unicode version that assigned each code point ------------------------------------------
const age = new Map();
for (const raw of read('DerivedAge.txt').split('\n')) {
  const line = raw.split('#')[0].trim();
  if (!line) continue;
  const [range, version] = line.split(';').map((s) => s.trim());
  const [a, b] = range.split('..');
  for (let c = parseInt(a, 16); c <= parseInt(b ?? a, 16); c++) age.set(c, parseFloat(version));
}
const assignedBy = (cp, version) => (age.get(cp) ?? Infinity) <= version;

// General_Category values that changed between Unicode 8.0 and the database we read. A character in this list takes
// its 8.0 category; everything else assigned by 8.0 kept its category.
//   U+1734 HANUNOO SIGN PAMUDPOD: Mn in 8.0 (Mc since 14.0)
//   U+1885..1886 MONGOLIAN LETTER ALI GALI BALUDA/THREE BALUDA: Lo in 8.0 (Mn since 9.0)
//   U+A9BD JAVANESE CONSONANT SIGN KERET: Mc in 8.0 (Mn since 12.0)
//   U+111C9 SHARADA SANDHI MARK: Po in 8.0 (Mn since 11.0)
//   U+166D CANADIAN SYLLABICS CHI SIGN: Po in 8.0 (So since 12.0)
const categoryIn8 = new Map([[0x1734, 'Mn'], [0x1885, 'Lo'], [0x1886, 'Lo'], [0xa9bd, 'Mc'], [0x111c9, 'Po'], [0x166d, 'Po']]);
const category8 = (cp) => {
  if (!assignedBy(cp, 8.0)) return 'Cn';
  return categoryIn8.get(cp) ?? category.get(cp) ?? 'Cn';
};

const allCodePoints = function* () { for (let cp = 0; cp <= 0x10ffff; cp++) yield cp; };
const toRanges = (predicate) => {
  const ranges = [];
  let start = -1;
  for (const cp of allCodePoints()) {
    const inSet = predicate(cp);
    if (inSet && start < 0) start = cp;
    if (!inSet && start >= 0) { ranges.push([start, cp - 1]); start = -1; }
  }
  if (start >= 0) ranges.push([start, 0x10ffff]);
  return ranges;
};

const controlRanges = toRanges((cp) => ['Cc', 'Cf', 'Co'].includes(category8(cp)));
const nonspacingMarkRanges = toRanges((cp) => category8(cp) === 'Mn');
const punctuationRanges = toRanges((cp) => category8(cp).startsWith('P'));

// ---- Unicode 9.0 canonical decompositions (full, recursive; Hangul is algorithmic and left to the code) ----------
const fullDecomposition = (cp) => {
  const d = assignedBy(cp, 9.0) ? decomposition.get(cp) : undefined;
  return d ? d.flatMap(fullDecomposition) : [cp];
};
const decompositionKeys = [...decomposition.keys()].filter((cp) => assignedBy(cp, 9.0)).sort((a, b) => a - b);
const decompositionStarts = [];
const decompositionData = [];
for (const cp of decompositionKeys) { decompositionStarts.push(decompositionData.length); decompositionData.push(...fullDecomposition(cp)); }
decompositionStarts.push(decompositionData.length);

// Combining classes as [start, end, class] runs, Unicode 9.0.
const cccRuns = [];
for (const cp of allCodePoints()) {
  const ccc = assignedBy(cp, 9.0) ? (combiningClass.get(cp) ?? 0) : 0;
  if (ccc === 0) continue;
  const last = cccRuns[cccRuns.length - 1];
  if (last && last[1] === cp - 1 && last[2] === ccc) last[1] = cp; else cccRuns.push([cp, cp, ccc]);
}

// ---- Lower-casing: full mapping of one code point, as Rust's char::to_lowercase ----------------------------------
const lowercasePairs = [];
const multiCharLowercase = [];
for (const cp of allCodePoints()) {
  if (cp >= 0xd800 && cp <= 0xdfff) continue;
  const s = String.fromCodePoint(cp);
  const lower = [...s.toLowerCase()].map((c) => c.codePointAt(0));
  if (lower.length === 1 && lower[0] === cp) continue;
  if (lower.length === 1) lowercasePairs.push([cp, lower[0]]); else multiCharLowercase.push([cp, lower]);
}
if (multiCharLowercase.length !== 1 || multiCharLowercase[0][0] !== 0x130)
  throw new Error(`expected U+0130 to be the only multi-character lower-case mapping, got ${JSON.stringify(multiCharLowercase)}`);
if (lowercasePairs.some(([from, to]) => (from < 0x10000) !== (to < 0x10000)))
  throw new Error('a lower-case mapping crosses between the BMP and the supplementary planes; BertCharacters assumes none does');

// ---- Emit C# ---------------------------------------------------------------------------------------------------
const hex = (n) => '0x' + n.toString(16).toUpperCase().padStart(4, '0');
const block = (values, perLine = 12) => {
  const lines = [];
  for (let i = 0; i < values.length; i += perLine) lines.push('        ' + values.slice(i, i + perLine).join(', ') + ',');
  return lines.join('\n');
};
const rangesProperty = (name, doc, ranges) =>
  `    /// <summary>${doc}</summary>\n    internal static ReadOnlySpan<int> ${name} =>\n    [\n${block(ranges.flatMap(([a, b]) => [hex(a), hex(b)]))}\n    ];\n`;

const out = `// <auto-generated>
// Generated by tools/node/tokenizers-unicode-tables.mjs from the Unicode Character Database ${ucdVersion}
// (UnicodeData.txt, DerivedAge.txt) and lower-case mappings of Unicode ${process.versions.unicode} (Node ${process.version}).
// Do not edit by hand: rerun the script.
// </auto-generated>
namespace OnnxTransfer.Text.Unicode;

internal static class BertUnicodeData
{
    /// <summary>Version of the lower-case mappings (Rust's char::to_lowercase in tokenizers 0.23.2 uses the same).</summary>
    internal const string LowercaseUnicodeVersion = "${process.versions.unicode}";

${rangesProperty('ControlRanges', 'Unicode 8.0 Cc, Cf and Co as inclusive [start, end] pairs: what BertNormalizer\'s clean_text removes.', controlRanges)}
${rangesProperty('NonspacingMarkRanges', 'Unicode 8.0 Mn as inclusive [start, end] pairs: what strip_accents removes after NFD.', nonspacingMarkRanges)}
${rangesProperty('PunctuationRanges', 'Unicode 8.0 P* as inclusive [start, end] pairs: what BertPreTokenizer isolates (with ASCII punctuation).', punctuationRanges)}
    /// <summary>Code points with a Unicode 9.0 canonical decomposition (Hangul syllables excluded), ascending.</summary>
    internal static ReadOnlySpan<int> DecompositionKeys =>
    [
${block(decompositionKeys.map(hex))}
    ];

    /// <summary>Start of each key's full decomposition in <see cref="DecompositionData"/>; one extra end entry.</summary>
    internal static ReadOnlySpan<ushort> DecompositionStarts =>
    [
${block(decompositionStarts.map(String), 16)}
    ];

    /// <summary>Full (recursive) canonical decompositions, concatenated.</summary>
    internal static ReadOnlySpan<int> DecompositionData =>
    [
${block(decompositionData.map(hex))}
    ];

    /// <summary>Unicode 9.0 canonical combining classes other than 0 as [start, end, class] runs.</summary>
    internal static ReadOnlySpan<int> CombiningClassRuns =>
    [
${block(cccRuns.flatMap(([a, b, c]) => [hex(a), hex(b), String(c)]), 12)}
    ];

    /// <summary>[code point, lower-case code point] pairs, ascending; U+0130 (two code points) is handled in code.</summary>
    internal static ReadOnlySpan<int> LowercasePairs =>
    [
${block(lowercasePairs.flatMap(([a, b]) => [hex(a), hex(b)]))}
    ];
}
`;
process.stdout.write(out);
