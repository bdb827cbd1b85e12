using OnnxTransfer.TestCaches;
using OnnxTransfer.Training.Data;

namespace OnnxTransfer.Training.Tests;

/// <summary>
/// The real hymenoptera cache's train and val splits as the trainer loads them (val with train's classes), read once
/// for every test class that trains on them.
/// </summary>
internal static class HymenopteraSplits
{
    private static readonly Lazy<(EmbeddingSet Train, EmbeddingSet Val)> Data = new(() =>
    {
        var dataset = EmbeddingDataset.Open(HymenopteraCache.Directory);
        var train = dataset.Load("train");
        return (train, dataset.Load("val", train.Classes));
    });

    public static EmbeddingSet Train => Data.Value.Train;

    public static EmbeddingSet Val => Data.Value.Val;
}
