using OnnxTransfer.TestSupport;

namespace OnnxTransfer.Parquet.Tests;

/// <summary>
/// Files DuckDB writes, with its defaults and with other codecs, page versions and encodings, read by us with exactly
/// the values DuckDB itself reads from them.
/// </summary>
public class DuckDbWrittenFilesTests
{
    private const int Rows = 3000;
    private const int Dim = 16;

    // Columns of every kind and null pattern: fixed-size float lists (embeddings), ragged int lists with null and empty
    // lists and null elements, string lists, dictionary-friendly and unique strings with non-ASCII text, blobs, and
    // INT64-backed logical types (timestamp, decimal) that we read as their physical values.
    private static readonly string SourceTable = $"""
        CREATE TABLE t AS SELECT
          i::INTEGER - 1500 AS i32,
          CASE WHEN i = 7 THEN 9223372036854775807 WHEN i = 8 THEN -9223372036854775808 ELSE i::BIGINT * 1000000007 END AS i64,
          CASE WHEN i % 11 = 0 THEN NULL ELSE (hash(i) % 100000)::FLOAT / 7.0 END AS f,
          (i / 3.0)::DOUBLE * -1.5 AS d,
          CASE WHEN i % 13 = 0 THEN NULL ELSE i % 3 = 0 END AS b,
          CASE WHEN i % 5 = 0 THEN NULL WHEN i % 5 = 1 THEN 'Grüße 🐝 ' || (i % 7) ELSE 'str-' || (i % 7) END AS s,
          'unique-' || i || '-' || repeat('x', i % 13) AS u,
          list_transform(range({Dim}), k -> ((hash(i * 31 + k) % 2000000)::FLOAT / 1000.0 - 1000.0)::FLOAT) AS emb,
          CASE WHEN i % 4 = 0 THEN NULL WHEN i % 4 = 1 THEN [] ELSE [i::INTEGER, NULL, (i % 17)::INTEGER] END AS ragged,
          CASE WHEN i % 6 = 0 THEN NULL ELSE ['a' || (i % 3), NULL, 'bb'] END AS tags,
          CASE WHEN i % 9 = 0 THEN NULL ELSE ('\x00\x01' || (i % 251)::VARCHAR)::BLOB END AS blob,
          TIMESTAMP '2024-01-01 00:00:00' + INTERVAL (i) SECOND AS ts,
          (i * 1.125)::DECIMAL(18,3) AS dec,
          (i % 5)::INTEGER AS low_i,
          CASE WHEN i % 10 = 3 THEN NULL ELSE (i % 3)::FLOAT / 4 END AS low_f,
          [(i % 4)::DOUBLE, 0.5] AS low_l
        FROM range({Rows}) r(i)
        """;

    // DuckDB's JSON for blobs, timestamps and decimals is text; select forms that compare exactly with our physical values.
    private const string Projection =
        "i32, i64, f, d, b, s, u, emb, ragged, tags, hex(blob) AS blob, epoch_us(ts) AS ts, (dec * 1000)::BIGINT AS dec, low_i, low_f, low_l";

    private static readonly string[] Columns = ["i32", "i64", "f", "d", "b", "s", "u", "emb", "ragged", "tags", "blob", "ts", "dec", "low_i", "low_f", "low_l"];

    public static readonly object[] Variants =
    [
        new object[] { "defaults", "" },
        new object[] { "uncompressed", ", COMPRESSION uncompressed" },
        new object[] { "gzip", ", COMPRESSION gzip" },
        new object[] { "zstd", ", COMPRESSION zstd" },
        new object[] { "snappy-small-row-groups", ", COMPRESSION snappy, ROW_GROUP_SIZE 100" }, // DuckDB rounds up to 2048-row vectors
        new object[] { "no-dictionary", ", DICTIONARY_SIZE_LIMIT 1" },
        new object[] { "v2-zstd", ", PARQUET_VERSION V2, COMPRESSION zstd" },
        new object[] { "v2-uncompressed", ", PARQUET_VERSION V2, COMPRESSION uncompressed" },
        new object[] { "v2-snappy", ", PARQUET_VERSION V2, COMPRESSION snappy" },
    ];

    private TempDirectory _temp = null!;
    private Dictionary<string, DuckDb.Result> _duckReads = null!;

    [OneTimeSetUp]
    public void WriteFilesWithDuckDb()
    {
        _temp = new TempDirectory("parquet-duckdb");
        var statements = new List<string> { SourceTable };
        foreach (var variant in Variants.Cast<object[]>())
        {
            var path = DuckDb.Literal(_temp.File($"{variant[0]}.parquet"));
            statements.Add($"COPY (SELECT * FROM t ORDER BY i32) TO {path} (FORMAT parquet, KV_METADATA {{origin: 'duckdb', variant: '{variant[0]}'}}{variant[1]})");
        }
        foreach (var variant in Variants.Cast<object[]>())
            statements.Add($"SELECT {Projection} FROM read_parquet({DuckDb.Literal(_temp.File($"{variant[0]}.parquet"))}, file_row_number = true) ORDER BY file_row_number");
        var results = DuckDb.QueryAll([.. statements]);
        _duckReads = new Dictionary<string, DuckDb.Result>();
        var reads = results.Skip(1 + Variants.Length).ToList();
        for (var i = 0; i < Variants.Length; i++) _duckReads[(string)((object[])Variants[i])[0]] = reads[i];
    }

