// Reference encodings for the BERT tokenizer tests (OnnxTransfer.Text.Tests).
//
//   node tools/node/tokenizers-encode.mjs TOKENIZER_DIR < requests.jsonl > answers.jsonl
//
// Each request line is {"text": "...", "pair": "..." (optional), "max_length": N (optional),
// "strategy": "LongestFirst" | "OnlyFirst" | "OnlySecond" (optional), "direction": "Right" | "Left" (optional)}. The first answer line names the oracles found:
// {"oracles": {"js": "<version>", "rs": "<version>" | null}}; then one line per request:
// {"js": {ids, type_ids, tokens} | null, "rs": {ids, type_ids, attention_mask, tokens, offsets} | {"error"} | null}.
//
// Two oracles, because neither is complete:
//   js  @huggingface/tokenizers (pure JavaScript port) — has no truncation and no offsets, so it answers only requests
//       without max_length, with ids, type ids and tokens.
//   rs  tokenizers (the Rust library itself, as Node bindings) — everything, offsets in code points. Optional: loaded
//       with require('tokenizers') from tools/node/node_modules or NODE_PATH; "rs" is null when it is not installed.
import fs from 'node:fs';
import path from 'node:path';
import { createRequire } from 'node:module';
import { Tokenizer as JsTokenizer } from '@huggingface/tokenizers';

const dir = process.argv[2];
if (!dir) { console.error('usage: tokenizers-encode.mjs TOKENIZER_DIR < requests.jsonl'); process.exit(2); }
const tokenizerJson = path.join(dir, 'tokenizer.json');
const readJson = (p) => JSON.parse(fs.readFileSync(p, 'utf8'));
const require = createRequire(import.meta.url);

const js = new JsTokenizer(readJson(tokenizerJson), readJson(path.join(dir, 'tokenizer_config.json')));
// Versions come from the package.json beside each entry point (neither package exports its package.json).
const versionOf = (entry, levelsUp) => {
  let folder = path.dirname(entry);
  for (let i = 0; i < levelsUp; i++) folder = path.dirname(folder);
  return readJson(path.join(folder, 'package.json')).version;
};
const jsVersion = versionOf(require.resolve('@huggingface/tokenizers'), 1);

let rs = null;
let rsVersion = null;
try {
  const binding = require('tokenizers');
  rs = binding.Tokenizer.fromFile(tokenizerJson);
  rs.disablePadding();
  rs.disableTruncation();
  rsVersion = versionOf(require.resolve('tokenizers'), 0);
} catch (e) {
  if (e.code !== 'MODULE_NOT_FOUND') throw e;
}

const requests = fs.readFileSync(0, 'utf8').split('\n').filter((line) => line.length > 0).map((line) => JSON.parse(line));
const out = [JSON.stringify({ oracles: { js: jsVersion, rs: rsVersion } })];

let truncation = null; // the Rust tokenizer's current setting, as "max/strategy"
for (const request of requests) {
  const pair = request.pair ?? null;
  let jsAnswer = null;
  if (request.max_length == null) {
    const e = js.encode(request.text, { text_pair: pair, return_token_type_ids: true });
    jsAnswer = { ids: e.ids, type_ids: e.token_type_ids, tokens: e.tokens };
  }

  let rsAnswer = null;
  if (rs) {
    const strategy = request.strategy ?? 'LongestFirst';
    const direction = request.direction ?? 'Right';
    const wanted = request.max_length == null ? null : `${request.max_length}/${strategy}/${direction}`;
    if (wanted !== truncation) {
      if (wanted === null) rs.disableTruncation();
      else rs.setTruncation(request.max_length, { strategy, direction: direction.toLowerCase() });
      truncation = wanted;
    }
    try {
      const e = await rs.encode(request.text, pair);
      rsAnswer = {
        ids: e.getIds(), type_ids: e.getTypeIds(), attention_mask: e.getAttentionMask(),
        tokens: e.getTokens(), offsets: e.getOffsets(),
      };
    } catch (error) {
      rsAnswer = { error: String(error.message ?? error) };
    }
  }
  out.push(JSON.stringify({ js: jsAnswer, rs: rsAnswer }));
}
process.stdout.write(out.join('\n') + '\n');
