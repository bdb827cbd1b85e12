// Peer for the text suite's tokenizer benchmark: tokens/s of Hugging Face's tokenizers on the same corpus and tokenizer
// as OnnxTransfer's BertTokenizer (suite "tokenize"), one thread, warm, the median pass timed.
//   --impl js    @huggingface/tokenizers 0.2.0, the pure JavaScript port: encode() per sentence (synchronous)
//   --impl rust  tokenizers 0.23 (the Rust library's Node binding): encodeBatch() over the whole corpus, one call per
//                pass (a per-sentence await would measure promises, not tokenisation); run it with
//                RAYON_NUM_THREADS=1 TOKENIZERS_PARALLELISM=false so it stays on one thread, as run.sh does
// Tokens are counted as OnnxTransfer counts them: ids per encoding, [CLS]/[SEP] included, no truncation or padding.
import fs from 'fs';
import path from 'path';
import { createRequire } from 'module';
import { fileURLToPath, pathToFileURL } from 'url';
import { args, measure, result } from './common.mjs';

const require = createRequire(path.join(path.dirname(fileURLToPath(import.meta.url)), '../../node/package.json'));
const a = args();
const impl = a.impl ?? 'js';
const iterations = Number(a.iterations ?? 5), warmup = Number(a.warmup ?? 2);
const labelPrefix = (a['label-prefix'] ?? '1') !== '0';
const label = a.label ?? path.basename(a.corpus, path.extname(a.corpus));
const sentences = fs.readFileSync(a.corpus, 'utf8').split('\n').filter(l => l.length > 0)
  .map(l => { const space = l.indexOf(' '); return labelPrefix && space > 0 ? l.slice(space + 1) : l; });
const readJson = p => JSON.parse(fs.readFileSync(path.join(a.tokenizer, p), 'utf8'));

let pass, count;
if (impl === 'js') {
  const module = await import(pathToFileURL(require.resolve('@huggingface/tokenizers')).href);
  const Tokenizer = module.Tokenizer ?? module.default?.Tokenizer;
  const tokenizer = new Tokenizer(readJson('tokenizer.json'), readJson('tokenizer_config.json'));
  pass = () => { for (const s of sentences) tokenizer.encode(s); };
  count = () => sentences.reduce((n, s) => n + tokenizer.encode(s).ids.length, 0);
} else if (impl === 'rust') {
  const { Tokenizer } = require('tokenizers');
  const tokenizer = Tokenizer.fromFile(path.join(a.tokenizer, 'tokenizer.json'));
  tokenizer.disablePadding();
  tokenizer.disableTruncation();
  pass = () => tokenizer.encodeBatch(sentences);
  count = async () => (await tokenizer.encodeBatch(sentences)).reduce((n, e) => n + e.getIds().length, 0);
} else {
  console.error(`unknown --impl ${impl} (js or rust)`);
  process.exit(1);
}

const tokens = await count();
const m = await measure(warmup, iterations, pass);
const name = impl === 'js' ? '@huggingface/tokenizers (JS)' : 'tokenizers (Rust, Node binding)';
result('text', `${label} (${sentences.length} sentences, ${tokens} tokens)`, name, 'tokens/s', tokens / (m.median / 1000), false,
  { 'ms per pass (median)': m.median.toFixed(1) });
