using OnnxTransfer.TestSupport;

namespace OnnxTransfer.Parquet.Tests;

public class SmokeTests
{
    [Test]
    public void EmbeddingFileRoundTripsAndDuckDbReadsIt()
    {
        using var temp = new TempDirectory();
        var path = temp.File("part-0.parquet");
        var schema = new ParquetSchema(
            ParquetField.String("id", nullable: false),
            ParquetField.String("label"),
            ParquetField.List("embedding", ParquetField.Float("element", nullable: false)));
        const int rows = 10, dim = 4;
        var ids = Enumerable.Range(0, rows).Select(i => $"img-{i}").ToArray();
        var labels = Enumerable.Range(0, rows).Select(i => i % 3 == 0 ? null : (i % 2 == 0 ? "ants" : "bees")).ToArray();
        var embedding = Enumerable.Range(0, rows * dim).Select(i => i * 0.1f - 1f).ToArray();
        using (var writer = new ParquetFileWriter(path, schema, keyValueMetadata: [new("fingerprint", "{\"a\":1}")]))
        {
            var group = writer.BeginRowGroup(rows);
            group.WriteStrings("id", ids);
            group.WriteStrings("label", labels);
            group.WriteFixedSizeList<float>("embedding", embedding, dim);
            group.Complete();
            writer.Complete();
        }
        using (var reader = ParquetFileReader.Open(path))
        {
            var group = reader.OpenRowGroup(0);
            Assert.That(group.ReadStrings("id"), Is.EqualTo(ids));
            Assert.That(group.ReadStrings("label"), Is.EqualTo(labels));
            var back = new float[rows * dim];
            group.ReadFixedSizeList<float>("embedding", dim, back);
            Assert.That(back, Is.EqualTo(embedding));
            Assert.That(reader.GetMetadata("fingerprint"), Is.EqualTo("{\"a\":1}"));
        }
        var result = DuckDb.Query($"select id, label, embedding::FLOAT[4] e from read_parquet({DuckDb.Literal(path)}) order by id");
        Assert.That(result.Rows, Has.Count.EqualTo(rows));
        TestContext.Out.WriteLine(string.Join("\n", result.Rows.Select(r => r.ToString())));
    }
}
