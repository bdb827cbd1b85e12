using System.Runtime.InteropServices;
using System.Text.Json;
using OnnxTransfer.Training.Evaluation;
using OnnxTransfer.Training.Data;

namespace OnnxTransfer.Training.Heads;

/// <summary>
/// Saves and loads a <see cref="Head"/> as JSON (format <c>onnxtransfer-head</c>, version 1): labels, preprocessing,
/// layers and the training account, with float arrays as base64 of little-endian float32 so they round-trip bit for
/// bit. The deployable form is the ONNX export; this file is the trainer's own (warm starts, evaluation, reports).
/// </summary>
public static class HeadFile
{
    public const string Format = "onnxtransfer-head";
    public const int Version = 1;

    public static void Save(Head head, string path)
    {
        ArgumentNullException.ThrowIfNull(head);
        var temporary = path + ".tmp-" + Environment.ProcessId;
        using (var stream = File.Create(temporary)) Write(head, stream);
        File.Move(temporary, path, overwrite: true);
    }

    /// <exception cref="FormatException">Not a head file, another version, or a damaged field (named in the message).</exception>
    public static Head Load(string path)
    {
        using var stream = File.OpenRead(path);
        try
        {
            return Read(stream);
        }
        catch (FormatException e)
        {
            throw new FormatException($"{path}: {e.Message}", e);
        }
    }

    public static void Write(Head head, Stream stream)
    {
        using var json = new Utf8JsonWriter(stream, new JsonWriterOptions { Indented = true });
        json.WriteStartObject();
        json.WriteString("format", Format);
        json.WriteNumber("version", Version);
        json.WriteString("kind", head.Kind);
        json.WriteStartArray("labels");
        foreach (var label in head.Labels) json.WriteStringValue(label);
        json.WriteEndArray();
        json.WriteStartObject("preprocessing");
        json.WriteBoolean("l2_normalize", head.Preprocessing.L2Normalize);
        WriteFloats(json, "mean", head.Preprocessing.Mean);
        WriteFloats(json, "scale", head.Preprocessing.Scale);
        json.WriteEndObject();
        json.WriteString("weights_layout", "row-major [outputs, inputs]");
        json.WriteStartArray("layers");
        foreach (var layer in head.Layers)
        {
            json.WriteStartObject();
            json.WriteNumber("inputs", layer.InputCount);
            json.WriteNumber("outputs", layer.OutputCount);
            json.WriteString("activation", layer.Activation.ToString().ToLowerInvariant());
            WriteFloats(json, "weights", layer.Weights);
            WriteFloats(json, "bias", layer.Bias);
            json.WriteEndObject();
        }
        json.WriteEndArray();
        if (head.Vote is { } vote) WriteVote(json, vote);
        if (head.Training is { } training) WriteTraining(json, training);
        else json.WriteNull("training");
        json.WriteEndObject();
    }

    public static Head Read(Stream stream)
    {
        JsonDocument document;
        try
        {
            document = JsonDocument.Parse(stream, new JsonDocumentOptions { MaxDepth = 16 });
        }
        catch (JsonException e)
        {
            throw new FormatException($"not valid JSON ({e.Message})", e);
        }
        using (document)
        {
            try
            {
                return ReadHead(document.RootElement);
            }
            catch (Exception e) when (e is ArgumentException or InvalidOperationException or IndexOutOfRangeException)
            {
                // Wrong JSON kinds (GetInt32 on a string…) and inconsistent shapes (a layer that does not chain…).
                throw new FormatException($"damaged head file: {e.Message}", e);
            }
        }
    }

    private static Head ReadHead(JsonElement root)
    {
        {
            if (root.ValueKind != JsonValueKind.Object || String(root, "format") != Format)
                throw new FormatException($"not an {Format} file (the 'format' field must be '{Format}')");
            int version = Int(root, "version");
            if (version != Version) throw new FormatException($"{Format} version {version} is not supported (this build reads version {Version})");

            var labels = Array(root, "labels").EnumerateArray().Select(e => e.GetString() ?? throw new FormatException("a label is null")).ToArray();
            var pre = Object(root, "preprocessing");
            var preprocessing = new FeaturePreprocessing(Bool(pre, "l2_normalize"), Floats(pre, "mean"), Floats(pre, "scale"));
            var layers = new List<DenseLayer>();
            foreach (var element in Array(root, "layers").EnumerateArray())
            {
                var activation = String(element, "activation") switch
                {
                    "identity" => Activation.Identity,
                    "relu" => Activation.Relu,
                    "gelu" => Activation.Gelu,
                    var other => throw new FormatException($"unknown activation '{other}'"),
                };
                layers.Add(new DenseLayer(Int(element, "inputs"), Int(element, "outputs"),
                    Floats(element, "weights") ?? throw new FormatException("a layer has no weights"),
                    Floats(element, "bias") ?? throw new FormatException("a layer has no bias"), activation));
            }
            HeadTrainingInfo? training = root.TryGetProperty("training", out var t) && t.ValueKind == JsonValueKind.Object ? ReadTraining(t) : null;
            var vote = root.TryGetProperty("vote", out var v) && v.ValueKind == JsonValueKind.Object ? ReadVote(v, labels.Length) : null;
            return new Head(String(root, "kind"), labels, preprocessing, layers, training, vote);
        }
    }

