using System.Buffers;
using Microsoft.ML.OnnxRuntime;
using OnnxTransfer.Features.Backbones;
using OnnxTransfer.Onnx;
using OnnxTransfer.Runtime;

namespace OnnxTransfer.Features.Models;

/// <summary>
/// Runs any model on NumPy files and writes one output as .npy. The output may be an intermediate tensor (e.g. a
/// backbone's feature tensor): it is exposed as an extra output for this run only.
/// </summary>
public static class NpyModelRun
{
    /// <summary>What was written: the tensor's name, element type and shape, as a line shows them.</summary>
    public sealed record Written(string OutputName, string ElementType, string Shape);

    /// <summary>
    /// Runs <paramref name="modelPath"/> on the .npy files of <paramref name="inputs"/> (a null name: the model's only
    /// input) and writes <paramref name="outputName"/> (null: the first output) to <paramref name="outPath"/>.
    /// Only the device, fallback, threads and warning sink of <paramref name="device"/> apply.
    /// </summary>
    public static Written Run(string modelPath, IReadOnlyList<(string? Name, string File)> inputs, string? outputName, string outPath,
        BackboneRunOptions device, CancellationToken token)
    {
        using var session = OpenSession(modelPath, outputName, new SessionSettings
        {
            IntraOpThreads = device.IntraOpThreads,
            ExecutionProviders = SessionSettings.ProvidersFor(device.Device == DeviceKind.Cuda, device.DeviceId),
            ProviderFallback = device.Strict ? ProviderFallback.Strict : ProviderFallback.FallbackToCpu,
            WarningSink = device.WarningSink,
        });
        outputName ??= session.OutputNames[0];

        var names = new string[inputs.Count];
        var arrays = new NpyArray[inputs.Count];
        for (var i = 0; i < inputs.Count; i++)
        {
            var (name, file) = inputs[i];
            names[i] = name ?? (session.InputNames.Count == 1
                ? session.InputNames[0]
                : throw new OnnxTransferException($"The model has {session.InputNames.Count} inputs ({string.Join(", ", session.InputNames)}); " +
                                                  "name each one: --input NAME=FILE.npy", ErrorCategory.InvalidUsage));
            arrays[i] = NpyFile.Read(file);
        }

        var pins = new MemoryHandle[arrays.Length];
        var values = new OrtValue[arrays.Length];
        try
        {
            for (var i = 0; i < arrays.Length; i++)
            {
                pins[i] = arrays[i].Data.AsMemory().Pin();
                unsafe
                {
                    values[i] = OrtValue.CreateTensorValueWithData(OrtMemoryInfo.DefaultInstance, arrays[i].ElementType, arrays[i].Shape,
                        (nint)pins[i].Pointer, arrays[i].Data.LongLength);
                }
            }
            CheckInputs(session, names, arrays);
            using var result = session.Run(names, values, [outputName], token);
            var info = result[0].GetTensorTypeAndShape();
            NpyFile.Write(outPath, new NpyArray(info.ElementDataType, info.Shape, result[0].GetTensorMutableRawData().ToArray()));
            return new Written(outputName, info.ElementDataType.DisplayName(), TensorValues.Format(info.Shape));
        }
        finally
        {
            foreach (var value in values) value?.Dispose();
            foreach (var pin in pins) pin.Dispose();
        }
    }

    /// <summary>Refuses an unknown input name or an array of the wrong element type before ONNX Runtime sees it.</summary>
    private static void CheckInputs(ModelSession session, string[] names, NpyArray[] arrays)
    {
        for (var i = 0; i < names.Length; i++)
        {
            if (!session.Session.InputMetadata.TryGetValue(names[i], out var declared))
                throw new OnnxTransferException($"The model has no input named '{names[i]}'. Its inputs are: {string.Join(", ", session.InputNames)}.");
            if (declared.IsTensor && declared.ElementDataType != arrays[i].ElementType)
                throw new OnnxTransferException($"Input '{names[i]}' must hold {declared.ElementDataType.DisplayName()} elements but the .npy file holds " +
                                                $"{arrays[i].ElementType.DisplayName()}: save it with that dtype.");
        }
    }

    private static ModelSession OpenSession(string modelPath, string? outputName, SessionSettings options)
    {
        if (outputName is null) return ModelSession.Open(modelPath, options);
        var model = OnnxModel.Load(modelPath);
        if (model.Outputs.Any(o => o.Name == outputName)) return ModelSession.Open(modelPath, options);
        if (model.FindTensor(outputName) is null)
            throw new OnnxTransferException($"'{outputName}' is neither an output nor a tensor of {modelPath}; `onnxtransfer inspect {modelPath}` lists them.");
        model.ExposeOutput(outputName);
        return ModelSession.Open(model.ToBytes(), options);
    }
}
