using System.Text.Json;
using OnnxTransfer.TestCaches;
using OnnxTransfer.TestSupport;
using OnnxTransfer.Training.Data;

namespace OnnxTransfer.Training.Tests;

/// <summary>Reading embeddings from a real cache (MobileNetV2 on hymenoptera) and from foreign Parquet written by DuckDB.</summary>
public class EmbeddingDatasetTests
{
    [Test]
    public void OpensTheCacheWithItsSplitsLabelsAndFingerprint()
    {
        var dataset = EmbeddingDataset.Open(HymenopteraCache.Directory);
        var rows = HymenopteraCache.Rows;
        TestContext.Out.WriteLine($"cache built in {HymenopteraCache.BuildSeconds:F1} s: {rows.Count} rows, {HymenopteraCache.Errors.Count} error(s) " +
                                  $"{string.Join(", ", HymenopteraCache.Errors.Select(e => e.Id + ": " + e.Reason))}");
        Assert.Multiple(() =>
        {
            Assert.That(dataset.Dimension, Is.EqualTo(1280));
            Assert.That(dataset.RowCount, Is.EqualTo(rows.Count), "error parts are not data");
            Assert.That(dataset.Parts.Any(p => p.Contains("_errors")), Is.False);
            Assert.That(dataset.Splits, Is.EqualTo(new[] { "train", "val" }));
            Assert.That(dataset.Labels, Is.EqualTo(new[] { "ants", "bees" }));
            Assert.That(dataset.RowsIn("train"), Is.EqualTo(rows.Count(r => r.Split == "train")));
            Assert.That(dataset.RowsIn("val"), Is.EqualTo(153));
            Assert.That(dataset.Fingerprint!.Json, Is.EqualTo(HymenopteraCache.Fingerprint));
            Assert.That(dataset.Fingerprint.Sha256, Is.EqualTo(HymenopteraCache.FingerprintSha256));
            Assert.That(dataset.HasIds, Is.True);
        });
    }

    [Test]
    public void LoadsASplitExactlyAsWritten()
    {
        var dataset = EmbeddingDataset.Open(HymenopteraCache.Directory);
        var expected = HymenopteraCache.Rows.Where(r => r.Split == "val").ToArray();
        var val = dataset.Load("val");
        Assert.That(val.Count, Is.EqualTo(expected.Length));
        Assert.That(val.Ids, Is.EqualTo(expected.Select(r => r.Id)));
        for (int i = 0; i < expected.Length; i++)
        {
            Assert.That(val.LabelOf(i), Is.EqualTo(expected[i].Label));
            Assert.That(val.Row(i).SequenceEqual(expected[i].Embedding), Is.True, $"row {i} ({expected[i].Id})");
        }
        Assert.That(dataset.Load().Count, Is.EqualTo(HymenopteraCache.Rows.Count), "no split: every row");
    }

    [Test]
    public void PlansTrainAndValByDefaultAndRefusesUnknownOrIdenticalSplits()
    {
        var dataset = EmbeddingDataset.Open(HymenopteraCache.Directory);
        var plan = dataset.PlanSplits();
        Assert.That((plan.Train, plan.Evaluation), Is.EqualTo(("train", "val")));
        Assert.That(dataset.PlanSplits(evaluation: "none").Evaluation, Is.Null);

        var unknown = Assert.Throws<TrainingDataException>(() => dataset.PlanSplits(evaluation: "test"))!;
        Assert.That(unknown.Message, Does.Contain("no split named 'test'").And.Contain("'train' (").And.Contain("'val' (153 rows)").And.Contain("--eval-split"));
        var same = Assert.Throws<TrainingDataException>(() => dataset.PlanSplits("val", "val"))!;
        Assert.That(same.Message, Does.Contain("both the training and the evaluation split"));
        Assert.Throws<TrainingDataException>(() => dataset.Load("Train"), "split names are matched exactly");
    }

