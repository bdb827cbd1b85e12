// Peer for the runtime suite: the same model, batch, input and thread count through onnxruntime-node 1.30.0
// (ONNX Runtime's own Node binding over the same libonnxruntime), hot path with preallocated outputs.
import { createRequire } from 'module';
import path from 'path';
import { fileURLToPath } from 'url';
import { args, measure, result } from './common.mjs';

const require = createRequire(path.join(path.dirname(fileURLToPath(import.meta.url)), '../../node/package.json'));
const ort = require('onnxruntime-node');

const a = args();
const batch = Number(a.batch ?? 1), iterations = Number(a.iterations ?? 200), warmup = Number(a.warmup ?? 20);
const threads = Number(a.threads ?? 0);
const label = a.label ?? path.basename(a.model, '.onnx');

const options = { logSeverityLevel: 3 };
if (threads > 0) options.intraOpNumThreads = threads;
const session = await ort.InferenceSession.create(a.model, options);
const inputName = session.inputNames[0], outputName = session.outputNames[0];
const inputMeta = session.inputMetadata?.[0];
const dims = (inputMeta?.shape ?? [batch, 3, 224, 224]).map((d, i) => (typeof d === 'number' && d > 0 ? d : (i === 0 ? batch : 1)));
const size = dims.reduce((x, y) => x * y, 1);
const data = new Float32Array(size);
let seed = 42; // deterministic, like the C# side (values differ; only timing matters)
for (let i = 0; i < size; i++) { seed = (seed * 1103515245 + 12345) % 2147483648; data[i] = seed / 1073741824 - 1; }
const input = new ort.Tensor('float32', data, dims);

// Preallocate the output like the C# hot path does.
const probe = await session.run({ [inputName]: input });
const out = probe[outputName];
const fetches = { [outputName]: new ort.Tensor('float32', new Float32Array(out.data.length), out.dims) };

const m = await measure(warmup, iterations, () => session.run({ [inputName]: input }, fetches));
const kase = `${label} batch ${batch}`;
result('runtime', kase, 'onnxruntime-node', 'ms per batch (median)', m.median, true);
result('runtime', kase, 'onnxruntime-node', 'ms per batch (p99)', m.p99, true);