    [OneTimeTearDown]
    public void Cleanup() => _temp.Dispose();

    [TestCaseSource(nameof(Variants))]
    public void ReadsEveryColumnWithDuckDbsValues(string variant, string options)
    {
        var path = _temp.File($"{variant}.parquet");
        var expected = TestFiles.DuckCells(_duckReads[variant], Columns);
        var actual = TestFiles.OurCells(path, Columns);
        TestFiles.AssertSameCells(expected, actual, $"{variant} ({options})");
        Assert.That(expected["emb"].Count, Is.EqualTo(Rows));
    }

    [TestCaseSource(nameof(Variants))]
    public void ReadsKeyValueMetadataAndEmbeddingsByTheFastPath(string variant, string options)
    {
        using var reader = ParquetFileReader.Open(_temp.File($"{variant}.parquet"));
        Assert.That(reader.GetMetadata("origin"), Is.EqualTo("duckdb"));
        Assert.That(reader.GetMetadata("variant"), Is.EqualTo(variant));
        Assert.That(reader.RowCount, Is.EqualTo(Rows));

        // The fast path must give the same floats as the general path, row group by row group.
        var rowsSeen = 0;
        foreach (var group in reader.RowGroups())
        {
            var fast = new float[group.RowCount * Dim];
            group.ReadFixedSizeList<float>("emb", Dim, fast);
            var general = group.ReadColumn("emb");
            Assert.That(fast, Is.EqualTo(general.GetValues<float>()), $"{variant}, row group {group.Index}");
            var inferred = group.ReadFixedSizeList<float>("emb", out var length);
            Assert.That(length, Is.EqualTo(Dim));
            Assert.That(inferred, Is.EqualTo(fast));
            rowsSeen += group.RowCount;
        }
        Assert.That(rowsSeen, Is.EqualTo(Rows));
    }

    /// <summary>
    /// DuckDB's defaults give the shape pyarrow's defaults give (python3-pyarrow cannot be installed here): SNAPPY,
    /// data page v1, dictionary-encoded strings (and low-cardinality numbers), nullable 3-level lists with nullable
    /// elements. Check the shape, so that the exact-value test on this file stands for pyarrow-shaped files.
    /// </summary>
    [Test]
    public void DuckDbDefaultsHaveTheShapeOfPyArrowDefaults()
    {
        using var reader = ParquetFileReader.Open(_temp.File("defaults.parquet"));
        var description = reader.Describe();
        var chunks = description.RowGroups[0].Columns.ToDictionary(c => c.Path);
        Assert.That(chunks.Values.Select(c => c.Codec), Is.All.EqualTo(ParquetCompressionCodec.Snappy));
        Assert.That(chunks["s"].DictionaryPageOffset, Is.Not.Null);
        Assert.That(chunks["s"].Encodings, Does.Contain(ParquetEncoding.PlainDictionary).Or.Contain(ParquetEncoding.RleDictionary));
        Assert.That(chunks["low_i"].DictionaryPageOffset, Is.Not.Null);
        Assert.That(chunks["low_l.list.element"].DictionaryPageOffset, Is.Not.Null);
        var text = description.ToText();
        Assert.That(text, Does.Contain("optional group emb (LIST) {\n      repeated group list {\n        optional float element;"));
        Assert.That(PageTypes(_temp.File("defaults.parquet")), Is.EquivalentTo(new[] { "DataPage", "DictionaryPage" }));
    }

    /// <summary>
    /// DuckDB's PARQUET_VERSION V2 switches to the DELTA encodings and BYTE_STREAM_SPLIT (still in v1 pages), so the
    /// exact-value test on those files checks our decoders against DuckDB's encoders. (Data page v2 is checked the other
    /// way round: DuckDB reads the v2 pages we write.)
    /// </summary>
    [Test]
    public void DuckDbV2FilesExerciseTheDeltaAndByteStreamSplitDecoders()
    {
        using var reader = ParquetFileReader.Open(_temp.File("v2-zstd.parquet"));
        var encodings = reader.Describe().RowGroups.SelectMany(g => g.Columns).SelectMany(c => c.Encodings).ToHashSet();
        Assert.That(encodings, Is.SupersetOf(new[] { ParquetEncoding.DeltaBinaryPacked, ParquetEncoding.DeltaLengthByteArray, ParquetEncoding.ByteStreamSplit }));
    }

