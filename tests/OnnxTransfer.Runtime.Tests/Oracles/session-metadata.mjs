// Prints a model's input and output metadata as onnxruntime-node (another ONNX Runtime binding) reports it.
// Run with the working directory tools/node, where the npm oracles are installed.
import { createRequire } from 'node:module';
import path from 'node:path';

const require = createRequire(path.join(process.cwd(), 'oracle.cjs'));
const ort = require('onnxruntime-node');
const session = await ort.InferenceSession.create(process.argv[2], { logSeverityLevel: 3 });
console.log(JSON.stringify({ inputs: session.inputMetadata, outputs: session.outputMetadata }));
