// Runs a fused model with onnxruntime-node (ONNX Runtime from another language binding) on one float32 .npy input and
// prints {outputs: {name: {dims, data}}} as JSON (int64 outputs as numbers).
// Usage (from tools/node, where the oracle packages are installed): node run_fused.mjs MODEL.onnx INPUT.npy
import { createRequire } from 'node:module';
import { readFileSync } from 'node:fs';
import path from 'node:path';

const require = createRequire(path.join(process.cwd(), 'package.json'));
const ort = require('onnxruntime-node');

function readNpyFloat32(file) {
  const bytes = readFileSync(file);
  if (bytes.toString('latin1', 1, 6) !== 'NUMPY') throw new Error(`${file} is not a .npy file`);
  const major = bytes[6];
  const headerLength = major === 1 ? bytes.readUInt16LE(8) : bytes.readUInt32LE(8);
  const start = major === 1 ? 10 : 12;
  const header = bytes.toString('latin1', start, start + headerLength);
  if (!header.includes("'<f4'")) throw new Error(`${file} is not little-endian float32: ${header}`);
  const shape = header.match(/'shape': \(([^)]*)\)/)[1].split(',').map(s => s.trim()).filter(s => s.length > 0).map(Number);
  const offset = start + headerLength;
  return { shape, data: new Float32Array(bytes.buffer.slice(bytes.byteOffset + offset, bytes.byteOffset + bytes.length)) };
}

const [model, inputFile] = process.argv.slice(2);
const input = readNpyFloat32(inputFile);
const session = await ort.InferenceSession.create(model, { graphOptimizationLevel: 'all', intraOpNumThreads: 1 });
const results = await session.run({ [session.inputNames[0]]: new ort.Tensor('float32', input.data, input.shape) });
const outputs = {};
for (const name of session.outputNames) {
  outputs[name] = { dims: Array.from(results[name].dims), data: Array.from(results[name].data, v => Number(v)) };
}
process.stdout.write(JSON.stringify({ inputNames: session.inputNames, outputNames: session.outputNames, outputs }));
