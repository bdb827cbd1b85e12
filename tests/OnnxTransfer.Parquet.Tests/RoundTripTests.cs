using OnnxTransfer.TestSupport;

namespace OnnxTransfer.Parquet.Tests;

/// <summary>Our writer and reader agree on every type, null pattern, encoding, page version and codec.</summary>
public class RoundTripTests
{
    private static readonly ParquetCompressionCodec[] Codecs =
        [ParquetCompressionCodec.Uncompressed, ParquetCompressionCodec.Snappy, ParquetCompressionCodec.Gzip, ParquetCompressionCodec.Zstd];

    /// <summary>Property-based: random schemas, data, null rates and writer options (fixed seeds) read back equal.</summary>
    [Test]
    public void RandomSchemasAndDataReadBackEqual([Range(0, 119)] int seed)
    {
        var random = new Random(seed);
        var data = new SampleData(seed);
        var fieldCount = random.Next(1, 7);
        var schema = new ParquetSchema(Enumerable.Range(0, fieldCount).Select(i => data.RandomField($"c{i}")));
        var rows = random.Next(4) == 0 ? random.Next(3) : random.Next(1, 400);
        var nullRate = new[] { 0.0, 0.05, 0.5, 1.0 }[random.Next(4)];
        var columns = schema.Fields.Select(f => data.Column(f, rows, nullRate, maxListLength: random.Next(1, 12))).ToArray();
        var options = new ParquetWriterOptions
        {
            Compression = Codecs[random.Next(Codecs.Length)],
            DataPageVersion = random.Next(2) == 0 ? ParquetDataPageVersion.V1 : ParquetDataPageVersion.V2,
            ByteStreamSplitFloatingPoint = random.Next(2) == 0,
            DictionaryEncodeStrings = random.Next(3) != 0,
            DictionaryPageSizeLimit = random.Next(2) == 0 ? 64 : 1 << 20,
            PageSizeBytes = new[] { 1, 64, 1000, 1 << 20 }[random.Next(4)],
            RowGroupSize = new[] { 1, 7, 100, 100_000 }[random.Next(4)],
            WriteStatistics = random.Next(4) != 0,
        };
        using var temp = new TempDirectory("parquet-roundtrip");
        var path = temp.File("random.parquet");
        using (var writer = new ParquetFileWriter(path, schema, options))
        {
            writer.Write(columns);
            writer.Complete();
        }
        var what = $"seed {seed}: {string.Join("; ", schema.Fields)} rows {rows} nulls {nullRate} {options.Compression} {options.DataPageVersion} " +
                   $"bss {options.ByteStreamSplitFloatingPoint} dict {options.DictionaryEncodeStrings}/{options.DictionaryPageSizeLimit} page {options.PageSizeBytes} group {options.RowGroupSize}";
        var expected = columns.ToDictionary(c => c.Field.Name, c => Enumerable.Range(0, rows).Select(r => Canonical.Ours(c, r)).ToList());
        TestFiles.AssertSameCells(expected, TestFiles.OurCells(path), what);
        using var reader = ParquetFileReader.Open(path);
        Assert.That(reader.Schema.IsEquivalentTo(schema), what);
        Assert.That(reader.RowCount, Is.EqualTo(rows));
    }

    [Test]
    public void EveryCodecAndPageVersionRoundTripsFixedSizeEmbeddingsThroughTheFastPath(
        [ValueSource(nameof(Codecs))] ParquetCompressionCodec codec,
        [Values] ParquetDataPageVersion pages,
        [Values] bool byteStreamSplit,
        [Values] bool nullableElements)
    {
        using var temp = new TempDirectory("parquet-embeddings");
        var path = temp.File("embeddings.parquet");
        const int rows = 1000, dim = 37; // odd width: the vectorised BYTE_STREAM_SPLIT runs 16 values at a time
        var embeddings = new SampleData(dim).Embeddings(rows, dim);
        var schema = new ParquetSchema(ParquetField.List("embedding", ParquetField.Float("element", nullableElements)));
        var options = new ParquetWriterOptions { Compression = codec, DataPageVersion = pages, ByteStreamSplitFloatingPoint = byteStreamSplit, PageSizeBytes = 40_000 };
        using (var writer = new ParquetFileWriter(path, schema, options))
        {
            for (var start = 0; start < rows; start += 300)
            {
                var count = Math.Min(300, rows - start);
                var group = writer.BeginRowGroup(count);
                group.WriteFixedSizeList<float>("embedding", embeddings.AsSpan(start * dim, count * dim), dim);
                group.Complete();
            }
            writer.Complete();
        }
        using var reader = ParquetFileReader.Open(path);
        var back = new float[rows * dim];
        var offset = 0;
        foreach (var group in reader.RowGroups())
        {
            group.ReadFixedSizeList<float>("embedding", dim, back.AsSpan(offset, group.RowCount * dim));
            offset += group.RowCount * dim;
        }
        Assert.That(back, Is.EqualTo(embeddings));
        Assert.That(reader.Describe().RowGroups[0].Columns[0].Encodings,
            Does.Contain(byteStreamSplit ? ParquetEncoding.ByteStreamSplit : ParquetEncoding.Plain));
    }

