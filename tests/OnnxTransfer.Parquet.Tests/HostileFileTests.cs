using System.Buffers.Binary;
using System.IO.Compression;
using OnnxTransfer.Parquet.Encodings;
using OnnxTransfer.Parquet.Format;
using OnnxTransfer.Parquet.Thrift;
using OnnxTransfer.TestSupport;

namespace OnnxTransfer.Parquet.Tests;

/// <summary>Specific corrupt or hostile files, each refused with a message that names the place and the problem.</summary>
public class HostileFileTests
{
    private TempDirectory _temp = null!;
    private string _valid = null!;

    [SetUp]
    public void WriteValidFile()
    {
        _temp = new TempDirectory("parquet-hostile");
        _valid = _temp.File("valid.parquet");
        var schema = new ParquetSchema(ParquetField.String("id", nullable: false), ParquetField.List("emb", ParquetField.Float("element", nullable: false)));
        using var writer = new ParquetFileWriter(_valid, schema, new ParquetWriterOptions { WritePageChecksums = true });
        var group = writer.BeginRowGroup(4);
        group.WriteStrings("id", ["a", "b", "c", "d"]);
        group.WriteFixedSizeList<float>("emb", new float[] { 1, 2, 3, 4, 5, 6, 7, 8 }, 2);
        group.Complete();
        writer.Complete();
    }

    [TearDown]
    public void Cleanup() => _temp.Dispose();

    private string Variant(Func<byte[], byte[]> change)
    {
        var path = _temp.File($"bad-{Guid.NewGuid():N}.parquet");
        File.WriteAllBytes(path, change(File.ReadAllBytes(_valid)));
        return path;
    }

    private static ParquetFormatException ReadAll(string path)
    {
        return Assert.Throws<ParquetFormatException>(() =>
        {
            using var reader = ParquetFileReader.Open(path);
            foreach (var group in reader.RowGroups())
                foreach (var field in reader.Schema.Fields) group.ReadColumn(field.Name);
        })!;
    }

    [Test]
    public void NotParquetTruncatedAndForgedFooterLengthsAreRefusedOnOpen()
    {
        var text = _temp.File("text.parquet");
        File.WriteAllText(text, "id,label\n1,ants\n");
        Assert.That(ReadAll(text).Message, Does.Contain("magic 'PAR1'").And.Contain("text.parquet"));
        Assert.That(ReadAll(Variant(b => b[..^20])).Message, Does.Contain("magic"));
        Assert.That(ReadAll(Variant(b => b[..6])).Message, Does.Contain("too short"));
        var forged = ReadAll(Variant(b => { BinaryPrimitives.WriteInt32LittleEndian(b.AsSpan(b.Length - 8), int.MaxValue); return b; }));
        Assert.That(forged.Message, Does.Contain("footer length 2147483647 does not fit"));
        Assert.That(forged.RowGroup, Is.Null);
    }

    [Test]
    public void ACorruptedPageFailsItsChecksum()
    {
        var (_, meta) = Footer(File.ReadAllBytes(_valid));
        var chunk = meta.RowGroups[0].Columns[1].MetaData!;
        var bad = Variant(b => { b[chunk.DataPageOffset + chunk.TotalCompressedSize - 3] ^= 0x10; return b; });
        var error = ReadAll(bad);
        Assert.That(error.Message, Does.Contain("CRC-32"));
        Assert.That((error.RowGroup, error.Column), Is.EqualTo(((int?)0, "emb.list.element")));
        // Without verification the damage is only in the values, which then differ: the checksum is what catches it.
        using var reader = ParquetFileReader.Open(bad, new ParquetReaderOptions { VerifyPageChecksums = false });
        Assert.That(reader.OpenRowGroup(0).ReadFixedSizeList<float>("emb", out _), Is.Not.EqualTo(new float[] { 1, 2, 3, 4, 5, 6, 7, 8 }));
    }

