using System.Buffers.Binary;
using OnnxTransfer.Parquet.Format;
using OnnxTransfer.Parquet.Thrift;
using OnnxTransfer.TestSupport;

namespace OnnxTransfer.Parquet.Tests;

/// <summary>
/// The legacy list forms other writers produce (LogicalTypes.md backward-compatibility rules). No available writer
/// makes them, so each is made by rewriting the footer of a standard 3-level file whose levels are the same.
/// </summary>
public class LegacyListTests
{
    private const int Rows = 40;

    public static readonly object[] Forms =
    [
        // optional group a (LIST) { repeated int32 array; }
        new object[] { "two-level", true, new[] { "array" } },
        // optional group a (LIST) { repeated group array { required int32 item; } }
        new object[] { "array-struct", true, new[] { "array", "item" } },
        // optional group a (LIST) { repeated group a_tuple { required int32 item; } }
        new object[] { "tuple-struct", true, new[] { "a_tuple", "item" } },
        // repeated int32 a;  (a bare repeated field: a required list of required elements)
        new object[] { "bare-repeated", false, Array.Empty<string>() },
    ];

    [TestCaseSource(nameof(Forms))]
    public void LegacyFormsReadAsListsWithTheSameValues(string form, bool nullableList, string[] innerNames)
    {
        using var temp = new TempDirectory("parquet-legacy");
        var path = temp.File($"{form}.parquet");
        var field = ParquetField.List("a", ParquetField.Int32("element", nullable: false), nullableList);
        var data = new SampleData(7).Column(field, Rows, nullRate: 0.25);
        using (var writer = new ParquetFileWriter(path, new ParquetSchema(field)))
        {
            writer.Write([data]);
            writer.Complete();
        }
        var expected = Enumerable.Range(0, Rows).Select(r => Canonical.Ours(data, r)).ToList();

        RewriteFooter(path, metadata =>
        {
            var listNode = metadata.Schema[1];
            var leaf = metadata.Schema[3];
            if (innerNames.Length == 0)
            {
                leaf.Name = "a";
                leaf.Repetition = ParquetRepetition.Repeated;
                metadata.Schema = [metadata.Schema[0], leaf];
            }
            else if (innerNames.Length == 1)
            {
                leaf.Name = innerNames[0];
                leaf.Repetition = ParquetRepetition.Repeated;
                metadata.Schema = [metadata.Schema[0], listNode, leaf];
            }
            else
            {
                metadata.Schema[2].Name = innerNames[0];
                leaf.Name = innerNames[1];
            }
            var path = new List<string> { "a" };
            path.AddRange(innerNames);
            foreach (var group in metadata.RowGroups) group.Columns[0].MetaData!.PathInSchema = path;
        });

        using var reader = ParquetFileReader.Open(path);
        var list = (ParquetListField)reader.Schema["a"];
        Assert.That(list.IsNullable, Is.EqualTo(nullableList));
        Assert.That(list.Element.IsNullable, Is.False);
        Assert.That(TestFiles.OurCells(path)["a"], Is.EqualTo(expected));

        // DuckDB reads the same forms; it must see the same lists.
        var duck = DuckDb.Query($"SELECT a FROM read_parquet({DuckDb.Literal(path)}, file_row_number = true) ORDER BY file_row_number");
        Assert.That(TestFiles.DuckCells(duck, ["a"])["a"], Is.EqualTo(expected));
    }

    /// <summary>
    /// INT96 (legacy Impala/Spark timestamps) reads as raw 12-byte values. A 12-byte FIXED_LEN_BYTE_ARRAY column has the
    /// same PLAIN bytes, so relabelling one in the footer makes an INT96 column.
    /// </summary>
    [Test]
    public void Int96ColumnsReadAsTwelveByteValues()
    {
        using var temp = new TempDirectory("parquet-int96");
        var path = temp.File("int96.parquet");
        var field = ParquetField.FixedLengthBinary("ts", 12);
        var data = new SampleData(12).Column(field, 25, nullRate: 0.2);
        using (var writer = new ParquetFileWriter(path, new ParquetSchema(field), new ParquetWriterOptions { DictionaryEncodeStrings = false, WriteStatistics = false }))
        {
            writer.Write([data]);
            writer.Complete();
        }
        RewriteFooter(path, metadata =>
        {
            metadata.Schema[1].Type = ParquetPhysicalType.Int96;
            metadata.Schema[1].TypeLength = null;
            foreach (var group in metadata.RowGroups) group.Columns[0].MetaData!.Type = ParquetPhysicalType.Int96;
        });
        using var reader = ParquetFileReader.Open(path);
        Assert.That(((ParquetPrimitiveField)reader.Schema["ts"]).PhysicalType, Is.EqualTo(ParquetPhysicalType.Int96));
        Assert.That(TestFiles.OurCells(path)["ts"], Is.EqualTo(Enumerable.Range(0, 25).Select(r => Canonical.Ours(data, r))));
        Assert.That(reader.Describe().ToText(), Does.Contain("optional int96 ts;"));
    }

    /// <summary>Replaces a file's footer with an edited copy (the data pages stay where they are).</summary>
    internal static void RewriteFooter(string path, Action<FileMetaData> edit)
    {
        var bytes = File.ReadAllBytes(path);
        var footerLength = BinaryPrimitives.ReadInt32LittleEndian(bytes.AsSpan(bytes.Length - 8));
        var footerStart = bytes.Length - 8 - footerLength;
        var metadata = FileMetaData.Read(bytes.AsSpan(footerStart, footerLength));
        edit(metadata);
        var writer = new CompactProtocolWriter();
        metadata.Write(writer);
        using var output = File.Create(path);
        output.Write(bytes, 0, footerStart);
        output.Write(writer.Written);
        Span<byte> tail = stackalloc byte[8];
        BinaryPrimitives.WriteInt32LittleEndian(tail, writer.Length);
        "PAR1"u8.CopyTo(tail[4..]);
        output.Write(tail);
    }
}