    /// <summary>
    /// Uncompressed pages larger than the reader's 1 MiB window (as DuckDB writes them) are read by the fast path
    /// straight from the file into the destination; every value encoding and page version must still come back exact.
    /// </summary>
    [Test]
    public void PagesLargerThanTheReadWindowReadStraightIntoTheDestination([Values] ParquetDataPageVersion pages, [Values] bool byteStreamSplit,
        [Values] bool nullableElements)
    {
        using var temp = new TempDirectory("parquet-big-pages");
        var path = temp.File("big-pages.parquet");
        const int rows = 2500, dim = 640; // 6.4 MB of floats in pages of about 3 MB
        var embeddings = new SampleData(rows).Embeddings(rows, dim);
        var schema = new ParquetSchema(ParquetField.Int32("n", nullable: false), ParquetField.List("embedding", ParquetField.Float("element", nullableElements)));
        var options = new ParquetWriterOptions
        {
            Compression = ParquetCompressionCodec.Uncompressed, DataPageVersion = pages, ByteStreamSplitFloatingPoint = byteStreamSplit,
            PageSizeBytes = 3 << 20, RowGroupSize = rows,
        };
        using (var writer = new ParquetFileWriter(path, schema, options))
        {
            var group = writer.BeginRowGroup(rows);
            group.WriteValues<int>("n", Enumerable.Range(0, rows).ToArray());
            group.WriteFixedSizeList<float>("embedding", embeddings, dim);
            group.Complete();
            writer.Complete();
        }
        using var reader = ParquetFileReader.Open(path);
        var rowGroup = reader.OpenRowGroup(0);
        var fast = new float[rows * dim];
        rowGroup.ReadFixedSizeList<float>("embedding", dim, fast);
        Assert.That(fast.AsSpan().SequenceEqual(embeddings), "fast path");
        Assert.That(rowGroup.ReadColumn("embedding").GetValues<float>().AsSpan().SequenceEqual(embeddings), "general path");
        Assert.That(rowGroup.ReadValues<int>("n"), Is.EqualTo(Enumerable.Range(0, rows)));
    }

    /// <summary>
    /// Short rows give bit-packed repetition levels (no run reaches 8), which the fast path scans 64 at a time; it must
    /// still find the one row of another length, wherever it falls in a 64-level word.
    /// </summary>
    [Test]
    public void TheFastPathFindsAWrongLengthRowInBitPackedLevels([Values(0, 1, 21, 22, 500, 999)] int oddRow)
    {
        using var temp = new TempDirectory("parquet-bitpacked-levels");
        const int rows = 1000, length = 3;
        var field = ParquetField.List("v", ParquetField.Int64("element", nullable: false));
        var offsets = new int[rows + 1];
        var shortRow = (oddRow + 500) % rows; // keeps the total at rows × length, so only the levels can tell
        for (var r = 0; r < rows; r++) offsets[r + 1] = offsets[r] + (r == oddRow ? length + 1 : r == shortRow ? length - 1 : length);
        var values = Enumerable.Range(0, offsets[rows]).Select(i => (long)i * 31).ToArray();
        var path = temp.File("odd.parquet");
        using (var writer = new ParquetFileWriter(path, new ParquetSchema(field)))
        {
            writer.Write([ParquetColumnData.CreateList(field, values, offsets)]);
            writer.Complete();
        }
        using var reader = ParquetFileReader.Open(path);
        var group = reader.OpenRowGroup(0);
        Assert.That(group.ReadColumn("v").Offsets, Is.EqualTo(offsets));
        var error = Assert.Throws<ParquetFormatException>(() => group.ReadFixedSizeList<long>("v", length, new long[rows * length]));
        Assert.That(error!.Message, Does.Contain($"row {Math.Min(oddRow, shortRow)} of the row group holds"));

        var even = ParquetColumnData.CreateFixedSizeList(field, values[..(rows * length)], length);
        using (var writer = new ParquetFileWriter(path, new ParquetSchema(field)))
        {
            writer.Write([even]);
            writer.Complete();
        }
        using var evenReader = ParquetFileReader.Open(path);
        Assert.That(evenReader.OpenRowGroup(0).ReadFixedSizeList<long>("v", out _), Is.EqualTo(values[..(rows * length)]));
    }

