using OnnxTransfer.Formats;
using OnnxTransfer.Onnx;

namespace OnnxTransfer.Inference.Heads;

/// <summary>
/// A head ONNX file (docs/formats.md, "Head") as inference uses it: read and checked by <see cref="HeadOnnxFile"/>, and
/// refused when its cache fingerprint was edited. Runs on any ONNX Runtime; the composer appends it to a backbone, the
/// chained predictor runs it as its own session.
/// </summary>
public sealed class HeadModel
{
    private readonly HeadOnnxFile _file;

    private HeadModel(HeadOnnxFile file) => _file = file;

    /// <summary>The head graph (callers that edit it should <see cref="OnnxModel.Clone"/> it first).</summary>
    public OnnxModel Model => _file.Model;

    /// <summary>Where the head came from (file path, or a description).</summary>
    public string Source => _file.Source;

    /// <summary>sha256 of the head's serialised bytes: identifies the head in a fused model and in score manifests.</summary>
    public string Sha256 => _file.Sha256;

    /// <summary>The features input (normally <c>features</c>).</summary>
    public string InputName => _file.InputName;

    public int InputDimension => _file.InputDimension;

    /// <summary>Class labels; output column i is label i.</summary>
    public IReadOnlyList<string> Labels => _file.Labels;

    public int ClassCount => Labels.Count;

    /// <summary>The head's <c>ood_score</c> output and threshold; null when it was trained without --ood.</summary>
    public Prediction.OodOutput? Ood => Prediction.OodOutput.Read(Model.GetMetadata, Model.Outputs.Any(o => o.Name == ModelLayout.OodScoreOutput), Source);

    /// <summary>The fingerprint of the cache the head was trained on; null when the head does not carry it (then only the dimension is checked).</summary>
    public BackboneFingerprint? CacheFingerprint => _file.CacheFingerprint;

    /// <summary>The cache fingerprint's sha256 as written in the head (present even when the JSON is not).</summary>
    public string? CacheFingerprintSha256 => _file.CacheFingerprintSha256;

    /// <inheritdoc cref="HeadOnnxFile.CacheNumerics"/>
    public IReadOnlyList<EmbeddingNumerics> CacheNumerics => _file.CacheNumerics;

    /// <summary>Reads and checks a head file.</summary>
    /// <exception cref="HeadFormatException">The file is not a head in the documented format.</exception>
    public static HeadModel Load(string path) => Checked(() => HeadOnnxFile.Load(path));

    /// <summary>Checks a head held in memory (e.g. just exported); <paramref name="sha256"/> defaults to that of its bytes.</summary>
    public static HeadModel FromModel(OnnxModel model, string source = "head", string? sha256 = null) =>
        Checked(() => HeadOnnxFile.Read(model, source, sha256));

    private static HeadModel Checked(Func<HeadOnnxFile> read)
    {
        HeadOnnxFile file;
        try { file = read(); }
        catch (FormatException e) { throw new HeadFormatException(e.Message, e); }
        if (file.CacheFingerprintEdited)
            throw new HeadFormatException($"Head '{file.Source}': {MetadataKeys.CacheFingerprintSha256} ({file.CacheFingerprintSha256}) is not the sha256 of " +
                                          $"{MetadataKeys.CacheFingerprint} ({file.CacheFingerprint!.Sha256}); the head's metadata was edited. Export it again.");
        return new HeadModel(file);
    }
}
