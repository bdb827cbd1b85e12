using OnnxTransfer.Formats;
using OnnxTransfer.TestSupport;

namespace OnnxTransfer.Features.Tests;

/// <summary>
/// What <c>cache repair</c> may take from a damaged manifest (<see cref="CacheManifestRemains"/>): the fields before the
/// damage, as written; nothing after it; and "part_checksums" only when it is readable (a manifest cut inside it says
/// neither yes nor no).
/// </summary>
public class CacheManifestRemainsTests
{
    private static readonly CacheManifest Written = new()
    {
        Fingerprint = BackboneFingerprint.Parse("{\"dim\":4,\"dtype\":\"float32\",\"features\":{\"tensor\":\"/pool\"},\"model_sha256\":\"ab\"}"),
        BackboneName = "tiny",
        FeatureTensor = "/pool",
        ModelPath = "/models/tiny.onnx",
        CreatedBy = "onnxtransfer 0.1.0",
        CreatedAt = new DateTimeOffset(2026, 12, 5, 1, 2, 3, TimeSpan.Zero),
        PartChecksums = true,
        Numerics = [new EmbeddingNumerics("CPUExecutionProvider", "fp32", false, "onnxruntime 1.32.0")],
    };

    [Test]
    public void AWholeManifestGivesEveryField()
    {
        var remains = Remains(Written.ToJson());
        Assert.That((remains.FingerprintSha256, remains.BackboneName, remains.FeatureTensor, remains.ModelPath, remains.CreatedBy, remains.CreatedAt, remains.PartChecksums),
            Is.EqualTo((Written.Fingerprint.Sha256, "tiny", "/pool", "/models/tiny.onnx", "onnxtransfer 0.1.0", Written.CreatedAt, (bool?)true)));
    }

    [Test]
    public void ACutManifestGivesTheFieldsBeforeTheCutAndNothingAfter()
    {
        var json = Written.ToJson();
        var cut = Remains(json[..(json.IndexOf("\"numerics\"", StringComparison.Ordinal) + 3)]);
        Assert.That((cut.FingerprintSha256, cut.BackboneName, cut.ModelPath), Is.EqualTo((Written.Fingerprint.Sha256, "tiny", "/models/tiny.onnx")));
        Assert.That((cut.CreatedBy, cut.CreatedAt, cut.PartChecksums), Is.EqualTo(((string?)null, (DateTimeOffset?)null, (bool?)null)), "after the cut: unknown");

        var insideChecksums = Remains(json[..(json.IndexOf("\"sha256\"\n}", StringComparison.Ordinal) + 3)]);
        Assert.That(insideChecksums.CreatedAt, Is.EqualTo(Written.CreatedAt));
        Assert.That(insideChecksums.PartChecksums, Is.Null, "cut inside its value: neither yes nor no");

        var without = Written with { PartChecksums = false };
        Assert.That(Remains(without.ToJson()).PartChecksums, Is.False, "a whole manifest without the field: no checksums");
    }

    [Test]
    public void ChangedBytesEndTheReadingThereAndAMissingFileGivesNothing()
    {
        var json = Written.ToJson();
        var at = json.IndexOf("\"created_by\"", StringComparison.Ordinal);
        var damaged = json[..at] + "}{ garbage" + json[at..];
        var remains = Remains(damaged);
        Assert.That(remains.ModelPath, Is.EqualTo("/models/tiny.onnx"));
        Assert.That(remains.CreatedBy, Is.Null);
        Assert.That(CacheManifestRemains.Read("/nonexistent/_manifest.json"), Is.EqualTo(CacheManifestRemains.None));
    }

    private static CacheManifestRemains Remains(string text)
    {
        using var folder = new TempDirectory("manifest-remains");
        var path = folder.File("_manifest.json");
        File.WriteAllText(path, text);
        return CacheManifestRemains.Read(path);
    }
}