    [Test]
    public void FixedSizeListsOfEveryNumericTypeRoundTrip()
    {
        using var temp = new TempDirectory("parquet-numeric-lists");
        var path = temp.File("lists.parquet");
        var schema = new ParquetSchema(
            ParquetField.List("d", ParquetField.Double("element", nullable: false)),
            ParquetField.List("i", ParquetField.Int32("element", nullable: false)),
            ParquetField.List("l", ParquetField.Int64("element", nullable: false)));
        const int rows = 50, length = 3;
        var doubles = Enumerable.Range(0, rows * length).Select(i => i * Math.PI).ToArray();
        var ints = Enumerable.Range(0, rows * length).Select(i => i * -7).ToArray();
        var longs = Enumerable.Range(0, rows * length).Select(i => i * 1_000_000_000_000L).ToArray();
        using (var writer = new ParquetFileWriter(path, schema, new ParquetWriterOptions { ByteStreamSplitFloatingPoint = true }))
        {
            var group = writer.BeginRowGroup(rows);
            group.WriteFixedSizeList<double>("d", doubles, length);
            group.WriteFixedSizeList<int>("i", ints, length);
            group.WriteFixedSizeList<long>("l", longs, length);
            group.Complete();
            writer.Complete();
        }
        using var reader = ParquetFileReader.Open(path);
        var rowGroup = reader.OpenRowGroup(0);
        Assert.That(rowGroup.ReadFixedSizeList<double>("d", out _), Is.EqualTo(doubles));
        Assert.That(rowGroup.ReadFixedSizeList<int>("i", out _), Is.EqualTo(ints));
        Assert.That(rowGroup.ReadFixedSizeList<long>("l", out var n), Is.EqualTo(longs));
        Assert.That(n, Is.EqualTo(length));
        Assert.Throws<InvalidOperationException>(() => rowGroup.ReadFixedSizeList<float>("d", out _));
    }

    [Test]
    public void SpecialFloatsRoundTripAndStatisticsLeaveNaNOut()
    {
        using var temp = new TempDirectory("parquet-floats");
        var path = temp.File("floats.parquet");
        var schema = new ParquetSchema(ParquetField.Float("f", nullable: false), ParquetField.Double("d", nullable: false));
        float[] floats = [float.NaN, 1.5f, float.NegativeInfinity, -0f, float.PositiveInfinity, float.Epsilon, 0f];
        double[] doubles = [0d, double.NaN, -0d, 2.5, double.MaxValue, -7, double.NaN];
        using (var writer = new ParquetFileWriter(path, schema))
        {
            var group = writer.BeginRowGroup(floats.Length);
            group.WriteValues<float>("f", floats);
            group.WriteValues<double>("d", doubles);
            group.Complete();
            writer.Complete();
        }
        using var reader = ParquetFileReader.Open(path);
        var rowGroup = reader.OpenRowGroup(0);
        Assert.That(rowGroup.ReadValues<float>("f").Select(BitConverter.SingleToInt32Bits), Is.EqualTo(floats.Select(BitConverter.SingleToInt32Bits)));
        Assert.That(rowGroup.ReadValues<double>("d").Select(BitConverter.DoubleToInt64Bits), Is.EqualTo(doubles.Select(BitConverter.DoubleToInt64Bits)));
        var columns = reader.Describe().RowGroups[0].Columns;
        Assert.That((columns[0].Min, columns[0].Max), Is.EqualTo(("-Infinity", "Infinity")));
        Assert.That((columns[1].Min, columns[1].Max), Is.EqualTo(("-7", double.MaxValue.ToString(System.Globalization.CultureInfo.InvariantCulture))));
    }

