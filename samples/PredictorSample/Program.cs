// Classify images with a fused model from many threads at once:
//   dotnet run --project samples/PredictorSample -- fused.onnx photo1.jpg photo2.jpg ...
using OnnxTransfer.Inference.Prediction;

if (args.Length < 2) { Console.Error.WriteLine("usage: PredictorSample FUSED.onnx IMAGE..."); return 1; }

using var predictor = Predictor.FromFusedModel(args[0], new PredictorOptions { TopK = 3 });
predictor.WarmUp();                                          // the first request pays no start-up cost

Parallel.ForEach(args[1..], path =>                          // one predictor, shared by every thread
{
    var p = predictor.Predict(path);
    var top = string.Join(", ", p.TopK.Select(t => $"{t.Label} {t.Probability:P1}"));
    Console.WriteLine($"{path}: {p.Label} ({top})");
});
return 0;