    /// <summary>
    /// A k-NN head's vote: <c>"vote": {"k", "scale", "weighting": "softmax-cosine", "row_labels": [class index per stored
    /// row]}</c> — the k most similar stored rows vote with weights softmax(scale·cosine) normalised over the k.
    /// </summary>
    private static void WriteVote(Utf8JsonWriter json, NeighbourVote vote)
    {
        json.WriteStartObject("vote");
        json.WriteNumber("k", vote.K);
        json.WriteNumber("scale", vote.Scale);
        json.WriteString("weighting", VoteWeighting);
        json.WriteStartArray("row_labels");
        foreach (int label in vote.RowLabels) json.WriteNumberValue(label);
        json.WriteEndArray();
        json.WriteEndObject();
    }

    private const string VoteWeighting = "softmax-cosine";

    private static NeighbourVote ReadVote(JsonElement vote, int classes)
    {
        if (String(vote, "weighting") != VoteWeighting) throw new FormatException($"unknown neighbour weighting '{String(vote, "weighting")}'");
        var rowLabels = Array(vote, "row_labels").EnumerateArray().Select(e => e.GetInt32()).ToArray();
        return new NeighbourVote(Int(vote, "k"), Double(vote, "scale"), rowLabels, classes);
    }

    internal static void WriteTraining(Utf8JsonWriter json, HeadTrainingInfo training)
    {
        json.WriteStartObject("training");
        json.WriteStartArray("settings");
        foreach (var (name, value) in training.Settings)
        {
            json.WriteStartArray();
            json.WriteStringValue(name);
            json.WriteStringValue(value);
            json.WriteEndArray();
        }
        json.WriteEndArray();
        json.WriteNumber("training_rows", training.TrainingRows);
        json.WriteStartArray("training_rows_per_class");
        foreach (var count in training.TrainingRowsPerClass) json.WriteNumberValue(count);
        json.WriteEndArray();
        json.WriteNumber("seconds", training.Seconds);
        if (training.Optimization is { } o)
        {
            json.WriteStartObject("optimization");
            json.WriteNumber("iterations", o.Iterations);
            json.WriteNumber("function_evaluations", o.FunctionEvaluations);
            MetricsJson.Number(json, "objective", o.Objective);
            MetricsJson.Number(json, "gradient_max_norm", o.GradientMaxNorm);
            MetricsJson.Number(json, "tolerance", o.Tolerance);
            json.WriteBoolean("converged", o.Converged);
            json.WriteString("stop_reason", o.StopReason);
            json.WriteEndObject();
        }
        if (training.History is { } h)
        {
            json.WriteStartObject("history");
            json.WriteNumber("best_epoch", h.BestEpoch);
            json.WriteBoolean("stopped_early", h.StoppedEarly);
            json.WriteNumber("validation_rows", h.ValidationRows);
            json.WriteStartArray("epochs");
            foreach (var e in h.Epochs)
            {
                json.WriteStartArray();
                json.WriteNumberValue(e.Epoch);
                MetricsJson.NumberValue(json, e.TrainLoss);
                MetricsJson.NumberValue(json, e.ValidationLoss);
                MetricsJson.NumberValue(json, e.ValidationAccuracy);
                MetricsJson.NumberValue(json, e.LearningRate);
                json.WriteEndArray();
            }
            json.WriteEndArray();
            json.WriteEndObject();
        }
        if (training.Calibration is { } c)
        {
            json.WriteStartObject("calibration");
            c.WriteFields(json);
            json.WriteEndObject();
        }
        json.WriteEndObject();
    }