    [Test]
    public void AllNullAndEmptyShapesRoundTrip()
    {
        using var temp = new TempDirectory("parquet-nulls");
        var path = temp.File("nulls.parquet");
        var strings = ParquetField.String("s");
        var ints = ParquetField.Int32("i");
        var emptyLists = ParquetField.List("empty", ParquetField.Int64("element"), nullable: false);
        var nullLists = ParquetField.List("nulls", ParquetField.String("element"));
        var nullElements = ParquetField.List("null_elements", ParquetField.Double("element"));
        var schema = new ParquetSchema(strings, ints, emptyLists, nullLists, nullElements);
        const int rows = 20;
        ParquetColumnData[] columns =
        [
            ParquetColumnData.Create(strings, new string[rows]),
            ParquetColumnData.Create(ints, new int[rows], Enumerable.Repeat(true, rows).ToArray()),
            ParquetColumnData.CreateList(emptyLists, Array.Empty<long>(), new int[rows + 1]),
            ParquetColumnData.CreateList(nullLists, Array.Empty<string>(), new int[rows + 1], Enumerable.Repeat(true, rows).ToArray()),
            ParquetColumnData.CreateList(nullElements, new double[rows * 2], Enumerable.Range(0, rows + 1).Select(i => i * 2).ToArray(),
                valueIsNull: Enumerable.Repeat(true, rows * 2).ToArray()),
        ];
        foreach (var version in new[] { ParquetDataPageVersion.V1, ParquetDataPageVersion.V2 })
        {
            using (var writer = new ParquetFileWriter(path, schema, new ParquetWriterOptions { DataPageVersion = version }))
            {
                writer.Write(columns);
                writer.Complete();
            }
            var expected = columns.ToDictionary(c => c.Field.Name, c => Enumerable.Range(0, rows).Select(r => Canonical.Ours(c, r)).ToList());
            TestFiles.AssertSameCells(expected, TestFiles.OurCells(path), version.ToString());
            Assert.That(expected["nulls"], Is.All.EqualTo("null"));
            Assert.That(expected["empty"], Is.All.EqualTo("[]"));
            Assert.That(expected["null_elements"], Is.All.EqualTo("[null,null]"));
        }
    }

    [Test]
    public void ManyDistinctStringsFallBackFromDictionaryToPlain()
    {
        using var temp = new TempDirectory("parquet-dictionary");
        var path = temp.File("strings.parquet");
        var schema = new ParquetSchema(ParquetField.String("few"), ParquetField.String("many"));
        const int rows = 2000;
        var few = Enumerable.Range(0, rows).Select(i => $"label-{i % 3}").ToArray();
        var many = Enumerable.Range(0, rows).Select(i => $"{i}-{new string('x', 100)}").ToArray();
        using (var writer = new ParquetFileWriter(path, schema, new ParquetWriterOptions { DictionaryPageSizeLimit = 64 * 1024 }))
        {
            var group = writer.BeginRowGroup(rows);
            group.WriteStrings("few", few);
            group.WriteStrings("many", many);
            group.Complete();
            writer.Complete();
        }
        using var reader = ParquetFileReader.Open(path);
        var chunks = reader.Describe().RowGroups[0].Columns;
        Assert.That(chunks[0].Encodings, Does.Contain(ParquetEncoding.RleDictionary));
        Assert.That(chunks[0].DictionaryPageOffset, Is.Not.Null);
        Assert.That(chunks[1].Encodings, Does.Not.Contain(ParquetEncoding.RleDictionary));
        var group0 = reader.OpenRowGroup(0);
        var fewBack = group0.ReadStrings("few");
        Assert.That(fewBack, Is.EqualTo(few));
        Assert.That(ReferenceEquals(fewBack[0], fewBack[3]), "dictionary entries are shared, not one string per row");
        Assert.That(group0.ReadStrings("many"), Is.EqualTo(many));
    }

    [Test]
    public void ProjectionReadsOnlyTheColumnsAskedFor()
    {
        using var temp = new TempDirectory("parquet-projection");
        var path = temp.File("projection.parquet");
        var schema = new ParquetSchema(ParquetField.Int32("a", nullable: false), ParquetField.Int32("b", nullable: false));
        using (var writer = new ParquetFileWriter(path, schema, new ParquetWriterOptions { Compression = ParquetCompressionCodec.Uncompressed }))
        {
            var group = writer.BeginRowGroup(100);
            group.WriteValues<int>("a", Enumerable.Range(0, 100).ToArray());
            group.WriteValues<int>("b", Enumerable.Range(1000, 100).ToArray());
            group.Complete();
            writer.Complete();
        }
        // Corrupt column b's page bytes: reading a alone must still work, reading b must fail.
        long bStart;
        using (var reader = ParquetFileReader.Open(path)) bStart = reader.Describe().RowGroups[0].Columns[1].DataPageOffset;
        var bytes = File.ReadAllBytes(path);
        bytes[bStart] = 0xFF;
        File.WriteAllBytes(path, bytes);
        using (var reader = ParquetFileReader.Open(path))
        {
            Assert.That(reader.OpenRowGroup(0).ReadValues<int>("a"), Is.EqualTo(Enumerable.Range(0, 100)));
            var error = Assert.Throws<ParquetFormatException>(() => reader.OpenRowGroup(0).ReadValues<int>("b"));
            Assert.That(error!.Column, Is.EqualTo("b"));
            Assert.That(error.RowGroup, Is.EqualTo(0));
        }
    }
}
