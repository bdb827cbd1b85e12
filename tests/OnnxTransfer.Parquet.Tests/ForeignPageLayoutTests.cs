using System.Runtime.InteropServices;
using OnnxTransfer.Parquet.Encodings;
using OnnxTransfer.Parquet.Format;
using OnnxTransfer.TestSupport;

namespace OnnxTransfer.Parquet.Tests;

/// <summary>
/// Page layouts other writers produce and no writer available here does, built page by page: pyarrow's and
/// parquet-mr's fallback from dictionary to PLAIN inside one chunk, and v1 list rows that span pages. DuckDB reads the
/// same files as a cross-check.
/// </summary>
public class ForeignPageLayoutTests
{
    [Test]
    public void AChunkThatFallsBackFromDictionaryToPlainReadsInOrder()
    {
        using var temp = new TempDirectory("parquet-fallback");
        var path = temp.File("fallback.parquet");
        var file = new HandBuiltFile();
        file.DictionaryPage(MemoryMarshal.AsBytes<float>([0.5f, 1.5f]), 2);
        var indices = new ByteBuffer();
        indices.WriteByte(1); // index bit width
        var encoder = new RleBitPackedHybridEncoder(indices, 1);
        encoder.Write([0, 1, 1, 0, 1, 1]);
        encoder.Finish();
        file.DataPageV1(null, null, 0, ParquetEncoding.PlainDictionary, indices.WrittenSpan, 6);
        file.DataPageV1(null, null, 0, ParquetEncoding.Plain, MemoryMarshal.AsBytes<float>([7f, 8f, 9f]), 3);
        file.Save(path, [new SchemaElement { Name = "schema", NumChildren = 1 }, new SchemaElement { Name = "f", Type = ParquetPhysicalType.Float, Repetition = ParquetRepetition.Required }],
            ParquetPhysicalType.Float, ["f"], 9);

        float[] expected = [0.5f, 1.5f, 1.5f, 0.5f, 1.5f, 1.5f, 7f, 8f, 9f];
        using var reader = ParquetFileReader.Open(path);
        Assert.That(reader.OpenRowGroup(0).ReadValues<float>("f"), Is.EqualTo(expected));
        var duck = DuckDb.Query($"SELECT f FROM read_parquet({DuckDb.Literal(path)})");
        Assert.That(duck.Rows.Select(r => (float)r.GetProperty("f").GetDouble()), Is.EqualTo(expected));
    }

    [Test]
    public void ListRowsSpanningV1PagesReadByBothPaths()
    {
        // optional group emb (LIST) { repeated group list { required float element } }: max definition 2, repetition 1.
        // Rows [1,2,3] [4,5,6] [7,8,9]; page 1 ends inside row 1, page 2 holds the rest.
        using var temp = new TempDirectory("parquet-span");
        var path = temp.File("span.parquet");
        var file = new HandBuiltFile();
        file.DataPageV1([0, 1, 1, 0], [2, 2, 2, 2], 2, ParquetEncoding.Plain, MemoryMarshal.AsBytes<float>([1, 2, 3, 4]), 4);
        file.DataPageV1([1, 1, 0, 1, 1], [2, 2, 2, 2, 2], 2, ParquetEncoding.Plain, MemoryMarshal.AsBytes<float>([5, 6, 7, 8, 9]), 5);
        file.Save(path,
            [
                new SchemaElement { Name = "schema", NumChildren = 1 },
                new SchemaElement { Name = "emb", Repetition = ParquetRepetition.Optional, NumChildren = 1, ConvertedType = ParquetConvertedType.List, LogicalType = ParquetLogicalType.List },
                new SchemaElement { Name = "list", Repetition = ParquetRepetition.Repeated, NumChildren = 1 },
                new SchemaElement { Name = "element", Type = ParquetPhysicalType.Float, Repetition = ParquetRepetition.Required },
            ],
            ParquetPhysicalType.Float, ["emb", "list", "element"], 3);

        using var reader = ParquetFileReader.Open(path);
        var group = reader.OpenRowGroup(0);
        var column = group.ReadColumn("emb");
        Assert.That(column.Offsets, Is.EqualTo(new[] { 0, 3, 6, 9 }));
        Assert.That(column.GetValues<float>(), Is.EqualTo(new float[] { 1, 2, 3, 4, 5, 6, 7, 8, 9 }));
        Assert.That(group.ReadFixedSizeList<float>("emb", out var length), Is.EqualTo(new float[] { 1, 2, 3, 4, 5, 6, 7, 8, 9 }));
        Assert.That(length, Is.EqualTo(3));
        var duck = DuckDb.Query($"SELECT emb FROM read_parquet({DuckDb.Literal(path)})");
        Assert.That(TestFiles.DuckCells(duck, ["emb"])["emb"], Is.EqualTo(new[] { "[1,2,3]", "[4,5,6]", "[7,8,9]" }));
    }
}