    internal static HeadTrainingInfo ReadTraining(JsonElement t)
    {
        var settings = Array(t, "settings").EnumerateArray()
            .Select(pair => new KeyValuePair<string, string>(pair[0].GetString() ?? "", pair[1].GetString() ?? "")).ToArray();
        OptimizationReport? optimization = null;
        if (t.TryGetProperty("optimization", out var o))
        {
            optimization = new OptimizationReport
            {
                Iterations = Int(o, "iterations"),
                FunctionEvaluations = Int(o, "function_evaluations"),
                Objective = Double(o, "objective"),
                GradientMaxNorm = Double(o, "gradient_max_norm"),
                Tolerance = Double(o, "tolerance"),
                Converged = Bool(o, "converged"),
                StopReason = String(o, "stop_reason"),
            };
        }
        MlpTrainingHistory? history = null;
        if (t.TryGetProperty("history", out var h))
        {
            history = new MlpTrainingHistory
            {
                BestEpoch = Int(h, "best_epoch"),
                StoppedEarly = Bool(h, "stopped_early"),
                ValidationRows = Int(h, "validation_rows"),
                Epochs = Array(h, "epochs").EnumerateArray()
                    .Select(e => new EpochRecord(e[0].GetInt32(), DoubleValue(e[1]), DoubleValue(e[2]), DoubleValue(e[3]), DoubleValue(e[4]))).ToArray(),
            };
        }
        Calibration.CalibrationReport? calibration = null;
        if (t.TryGetProperty("calibration", out var c))
        {
            calibration = new Calibration.CalibrationReport
            {
                Method = Enum.Parse<Calibration.CalibrationMethod>(String(c, "method"), ignoreCase: true),
                Temperature = Double(c, "temperature"),
                HeldOut = String(c, "held_out"),
                HeldOutRows = Int(c, "held_out_rows"),
                EceBefore = Double(c, "ece_before"),
                EceAfter = Double(c, "ece_after"),
                LogLossBefore = Double(c, "log_loss_before"),
                LogLossAfter = Double(c, "log_loss_after"),
            };
        }
        return new HeadTrainingInfo
        {
            Calibration = calibration,
            Settings = settings,
            TrainingRows = Int(t, "training_rows"),
            TrainingRowsPerClass = Array(t, "training_rows_per_class").EnumerateArray().Select(e => e.GetInt32()).ToArray(),
            Seconds = Double(t, "seconds"),
            Optimization = optimization,
            History = history,
        };
    }

    private static void WriteFloats(Utf8JsonWriter json, string name, float[]? values)
    {
        if (values is null)
        {
            json.WriteNull(name);
            return;
        }
        var bytes = MemoryMarshal.AsBytes(values.AsSpan()).ToArray();
        if (!BitConverter.IsLittleEndian)
            for (int i = 0; i < bytes.Length; i += 4) System.Array.Reverse(bytes, i, 4);
        json.WriteBase64String(name, bytes);
    }

    private static float[]? Floats(JsonElement element, string name)
    {
        if (!element.TryGetProperty(name, out var value)) throw new FormatException($"field '{name}' is missing");
        if (value.ValueKind == JsonValueKind.Null) return null;
        if (!value.TryGetBytesFromBase64(out var bytes) || bytes.Length % 4 != 0)
            throw new FormatException($"field '{name}' is not base64 of float32 values");
        if (!BitConverter.IsLittleEndian)
            for (int i = 0; i < bytes.Length; i += 4) System.Array.Reverse(bytes, i, 4);
        return MemoryMarshal.Cast<byte, float>(bytes).ToArray();
    }

    // Non-finite doubles (e.g. no validation loss) are written as null (MetricsJson) and read back as NaN.
    private static double DoubleValue(JsonElement e) => e.ValueKind == JsonValueKind.Null ? double.NaN : e.GetDouble();

    private static double Double(JsonElement e, string name) => DoubleValue(Property(e, name));

    private static JsonElement Property(JsonElement e, string name) =>
        e.TryGetProperty(name, out var value) ? value : throw new FormatException($"field '{name}' is missing");

    private static string String(JsonElement e, string name) =>
        Property(e, name) is { ValueKind: JsonValueKind.String } s ? s.GetString()! : throw new FormatException($"field '{name}' must be a string");

    private static int Int(JsonElement e, string name) =>
        Property(e, name) is { ValueKind: JsonValueKind.Number } n && n.TryGetInt32(out var v) ? v : throw new FormatException($"field '{name}' must be an integer");

    private static bool Bool(JsonElement e, string name) => Property(e, name).ValueKind switch
    {
        JsonValueKind.True => true,
        JsonValueKind.False => false,
        _ => throw new FormatException($"field '{name}' must be true or false"),
    };

    private static JsonElement Array(JsonElement e, string name) =>
        Property(e, name) is { ValueKind: JsonValueKind.Array } a ? a : throw new FormatException($"field '{name}' must be an array");

    private static JsonElement Object(JsonElement e, string name) =>
        Property(e, name) is { ValueKind: JsonValueKind.Object } o ? o : throw new FormatException($"field '{name}' must be an object");
}
