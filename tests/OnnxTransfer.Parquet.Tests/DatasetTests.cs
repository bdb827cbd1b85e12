using OnnxTransfer.TestSupport;

namespace OnnxTransfer.Parquet.Tests;

/// <summary>A directory of part files read as one dataset, the way the embedding cache and scorer write them.</summary>
public class DatasetTests
{
    private static readonly ParquetSchema CacheSchema = new(
        ParquetField.String("id", nullable: false),
        ParquetField.String("source"),
        ParquetField.String("label"),
        ParquetField.String("split"),
        ParquetField.List("embedding", ParquetField.Float("element", nullable: false)));

    private const int Dim = 5;

    private static float[] WritePart(string path, int firstId, int rows, int rowsPerGroup)
    {
        var embeddings = new SampleData(firstId).Embeddings(rows, Dim);
        using var writer = new ParquetFileWriter(path, CacheSchema, keyValueMetadata: [new("onnxtransfer.fingerprint", "{\"sha256\":\"abc\"}")]);
        for (var start = 0; start < rows; start += rowsPerGroup)
        {
            var count = Math.Min(rowsPerGroup, rows - start);
            var group = writer.BeginRowGroup(count);
            group.WriteStrings("id", Enumerable.Range(firstId + start, count).Select(i => $"img-{i:D4}").ToArray());
            group.WriteStrings("source", Enumerable.Range(firstId + start, count).Select(i => $"/data/{i}.jpg").ToArray());
            group.WriteStrings("label", Enumerable.Range(firstId + start, count).Select(i => i % 7 == 0 ? null : i % 2 == 0 ? "ants" : "bees").ToArray());
            group.WriteStrings("split", Enumerable.Range(firstId + start, count).Select(i => i % 5 == 0 ? "val" : "train").ToArray());
            group.WriteFixedSizeList<float>("embedding", embeddings.AsSpan(start * Dim, count * Dim), Dim);
            group.Complete();
        }
        writer.Complete();
        return embeddings;
    }

    [Test]
    public void PartsReadInOrderSkippingHiddenAndMarkerFiles()
    {
        using var temp = new TempDirectory("parquet-dataset");
        var first = WritePart(temp.File("part-00000.parquet"), 0, 25, 10);
        var second = WritePart(temp.File("part-00001.parquet"), 25, 7, 1024);
        File.WriteAllText(temp.File("_SUCCESS"), "");
        File.WriteAllText(temp.File(".part-00002.parquet.1234.tmp"), "half a file");
        Directory.CreateDirectory(temp.File("_temporary"));
        File.WriteAllText(temp.File("_temporary/part-9.parquet"), "not a part");

        var dataset = ParquetDataset.Open(temp.Path);
        Assert.That(dataset.Files.Select(Path.GetFileName), Is.EqualTo(new[] { "part-00000.parquet", "part-00001.parquet" }));
        Assert.That(dataset.RowCount, Is.EqualTo(32));

        var ids = new List<string?>();
        var embeddings = new List<float>();
        var buffer = new float[1024 * Dim];
        foreach (var group in dataset.RowGroups())
        {
            ids.AddRange(group.ReadStrings("id"));
            group.ReadFixedSizeList<float>("embedding", Dim, buffer); // one reused buffer: bounded memory
            embeddings.AddRange(buffer.AsSpan(0, group.RowCount * Dim).ToArray());
        }
        Assert.That(ids, Is.EqualTo(Enumerable.Range(0, 32).Select(i => $"img-{i:D4}")));
        Assert.That(embeddings, Is.EqualTo(first.Concat(second)));

        // DuckDB sees the same dataset through a glob.
        var duck = DuckDb.Query($"SELECT count(*) AS n, min(id) AS lo, max(id) AS hi FROM read_parquet({DuckDb.Literal(Path.Combine(temp.Path, "*.parquet"))})");
        Assert.That(duck.Rows[0].GetProperty("n").GetString(), Is.EqualTo("32"));
        Assert.That(duck.Rows[0].GetProperty("hi").GetString(), Is.EqualTo("img-0031"));
    }

    [Test]
    public void APartWithAnotherSchemaIsRefusedNamingIt()
    {
        using var temp = new TempDirectory("parquet-dataset-mismatch");
        WritePart(temp.File("part-0.parquet"), 0, 3, 10);
        using (var writer = new ParquetFileWriter(temp.File("part-1.parquet"), new ParquetSchema(ParquetField.String("id", nullable: false))))
        {
            writer.Write([ParquetColumnData.Create(ParquetField.String("id", nullable: false), new[] { "x" })]);
            writer.Complete();
        }
        var error = Assert.Throws<ParquetFormatException>(() => ParquetDataset.Open(temp.Path));
        Assert.That(error!.FilePath, Does.EndWith("part-1.parquet"));
        Assert.That(error.Message, Does.Contain("part-0.parquet").And.Contain("share one schema"));
    }

    [Test]
    public void AnEmptyDirectoryOrMissingPathSaysSo()
    {
        using var temp = new TempDirectory("parquet-dataset-empty");
        File.WriteAllText(temp.File("_SUCCESS"), "");
        Assert.That(Assert.Throws<FileNotFoundException>(() => ParquetDataset.Open(temp.Path))!.Message, Does.Contain("no .parquet part files"));
        Assert.Throws<FileNotFoundException>(() => ParquetDataset.Open(temp.File("missing")));
    }
}