    [Test]
    public void ForgedCountsAndSizesAreRefusedBeforeAllocating()
    {
        var huge = ReadAll(Variant(b => EditFooter(b, m => m.RowGroups[0].Columns[1].MetaData!.NumValues = 1L << 40)));
        Assert.That(huge.Message, Does.Contain("above the reader's limit").And.Contain("MaxBufferBytes"));

        var rows = ReadAll(Variant(b => EditFooter(b, m => { m.NumRows = 5; m.RowGroups[0].NumRows = 5; })));
        Assert.That(rows.Message, Does.Contain("values for 5 rows"));

        var offset = ReadAll(Variant(b => EditFooter(b, m => m.RowGroups[0].Columns[0].MetaData!.DataPageOffset = 1L << 50)));
        Assert.That(offset.Message, Does.Contain("outside the file's data"));

        var sizes = ReadAll(Variant(b => EditFooter(b, m => m.RowGroups[0].Columns[0].MetaData!.TotalCompressedSize = 1L << 40)));
        Assert.That(sizes.Message, Does.Contain("not inside the file's data"));
    }

    [Test]
    public void APageDeclaringAnImpossibleExpansionIsRefused()
    {
        // A SNAPPY page header claiming 900 MB from a few bytes: refused from the header, nothing allocated for it.
        var path = _temp.File("bomb.parquet");
        var schema = new ParquetSchema(ParquetField.Int32("i", nullable: false));
        using (var writer = new ParquetFileWriter(path, schema))
        {
            writer.Write([ParquetColumnData.Create((ParquetPrimitiveField)schema["i"], new[] { 1, 2, 3 })]);
            writer.Complete();
        }
        var bytes = File.ReadAllBytes(path);
        var (footerStart, meta) = Footer(bytes);
        var chunk = meta.RowGroups[0].Columns[0].MetaData!;
        var reader = new CompactProtocolReader(bytes.AsSpan((int)chunk.DataPageOffset));
        var header = PageHeader.Read(ref reader);
        header.UncompressedPageSize = 900_000_000;
        var writerBytes = new CompactProtocolWriter();
        header.Write(writerBytes);
        // A larger size never encodes shorter; the splice below relies on it.
        Assert.That(writerBytes.Length, Is.GreaterThanOrEqualTo(reader.Position));
        var delta = writerBytes.Length - reader.Position;
        chunk.TotalCompressedSize += delta;
        var data = bytes[..(int)chunk.DataPageOffset].Concat(writerBytes.Written.ToArray()).Concat(bytes[((int)chunk.DataPageOffset + reader.Position)..footerStart]).ToArray();
        File.WriteAllBytes(path, WithFooter(data, meta));
        var allocated = GC.GetAllocatedBytesForCurrentThread();
        var error = ReadAll(path);
        Assert.That(error.Message, Does.Contain("900000000"));
        Assert.That(GC.GetAllocatedBytesForCurrentThread() - allocated, Is.LessThan(16 << 20));
    }

    [Test]
    public void Crc32MatchesTheStandardCheckValueAndGzip()
    {
        Assert.That(Crc32.Compute("123456789"u8), Is.EqualTo(0xCBF43926u));
        var data = new byte[100_003];
        new Random(3).NextBytes(data);
        using var buffer = new MemoryStream();
        using (var gzip = new GZipStream(buffer, CompressionLevel.Fastest, leaveOpen: true)) gzip.Write(data);
        var trailer = buffer.ToArray()[^8..];
        Assert.That(Crc32.Compute(data), Is.EqualTo(BinaryPrimitives.ReadUInt32LittleEndian(trailer)));
    }

    private static (int FooterStart, FileMetaData Metadata) Footer(byte[] bytes)
    {
        var length = BinaryPrimitives.ReadInt32LittleEndian(bytes.AsSpan(bytes.Length - 8));
        var start = bytes.Length - 8 - length;
        return (start, FileMetaData.Read(bytes.AsSpan(start, length)));
    }

    private static byte[] EditFooter(byte[] bytes, Action<FileMetaData> edit)
    {
        var (start, metadata) = Footer(bytes);
        edit(metadata);
        return WithFooter(bytes[..start], metadata);
    }

    private static byte[] WithFooter(byte[] data, FileMetaData metadata)
    {
        var writer = new CompactProtocolWriter();
        metadata.Write(writer);
        var tail = new byte[8];
        BinaryPrimitives.WriteInt32LittleEndian(tail, writer.Length);
        "PAR1"u8.CopyTo(tail.AsSpan(4));
        return [.. data, .. writer.Written.ToArray(), .. tail];
    }
}