    [Test]
    public void WithoutASplitColumnEveryRowIsTrainingData()
    {
        using var temp = new TempDirectory();
        HymenopteraCache.WriteParts(temp.Path, HymenopteraCache.Rows, HymenopteraCache.Fingerprint, withSplit: false);
        var dataset = EmbeddingDataset.Open(temp.Path);
        Assert.That(dataset.HasSplits, Is.False);
        var plan = dataset.PlanSplits();
        Assert.That((plan.Train, plan.Evaluation), Is.EqualTo(((string?)null, (string?)null)));
        Assert.That(plan.Notes.Single(), Does.Contain("no splits"));
        var error = Assert.Throws<TrainingDataException>(() => dataset.PlanSplits(train: "train"))!;
        Assert.That(error.Message, Does.Contain("has no splits").And.Contain("cross-validation"));
    }

    [Test]
    public void ErrorPartsAreNotData()
    {
        using var temp = new TempDirectory();
        HymenopteraCache.WriteParts(temp.Path, HymenopteraCache.Rows, HymenopteraCache.Fingerprint);
        // An error part has other columns (reason, message) and no embedding; it must not be read as data.
        var errors = Path.Combine(temp.Path, "_errors");
        Directory.CreateDirectory(errors);
        var schema = new OnnxTransfer.Parquet.ParquetSchema(OnnxTransfer.Parquet.ParquetField.String("id", nullable: false),
            OnnxTransfer.Parquet.ParquetField.String("reason", nullable: false));
        using (var writer = new OnnxTransfer.Parquet.ParquetFileWriter(Path.Combine(errors, "part-00000.parquet"), schema))
        {
            var group = writer.BeginRowGroup(1);
            group.WriteStrings("id", ["train/ants/broken.jpg"]);
            group.WriteStrings("reason", ["truncated"]);
            group.Complete();
            writer.Complete();
        }
        var dataset = EmbeddingDataset.Open(temp.Path);
        Assert.That(dataset.RowCount, Is.EqualTo(HymenopteraCache.Rows.Count));
        Assert.That(dataset.Parts, Has.Count.EqualTo(4).And.None.Contains("_errors"));
    }

    [Test]
    public void PartsWithAnotherFingerprintAreRefusedNamingTheParts()
    {
        using var temp = new TempDirectory();
        var rows = HymenopteraCache.Rows;
        HymenopteraCache.WriteParts(temp.Path, rows.Take(200).ToArray(), HymenopteraCache.Fingerprint);
        var other = HymenopteraCache.Fingerprint.Replace("\"pooling\":\"none\"", "\"pooling\":\"global-average\"");
        HymenopteraCache.WriteParts(temp.Path, rows.Skip(200).ToArray(), other, prefix: "zz-part");
        var error = Assert.Throws<TrainingDataException>(() => EmbeddingDataset.Open(temp.Path))!;
        TestContext.Out.WriteLine(error.Message);
        Assert.That(error.Message, Does.Contain("part-00000.parquet").And.Contain("zz-part-00000.parquet")
            .And.Contain(HymenopteraCache.FingerprintSha256[..12]).And.Contain(HymenopteraCache.Sha256(other)[..12]));

        // A part without any fingerprint among fingerprinted ones cannot be vouched for either.
        using var mixed = new TempDirectory();
        HymenopteraCache.WriteParts(mixed.Path, rows.Take(200).ToArray(), HymenopteraCache.Fingerprint);
        HymenopteraCache.WriteParts(mixed.Path, rows.Skip(200).ToArray(), null, prefix: "zz-part");
        Assert.That(Assert.Throws<TrainingDataException>(() => EmbeddingDataset.Open(mixed.Path))!.Message, Does.Contain("no fingerprint"));
    }

