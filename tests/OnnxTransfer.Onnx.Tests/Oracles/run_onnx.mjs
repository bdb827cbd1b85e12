// Runs ONNX models with onnxruntime-node (the reference ONNX Runtime from another language binding) and prints, as JSON,
// each model's input and output names and the outputs computed for one .npy input.
// Usage (from tools/node, where the oracle packages are installed):
//   node run_onnx.mjs INPUT.npy|- MODEL.onnx [MODEL.onnx ...]
// With "-" the models are only loaded (names reported), not run.
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
  if (header.includes("'fortran_order': True")) throw new Error(`${file} is in Fortran order`);
  const shape = header.match(/'shape': \(([^)]*)\)/)[1].split(',').map(s => s.trim()).filter(s => s.length > 0).map(Number);
  const offset = start + headerLength;
  const data = new Float32Array(bytes.buffer.slice(bytes.byteOffset + offset, bytes.byteOffset + bytes.length));
  return { shape, data };
}

const [inputFile, ...models] = process.argv.slice(2);
const input = inputFile === '-' ? null : readNpyFloat32(inputFile);
const report = [];
for (const model of models) {
  const session = await ort.InferenceSession.create(model, { graphOptimizationLevel: 'all', intraOpNumThreads: 1 });
  const entry = { model, inputNames: session.inputNames, outputNames: session.outputNames, outputs: {} };
  if (input) {
    const feeds = { [session.inputNames[0]]: new ort.Tensor('float32', input.data, input.shape) };
    const results = await session.run(feeds);
    for (const name of session.outputNames) {
      entry.outputs[name] = { dims: Array.from(results[name].dims), data: Array.from(results[name].data) };
    }
  }
  report.push(entry);
}
process.stdout.write(JSON.stringify(report));
