using OnnxTransfer.TestSupport;

namespace OnnxTransfer.Parquet.Tests;

/// <summary>Atomic writing, and input the writer refuses up front (leaving it usable).</summary>
public class WriterTests
{
    private static readonly ParquetSchema Schema = new(ParquetField.String("id", nullable: false), ParquetField.FixedLengthBinary("hash", 4));

    [Test]
    public void TheFinalNameAppearsOnlyOnCompleteAndAnAbandonedFileLeavesNothing()
    {
        using var temp = new TempDirectory("parquet-atomic");
        var path = temp.File("part-0.parquet");
        using (var writer = new ParquetFileWriter(path, Schema))
        {
            var group = writer.BeginRowGroup(1);
            group.WriteStrings("id", ["a"]);
            group.WriteBinary("hash", [[1, 2, 3, 4]]);
            group.Complete();
            Assert.That(File.Exists(path), Is.False);
            var pending = Directory.GetFiles(temp.Path).Single();
            Assert.That(Path.GetFileName(pending), Does.StartWith(".part-0.parquet.").And.EndWith(".tmp"));
            // A dataset reader never mistakes the pending file for a part.
            Assert.Throws<FileNotFoundException>(() => ParquetDataset.Open(temp.Path));
        }
        Assert.That(Directory.GetFiles(temp.Path), Is.Empty, "disposing without Complete removes the temporary file");

        File.WriteAllText(path, "an older version");
        using (var writer = new ParquetFileWriter(path, Schema))
        {
            writer.Write([ParquetColumnData.Create((ParquetPrimitiveField)Schema["id"], new[] { "b" }),
                          ParquetColumnData.Create((ParquetPrimitiveField)Schema["hash"], new byte[]?[] { null })]);
            Assert.That(File.ReadAllText(path), Is.EqualTo("an older version"));
            writer.Complete();
        }
        Assert.That(Directory.GetFiles(temp.Path).Select(Path.GetFileName), Is.EqualTo(new[] { "part-0.parquet" }));
        using var reader = ParquetFileReader.Open(path);
        Assert.That(reader.OpenRowGroup(0).ReadStrings("id"), Is.EqualTo(new[] { "b" }));
    }

    [Test]
    public void BadColumnsAreRefusedBeforeWritingAndTheWriterStaysUsable()
    {
        using var temp = new TempDirectory("parquet-refuse");
        var path = temp.File("refuse.parquet");
        using var writer = new ParquetFileWriter(path, Schema);
        var group = writer.BeginRowGroup(2);
        Assert.That(Assert.Throws<ArgumentException>(() => group.WriteStrings("id", ["a", null]))!.Message,
            Does.Contain("'id' is not nullable but row 1 is null"));
        Assert.That(Assert.Throws<ArgumentException>(() => group.WriteStrings("id", ["a"]))!.Message, Does.Contain("1 values for 2 rows"));
        Assert.That(Assert.Throws<ArgumentException>(() => group.WriteBinary("hash", [[1, 2, 3], null]))!.Message, Does.Contain("4-byte values"));
        Assert.That(Assert.Throws<ArgumentException>(() => group.WriteValues<int>("hash", [1, 2]))!.Message, Does.Contain("cannot be written from Int32"));
        Assert.That(Assert.Throws<ArgumentException>(() => group.WriteFixedSizeList<float>("id", new float[4], 2))!.Message, Does.Contain("not a list"));
        Assert.Throws<KeyNotFoundException>(() => group.WriteStrings("nope", ["a", "b"]));
        group.WriteStrings("id", ["a", "b"]);
        Assert.That(Assert.Throws<InvalidOperationException>(() => group.Complete())!.Message, Does.Contain("missing columns: hash"));
        group.WriteBinary("hash", [[1, 2, 3, 4], null]);
        group.Complete();
        writer.Complete();
        using var reader = ParquetFileReader.Open(path);
        Assert.That(reader.OpenRowGroup(0).ReadStrings("id"), Is.EqualTo(new[] { "a", "b" }));
    }

    [Test]
    public void AnEmptyTableIsAFileWithNoRowGroupsThatDuckDbReads()
    {
        using var temp = new TempDirectory("parquet-empty");
        var path = temp.File("empty.parquet");
        using (var writer = new ParquetFileWriter(path, Schema))
        {
            writer.Write([ParquetColumnData.Create((ParquetPrimitiveField)Schema["id"], Array.Empty<string>()),
                          ParquetColumnData.Create((ParquetPrimitiveField)Schema["hash"], Array.Empty<byte[]>())]);
            writer.Complete();
        }
        using (var reader = ParquetFileReader.Open(path))
        {
            Assert.That(reader.RowGroupCount, Is.Zero);
            Assert.That(reader.RowCount, Is.Zero);
        }
        var duck = DuckDb.Query($"SELECT count(*) AS n FROM read_parquet({DuckDb.Literal(path)})");
        Assert.That(duck.Rows[0].GetProperty("n").GetString(), Is.EqualTo("0"));
    }
}
