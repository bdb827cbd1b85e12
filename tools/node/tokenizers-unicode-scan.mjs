// Every Unicode scalar value through each step of the Rust BERT normaliser and the BERT pre-tokenizer, for the
// exhaustive table test (OnnxTransfer.Text.Tests, UnicodeTablesAgainstRustTests).
//
//   node tools/node/tokenizers-unicode-scan.mjs > scan.txt
//
// Needs the Rust library's Node bindings (npm `tokenizers`, from tools/node/node_modules or NODE_PATH); prints the
// single line "unavailable" without them. Otherwise one line per code point (surrogates and '|' excepted):
//   CP;CLEAN;CHINESE;STRIP;LOWER;PRE
// with CP in hex, each of CLEAN/CHINESE/STRIP/LOWER the code points (hex, space-separated) that BertNormalizer makes
// of that one character with only that switch on, and PRE the number of pieces BertPreTokenizer cuts "a<char>a" into
// (1: an ordinary character, 2: whitespace, 3: punctuation).
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);
let tk;
try {
  tk = require('tokenizers');
} catch (e) {
  if (e.code !== 'MODULE_NOT_FOUND') throw e;
  process.stdout.write('unavailable\n');
  process.exit(0);
}

const only = (option) => tk.bertNormalizer({
  cleanText: option === 'clean', handleChineseChars: option === 'chinese', stripAccents: option === 'strip', lowercase: option === 'lower',
});
const normalizers = ['clean', 'chinese', 'strip', 'lower'].map(only);
const pre = tk.bertPreTokenizer();
const hex = (s) => [...s].map((c) => c.codePointAt(0).toString(16)).join(' ');

const lines = [];
for (let base = 0; base < 0x110000; base += 4096) {
  const chars = [];
  for (let cp = base; cp < base + 4096; cp++) {
    if ((cp >= 0xd800 && cp <= 0xdfff) || cp === 0x7c) continue;
    chars.push(String.fromCodePoint(cp));
  }
  // One call per block: '|' is a starter with no decomposition, case or class of interest, so it keeps characters apart.
  const results = normalizers.map((n) => n.normalizeString(chars.join('|')).split('|'));
  for (const r of results) if (r.length !== chars.length) throw new Error(`block ${base.toString(16)} did not split back`);
  // Pre-tokenise "a<char>a" for the whole block at once, space-separated, and count the pieces starting in each group
  // (offsets are in code points; every group is 4 code points long with its separator).
  const pieces = new Array(chars.length).fill(0);
  for (const [, [start]] of pre.preTokenizeString(chars.map((c) => 'a' + c + 'a').join(' '))) pieces[Math.floor(start / 4)]++;
  for (let i = 0; i < chars.length; i++) {
    lines.push([chars[i].codePointAt(0).toString(16), ...results.map((r) => hex(r[i])), pieces[i]].join(';'));
  }
}
process.stdout.write(lines.join('\n') + '\n');
