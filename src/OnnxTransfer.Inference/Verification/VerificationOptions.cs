namespace OnnxTransfer.Inference.Verification;

/// <summary>How <see cref="DeploymentVerifier"/> samples the cache and when it passes.</summary>
public sealed record VerificationOptions
{
    /// <summary>Cached inputs to re-embed, spread over splits and labels (all when the cache holds fewer).</summary>
    public int SampleSize { get; init; } = 200;

    /// <summary>The sample's seed: the same seed picks the same inputs.</summary>
    public int Seed { get; init; }

    /// <summary>The lowest cosine similarity between a fresh and a cached embedding that passes.</summary>
    public double MinCosine { get; init; } = 0.999;

    /// <summary>The lowest share of inputs whose top-1 label agrees with the head on the cache that passes (0.999 = 99.9%).</summary>
    public double MinTop1Agreement { get; init; } = 0.999;

    /// <summary>Inputs per inference call (a model with a fixed batch size runs its own).</summary>
    public int BatchSize { get; init; } = 16;

    /// <summary>Refuses impossible settings with the option to fix.</summary>
    public void Validate()
    {
        if (SampleSize < 1) throw new ArgumentOutOfRangeException(nameof(SampleSize), SampleSize, "--sample must be at least 1.");
        if (!(MinCosine is >= -1 and <= 1)) throw new ArgumentOutOfRangeException(nameof(MinCosine), MinCosine, "--min-cosine must be within -1..1 (e.g. 0.999).");
        if (!(MinTop1Agreement is >= 0 and <= 1)) throw new ArgumentOutOfRangeException(nameof(MinTop1Agreement), MinTop1Agreement, "--min-top1 must be within 0..1 (e.g. 0.999 for 99.9%).");
        if (BatchSize < 1) throw new ArgumentOutOfRangeException(nameof(BatchSize), BatchSize, "--batch must be at least 1.");
    }
}