    [Test]
    public void PartsOfAnotherDimensionAreRefused()
    {
        using var temp = new TempDirectory();
        var rows = HymenopteraCache.Rows;
        HymenopteraCache.WriteParts(temp.Path, rows.Take(200).ToArray(), null);
        HymenopteraCache.WriteParts(temp.Path, rows.Skip(200).Select(r => r with { Embedding = r.Embedding[..512] }).ToArray(), null, prefix: "zz-part");
        var error = Assert.Throws<TrainingDataException>(() => EmbeddingDataset.Open(temp.Path))!;
        Assert.That(error.Message, Does.Contain("512-d").And.Contain("1280-d").And.Contain("zz-part-00000.parquet"));
    }

    [Test]
    public void MissingLabelsAreRefused()
    {
        using var noColumn = new TempDirectory();
        HymenopteraCache.WriteParts(noColumn.Path, HymenopteraCache.Rows, null, withLabel: false);
        var error = Assert.Throws<TrainingDataException>(() => EmbeddingDataset.Open(noColumn.Path))!;
        Assert.That(error.Message, Does.Contain("no label column 'label'").And.Contain("--label-column"));

        using var someNull = new TempDirectory();
        var rows = HymenopteraCache.Rows.Select((r, i) => i is 5 or 9 ? r with { Label = null } : r).ToArray();
        HymenopteraCache.WriteParts(someNull.Path, rows, null);
        var dataset = EmbeddingDataset.Open(someNull.Path);
        var missing = Assert.Throws<TrainingDataException>(() => dataset.Load("train"))!;
        Assert.That(missing.Message, Does.Contain("2 row(s) without a label").And.Contain($"id '{rows[5].Id}'"));
        Assert.That(dataset.Load("val").Count, Is.EqualTo(153), "other splits stay usable");
    }

    [Test]
    public void NonFiniteEmbeddingsAreRefusedWithTheRowId()
    {
        using var temp = new TempDirectory();
        var rows = HymenopteraCache.Rows.ToArray();
        int bad = rows.Length - 3;
        var broken = (float[])rows[bad].Embedding.Clone();
        broken[17] = float.NaN;
        rows[bad] = rows[bad] with { Embedding = broken };
        HymenopteraCache.WriteParts(temp.Path, rows, null);
        var error = Assert.Throws<TrainingDataException>(() => EmbeddingDataset.Open(temp.Path).Load("val"))!;
        Assert.That(error.Message, Does.Contain($"id '{rows[bad].Id}'").And.Contain("element 17 is NaN"));
    }

    [Test]
    public void ReadsEmbeddingsDuckDbWroteUnderOtherColumnNames()
    {
        using var temp = new TempDirectory();
        var target = temp.File("duck.parquet");
        var glob = Path.Combine(HymenopteraCache.Directory, "*.parquet");
        NodeOracle.Run("duckdb-query.mjs", [], JsonSerializer.Serialize(new Dictionary<string, object>
        {
            ["statements"] = new[]
            {
                $"COPY (SELECT id AS image, label AS class, split AS fold, embedding AS vec FROM read_parquet('{glob}') ORDER BY id DESC) " +
                $"TO '{target}' (FORMAT PARQUET, ROW_GROUP_SIZE 100)",
            },
        }));
        var columns = new EmbeddingColumns { Embedding = "vec", Label = "class", Split = "fold", Id = "image" };
        var dataset = EmbeddingDataset.Open(target, columns);
        Assert.That(dataset.Fingerprint, Is.Null);
        var val = dataset.Load("val");
        var expected = HymenopteraCache.Rows.Where(r => r.Split == "val").OrderByDescending(r => r.Id, StringComparer.Ordinal).ToArray();
        Assert.That(val.Ids, Is.EqualTo(expected.Select(r => r.Id)));
        for (int i = 0; i < expected.Length; i++) Assert.That(val.Row(i).SequenceEqual(expected[i].Embedding), Is.True);

        var wrongName = Assert.Throws<TrainingDataException>(() => EmbeddingDataset.Open(target))!;
        Assert.That(wrongName.Message, Does.Contain("no embedding column 'embedding'").And.Contain("vec").And.Contain("--embedding-column"));
    }
}