    private static HashSet<string> PageTypes(string path)
    {
        var bytes = File.ReadAllBytes(path);
        var length = System.Buffers.Binary.BinaryPrimitives.ReadInt32LittleEndian(bytes.AsSpan(bytes.Length - 8));
        var metadata = Format.FileMetaData.Read(bytes.AsSpan(bytes.Length - 8 - length, length));
        var types = new HashSet<string>();
        foreach (var chunk in metadata.RowGroups.SelectMany(g => g.Columns).Select(c => c.MetaData!))
        {
            var position = (int)(chunk.DictionaryPageOffset ?? chunk.DataPageOffset);
            var end = position + (int)chunk.TotalCompressedSize;
            while (position < end)
            {
                var reader = new Thrift.CompactProtocolReader(bytes.AsSpan(position, end - position));
                var header = Format.PageHeader.Read(ref reader);
                types.Add(header.Type.ToString());
                position += reader.Position + header.CompressedPageSize;
            }
        }
        return types;
    }

    [Test]
    public void TheNoDictionaryVariantStoresStringsPlain()
    {
        using var reader = ParquetFileReader.Open(_temp.File("no-dictionary.parquet"));
        var strings = reader.Describe().RowGroups.SelectMany(g => g.Columns).Where(c => c.Path is "s" or "u" or "tags.list.element").ToList();
        Assert.That(strings, Is.Not.Empty);
        Assert.That(strings.Select(c => c.DictionaryPageOffset), Is.All.Null);
        Assert.That(strings.SelectMany(c => c.Encodings), Does.Not.Contain(ParquetEncoding.PlainDictionary).And.Not.Contain(ParquetEncoding.RleDictionary));
    }

    [Test]
    public void RowGroupsReadConcurrentlyGiveTheSameValues()
    {
        using var reader = ParquetFileReader.Open(_temp.File("snappy-small-row-groups.parquet"));
        Assert.That(reader.RowGroupCount, Is.GreaterThan(1));
        var sequential = Enumerable.Range(0, reader.RowGroupCount).Select(g => reader.OpenRowGroup(g).ReadFixedSizeList<float>("emb", out _)).ToArray();
        var parallel = new float[reader.RowGroupCount][];
        Parallel.For(0, reader.RowGroupCount * 8, new ParallelOptions { MaxDegreeOfParallelism = 4 }, i =>
        {
            var g = i % reader.RowGroupCount;
            var values = reader.OpenRowGroup(g).ReadFixedSizeList<float>("emb", out _);
            lock (parallel) parallel[g] = values;
            _ = reader.OpenRowGroup(g).ReadColumn("s");
        });
        Assert.That(parallel, Is.EqualTo(sequential));
    }

    [Test]
    public void RaggedListIsRefusedByTheFixedSizePathNamingTheRow()
    {
        using var reader = ParquetFileReader.Open(_temp.File("defaults.parquet"));
        var group = reader.OpenRowGroup(0);
        var error = Assert.Throws<ParquetFormatException>(() => group.ReadFixedSizeList<int>("ragged", 3, new int[group.RowCount * 3]));
        Assert.That(error!.Column, Is.EqualTo("ragged.list.element"));
        Assert.That(error.Message, Does.Contain("ReadColumn"));
        Assert.That(error.FilePath, Does.EndWith("defaults.parquet"));
    }

    [Test]
    public void UnsupportedCodecAndNestedColumnsGiveClearErrorsWhileOtherColumnsRead()
    {
        var lz4 = _temp.File("lz4.parquet");
        var nested = _temp.File("nested.parquet");
        DuckDb.Query(
            $"COPY (SELECT i, i * 2 AS j FROM range(10) r(i)) TO {DuckDb.Literal(lz4)} (FORMAT parquet, COMPRESSION lz4)",
            $"COPY (SELECT i, {{'a': i, 'b': 'x'}} AS st, MAP {{'k': i}} AS m, [[i, i]] AS nest FROM range(10) r(i)) TO {DuckDb.Literal(nested)} (FORMAT parquet)");

        using (var reader = ParquetFileReader.Open(lz4))
        {
            var error = Assert.Throws<ParquetFormatException>(() => reader.OpenRowGroup(0).ReadColumn("i"));
            Assert.That(error!.Message, Does.Contain("Lz4Raw").And.Contain("not supported"));
        }
        using (var reader = ParquetFileReader.Open(nested))
        {
            Assert.That(reader.Schema.Fields.Select(f => f.Name), Is.EqualTo(new[] { "i" }));
            Assert.That(reader.Schema.UnsupportedFields.Select(f => f.Key), Is.EqualTo(new[] { "st", "m", "nest" }));
            Assert.That(reader.OpenRowGroup(0).ReadValues<long>("i"), Is.EqualTo(Enumerable.Range(0, 10).Select(i => (long)i)));
            var error = Assert.Throws<NotSupportedException>(() => reader.OpenRowGroup(0).ReadColumn("st"));
            Assert.That(error!.Message, Does.Contain("struct"));
            Assert.That(reader.Describe().ToText(), Does.Contain("optional group st").And.Contain("MAP"));
        }
    }
}
