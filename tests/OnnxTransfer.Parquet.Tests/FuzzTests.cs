using System.Buffers.Binary;
using System.Diagnostics;
using System.Runtime.InteropServices;
using System.Text;
using OnnxTransfer.Parquet.Format;
using OnnxTransfer.Parquet.Thrift;
using OnnxTransfer.TestSupport;

namespace OnnxTransfer.Parquet.Tests;

/// <summary>
/// Mutates valid files (ours and DuckDB's) — bit flips, byte overwrites, truncation, forged lengths and counts in the
/// footer and in page headers, inserted and deleted bytes — and reads every column of every mutant. Each case must end
/// in a <see cref="ParquetFormatException"/> raised by the library's own checks, or in data consistent with the row
/// groups; a mutation inside a checksummed page body must give an error or the original data. Each case must stay
/// within a time and an allocation bound.
/// </summary>
public class FuzzTests
{
    private const int Cases = 12_000;
    private static readonly TimeSpan CaseTimeLimit = TimeSpan.FromSeconds(2);
    private const long CaseAllocationLimit = 96L << 20;
    private static readonly ParquetReaderOptions Options = new() { MaxBufferBytes = 8 << 20 };

    private sealed class Seed
    {
        public required string Name { get; init; }
        public required byte[] Bytes { get; init; }
        public required bool Checksummed { get; init; }
        public required Dictionary<string, List<string>> Expected { get; init; }
        public required FileMetaData Metadata { get; init; }
        public required int FooterStart { get; init; }
        public required List<(int HeaderStart, int BodyStart, int BodyEnd)> Pages { get; init; }
    }

    private readonly record struct Mutant(byte[] Bytes, string Description, bool BodyOnly);

    [Test]
    public void MutatedFilesEndInAClearErrorOrCorrectData()
    {
        using var temp = new TempDirectory("parquet-fuzz");
        Run(MakeSeeds(temp), Cases, temp, json: true);
    }

    /// <summary>
    /// Pages larger than the reader's 1 MiB window take another route (the fast path reads their values straight from
    /// the file), so they get their own, smaller, run.
    /// </summary>
    [Test]
    public void MutatedFilesWithPagesLargerThanTheReadWindow()
    {
        using var temp = new TempDirectory("parquet-fuzz-big");
        var seeds = new List<Seed>();
        var schema = new ParquetSchema(ParquetField.List("emb", ParquetField.Float("element", nullable: false)));
        var embeddings = ParquetColumnData.CreateFixedSizeList((ParquetListField)schema["emb"], new SampleData(5).Embeddings(640, 450), 450);
        foreach (var version in new[] { ParquetDataPageVersion.V1, ParquetDataPageVersion.V2 })
        {
            var path = temp.File($"seed-big-{version}.parquet");
            using (var writer = new ParquetFileWriter(path, schema, new ParquetWriterOptions { Compression = ParquetCompressionCodec.Uncompressed, DataPageVersion = version, PageSizeBytes = 2 << 20 }))
            {
                writer.Write([embeddings]);
                writer.Complete();
            }
            seeds.Add(LoadSeed($"big-{version}", path, checksummed: false));
        }
        Run(seeds, 500, temp, json: false);
    }

    private static void Run(List<Seed> seeds, int cases, TempDirectory temp, bool json)
    {
        var random = new Random(12345);
        var path = temp.File("mutant.parquet");
        var failures = new List<string>();
        int errors = 0, identical = 0, different = 0;
        var total = Stopwatch.StartNew();
        for (var i = 0; i < cases && failures.Count < 10; i++)
        {
            var seed = seeds[i % seeds.Count];
            var mutant = Mutate(random, seed);
            File.WriteAllBytes(path, mutant.Bytes);
            var allocatedBefore = GC.GetAllocatedBytesForCurrentThread();
            var clock = Stopwatch.StartNew();
            Dictionary<string, List<string>>? cells = null;
            string? failure = null;
            try
            {
                cells = ReadEverything(path, json && i % 4 == 0);
            }
            catch (ParquetFormatException e)
            {
                if (e.InnerException is not null && (e.InnerException is not CorruptDataException || e.InnerException.InnerException is not null))
                    failure = $"error not raised by the library's checks: {e.InnerException}";
                errors++;
            }
            catch (Exception e)
            {
                failure = $"{e.GetType().Name}: {e}";
            }
            clock.Stop();
            var allocated = GC.GetAllocatedBytesForCurrentThread() - allocatedBefore;
            if (clock.Elapsed > CaseTimeLimit) failure ??= $"took {clock.Elapsed.TotalMilliseconds:F0} ms";
            if (allocated > CaseAllocationLimit) failure ??= $"allocated {allocated >> 20} MiB";
            if (cells is not null)
            {
                var same = seed.Expected.All(c => cells.TryGetValue(c.Key, out var mine) && mine.SequenceEqual(c.Value));
                if (same) identical++; else different++;
                if (!same && mutant.BodyOnly && seed.Checksummed) failure ??= "a checksummed page changed but the read succeeded with different data";
            }
            if (failure is not null) failures.Add($"case {i}, seed {seed.Name}, {mutant.Description}: {failure}");
        }
        TestContext.Out.WriteLine($"{cases} cases in {total.Elapsed.TotalSeconds:F1} s: {errors} errors, {identical} read as the original, {different} read differently");
        Assert.That(failures, Is.Empty);
        Assert.That(errors, Is.GreaterThan(cases / 4), "most mutations should be detected");
    }

    /// <summary>
    /// Opens, describes and reads every readable column (both read paths for float lists), checking consistency; returns
    /// a fingerprint of each column's content per row group.
    /// </summary>
    private static Dictionary<string, List<string>> ReadEverything(string path, bool alsoJson)
    {
        using var reader = ParquetFileReader.Open(path, Options);
        _ = reader.Describe().ToText();
        var cells = reader.Schema.Fields.ToDictionary(f => f.Name, _ => new List<string>());
        foreach (var group in reader.RowGroups())
        {
            foreach (var field in reader.Schema.Fields)
            {
                var data = group.ReadColumn(field.Name);
                if (data.RowCount != group.RowCount) throw new InvalidOperationException($"{field.Name}: {data.RowCount} rows in a group of {group.RowCount}");
                cells[field.Name].Add(Fingerprint(data));
                if (field is ParquetListField { Element.PhysicalType: ParquetPhysicalType.Float })
                {
                    try
                    {
                        var values = group.ReadFixedSizeList<float>(field.Name, out var length);
                        if (values.Length != (long)length * group.RowCount) throw new InvalidOperationException("fixed-size read has the wrong size");
                    }
                    catch (ParquetFormatException)
                    {
                        // Ragged, null or corrupted lists are refused by the fast path; that is a clear error too.
                    }
                }
            }
        }
        if (alsoJson) ParquetJsonRows.Write(path, Stream.Null, options: Options);
        return cells;
    }

    /// <summary>A hash of everything a column holds (values, nulls, offsets), cheap enough to take for every case.</summary>
    private static string Fingerprint(ParquetColumnData data)
    {
        var hash = new HashCode();
        switch (data.Values)
        {
            case bool[] v: hash.AddBytes(MemoryMarshal.AsBytes(v.AsSpan())); break;
            case int[] v: hash.AddBytes(MemoryMarshal.AsBytes(v.AsSpan())); break;
            case long[] v: hash.AddBytes(MemoryMarshal.AsBytes(v.AsSpan())); break;
            case float[] v: hash.AddBytes(MemoryMarshal.AsBytes(v.AsSpan())); break;
            case double[] v: hash.AddBytes(MemoryMarshal.AsBytes(v.AsSpan())); break;
            case string[] v: foreach (var item in v) hash.Add(item, StringComparer.Ordinal); break;
            case byte[][] v: foreach (var item in v) { hash.Add(item?.Length ?? -1); hash.AddBytes(item); } break;
        }
        if (data.ValueIsNull is { } nulls) hash.AddBytes(MemoryMarshal.AsBytes(nulls.AsSpan()));
        if (data.Offsets is { } offsets) hash.AddBytes(MemoryMarshal.AsBytes(offsets.AsSpan()));
        if (data.RowIsNull is { } rows) hash.AddBytes(MemoryMarshal.AsBytes(rows.AsSpan()));
        return $"{data.Values.Length}:{hash.ToHashCode()}";
    }

    private static List<Seed> MakeSeeds(TempDirectory temp)
    {
        var seeds = new List<Seed>();
        var data = new SampleData(31);
        var schema = new ParquetSchema(
            ParquetField.String("id", nullable: false), ParquetField.String("label"), ParquetField.Int32("i"), ParquetField.Int64("l", nullable: false),
            ParquetField.Double("d"), ParquetField.Boolean("b"), ParquetField.Binary("blob"), ParquetField.FixedLengthBinary("fixed", 3),
            ParquetField.List("emb", ParquetField.Float("element", nullable: false)), ParquetField.List("tags", ParquetField.String("element")),
            ParquetField.List("ragged", ParquetField.Int32("element")));
        var columns = schema.Fields.Select(f => f.Name == "emb"
            ? ParquetColumnData.CreateFixedSizeList((ParquetListField)f, data.Embeddings(60, 4), 4)
            : data.Column(f, 60)).ToList();
        var label = columns[1].GetValues<string>();
        for (var i = 0; i < label.Length; i++) if (label[i] is not null) label[i] = i % 3 == 0 ? "ants" : "bees"; // dictionary-friendly

        (string Name, ParquetWriterOptions Options)[] ours =
        [
            ("snappy-v1-dictionary-crc", new() { WritePageChecksums = true, RowGroupSize = 25, PageSizeBytes = 200 }),
            ("zstd-v2-bss-crc", new() { Compression = ParquetCompressionCodec.Zstd, DataPageVersion = ParquetDataPageVersion.V2, ByteStreamSplitFloatingPoint = true, WritePageChecksums = true, RowGroupSize = 30 }),
            ("gzip-v1-plain-crc", new() { Compression = ParquetCompressionCodec.Gzip, DictionaryEncodeStrings = false, WritePageChecksums = true, PageSizeBytes = 300 }),
            ("uncompressed-v2-crc", new() { Compression = ParquetCompressionCodec.Uncompressed, DataPageVersion = ParquetDataPageVersion.V2, WritePageChecksums = true, RowGroupSize = 20 }),
            ("uncompressed-v1", new() { Compression = ParquetCompressionCodec.Uncompressed, RowGroupSize = 40 }),
        ];
        foreach (var (name, options) in ours)
        {
            var path = temp.File($"seed-{name}.parquet");
            using (var writer = new ParquetFileWriter(path, schema, options, [new("k", "v")]))
            {
                writer.Write(columns);
                writer.Complete();
            }
            seeds.Add(LoadSeed(name, path, options.WritePageChecksums));
        }

        var duckSql = "SELECT i, 'v' || (i % 3) AS s, CASE WHEN i % 4 = 0 THEN NULL ELSE i * 0.5 END AS d, [i::FLOAT, i * 2.0] AS emb, " +
                      "CASE WHEN i % 5 = 0 THEN [] ELSE [i, NULL] END AS ragged FROM range(80) r(i)";
        (string Name, string Options)[] duck = [("duckdb-defaults", ""), ("duckdb-v2-zstd", ", PARQUET_VERSION V2, COMPRESSION zstd"), ("duckdb-uncompressed", ", COMPRESSION uncompressed")];
        DuckDb.QueryAll(duck.Select(d => $"COPY ({duckSql}) TO {DuckDb.Literal(temp.File($"seed-{d.Name}.parquet"))} (FORMAT parquet, ROW_GROUP_SIZE 2048{d.Options})").ToArray());
        foreach (var (name, _) in duck) seeds.Add(LoadSeed(name, temp.File($"seed-{name}.parquet"), checksummed: false));
        return seeds;
    }

    private static Seed LoadSeed(string name, string path, bool checksummed)
    {
        var bytes = File.ReadAllBytes(path);
        var footerLength = BinaryPrimitives.ReadInt32LittleEndian(bytes.AsSpan(bytes.Length - 8));
        var footerStart = bytes.Length - 8 - footerLength;
        var metadata = FileMetaData.Read(bytes.AsSpan(footerStart, footerLength));
        var pages = new List<(int, int, int)>();
        foreach (var chunk in metadata.RowGroups.SelectMany(g => g.Columns).Select(c => c.MetaData!))
        {
            var position = (int)(chunk.DictionaryPageOffset ?? chunk.DataPageOffset);
            var end = position + (int)chunk.TotalCompressedSize;
            while (position < end)
            {
                var reader = new CompactProtocolReader(bytes.AsSpan(position, end - position));
                var header = PageHeader.Read(ref reader);
                var body = position + reader.Position;
                pages.Add((position, body, body + header.CompressedPageSize));
                position = body + header.CompressedPageSize;
            }
        }
        return new Seed
        {
            Name = name, Bytes = bytes, Checksummed = checksummed, Metadata = metadata, FooterStart = footerStart, Pages = pages,
            Expected = ReadEverything(path, alsoJson: false),
        };
    }

    private static readonly long[] Interesting = [0, 1, -1, 2, 7, 8, 255, 256, 65536, int.MaxValue, int.MinValue, long.MaxValue, long.MinValue, 1L << 40];

    private static long Forge(Random random, long original) => random.Next(4) switch
    {
        0 => Interesting[random.Next(Interesting.Length)],
        1 => original + random.Next(-3, 4),
        2 => original * 2 + 1,
        _ => original / 2,
    };

    private static Mutant Mutate(Random random, Seed seed)
    {
        var bytes = (byte[])seed.Bytes.Clone();
        switch (random.Next(10))
        {
            case 0:
            case 1:
            {
                // Bit flips, in the footer or in the pages.
                var inFooter = random.Next(2) == 0;
                var positions = Enumerable.Range(0, random.Next(1, 5))
                    .Select(_ => inFooter ? random.Next(seed.FooterStart, bytes.Length) : random.Next(bytes.Length)).ToList();
                foreach (var p in positions) bytes[p] ^= (byte)(1 << random.Next(8));
                return new Mutant(bytes, $"bit flips at {string.Join(",", positions)}", positions.All(p => InBody(seed, p)));
            }
            case 2:
            {
                var positions = Enumerable.Range(0, random.Next(1, 4)).Select(_ => random.Next(bytes.Length)).ToList();
                foreach (var p in positions) bytes[p] = (byte)(random.Next(3) == 0 ? random.Next(256) : new[] { 0, 0xFF, 0x7F, 0x80, 1 }[random.Next(5)]);
                return new Mutant(bytes, $"bytes set at {string.Join(",", positions)}", positions.All(p => InBody(seed, p)));
            }
            case 3:
            {
                var length = random.Next(3) == 0 ? random.Next(Math.Min(16, bytes.Length)) : random.Next(bytes.Length);
                return new Mutant(bytes[..length], $"truncated to {length}", false);
            }
            case 4:
            {
                // A forged 32-bit length or count anywhere (the footer length included).
                var position = random.Next(5) == 0 ? bytes.Length - 8 : random.Next(bytes.Length - 3);
                var value = (int)Forge(random, BinaryPrimitives.ReadInt32LittleEndian(bytes.AsSpan(position)));
                BinaryPrimitives.WriteInt32LittleEndian(bytes.AsSpan(position), value);
                return new Mutant(bytes, $"int32 {value} at {position}", InBody(seed, position) && InBody(seed, position + 3));
            }
            case 5:
            {
                // A forged varint in the footer: a huge count or length where a small one was.
                var position = random.Next(seed.FooterStart, bytes.Length - 8);
                var varint = new byte[] { 0xFF, 0xFF, 0xFF, 0xFF, (byte)random.Next(0x01, 0x10) };
                var length = Math.Min(varint.Length, bytes.Length - 8 - position);
                varint.AsSpan(0, length).CopyTo(bytes.AsSpan(position));
                return new Mutant(bytes, $"varint at {position}", false);
            }
            case 6:
                return ForgeFooterField(random, seed);
            case 7:
            case 8:
                return ForgePageHeaderField(random, seed);
            default:
            {
                // Insert or delete a few bytes inside the data, shifting everything after.
                var position = random.Next(4, seed.FooterStart);
                var count = random.Next(1, 9);
                var list = bytes.ToList();
                if (random.Next(2) == 0) list.InsertRange(position, Enumerable.Range(0, count).Select(_ => (byte)random.Next(256)));
                else list.RemoveRange(position, Math.Min(count, list.Count - position - 8));
                return new Mutant([.. list], $"{count} bytes inserted/deleted at {position}", false);
            }
        }
    }

    private static bool InBody(Seed seed, int position) => seed.Pages.Any(p => position >= p.BodyStart && position < p.BodyEnd);

    /// <summary>Changes one count, offset, size, type or codec in the footer and writes the footer back.</summary>
    private static Mutant ForgeFooterField(Random random, Seed seed)
    {
        var metadata = FileMetaData.Read(seed.Bytes.AsSpan(seed.FooterStart, seed.Bytes.Length - 8 - seed.FooterStart));
        var group = metadata.RowGroups.Count > 0 ? metadata.RowGroups[random.Next(metadata.RowGroups.Count)] : null;
        var chunk = group?.Columns[random.Next(group.Columns.Count)].MetaData;
        var element = metadata.Schema[random.Next(metadata.Schema.Count)];
        string what;
        switch (random.Next(12))
        {
            case 0: metadata.NumRows = Forge(random, metadata.NumRows); what = "file num_rows"; break;
            case 1 when group is not null: group.NumRows = Forge(random, group.NumRows); what = "row group num_rows"; break;
            case 2 when chunk is not null: chunk.NumValues = Forge(random, chunk.NumValues); what = "num_values"; break;
            case 3 when chunk is not null: chunk.DataPageOffset = Forge(random, chunk.DataPageOffset); what = "data_page_offset"; break;
            case 4 when chunk is not null: chunk.TotalCompressedSize = Forge(random, chunk.TotalCompressedSize); what = "total_compressed_size"; break;
            case 5 when chunk is not null: chunk.DictionaryPageOffset = Forge(random, chunk.DictionaryPageOffset ?? chunk.DataPageOffset); what = "dictionary_page_offset"; break;
            case 6 when chunk is not null: chunk.Codec = (ParquetCompressionCodec)random.Next(9); what = "codec"; break;
            case 7: element.NumChildren = (int)Forge(random, element.NumChildren ?? 0); what = "num_children"; break;
            case 8: element.Type = (ParquetPhysicalType)random.Next(9); what = "physical type"; break;
            case 9: element.Repetition = (ParquetRepetition)random.Next(4); what = "repetition"; break;
            case 10: element.TypeLength = (int)Forge(random, element.TypeLength ?? 4); what = "type_length"; break;
            default: metadata.RowGroups.Reverse(); what = "row group order"; break;
        }
        return new Mutant(WithFooter(seed.Bytes.AsSpan(0, seed.FooterStart), metadata), $"footer {what}", false);
    }

    /// <summary>Changes one field of one page header, re-serialises it and shifts the footer's offsets to match.</summary>
    private static Mutant ForgePageHeaderField(Random random, Seed seed)
    {
        var (headerStart, bodyStart, _) = seed.Pages[random.Next(seed.Pages.Count)];
        var reader = new CompactProtocolReader(seed.Bytes.AsSpan(headerStart, bodyStart - headerStart));
        var header = PageHeader.Read(ref reader);
        string what;
        switch (random.Next(9))
        {
            case 0: header.UncompressedPageSize = (int)Forge(random, header.UncompressedPageSize); what = "uncompressed_page_size"; break;
            case 1: header.CompressedPageSize = (int)Forge(random, header.CompressedPageSize); what = "compressed_page_size"; break;
            case 2: header.Type = (PageType)random.Next(5); what = "page type"; break;
            case 3 when header.DataPage is { } v1: v1.NumValues = (int)Forge(random, v1.NumValues); what = "v1 num_values"; break;
            case 4 when header.DataPage is { } v1: v1.Encoding = (ParquetEncoding)random.Next(11); what = "v1 encoding"; break;
            case 5 when header.DataPageV2 is { } v2: v2.NumValues = (int)Forge(random, v2.NumValues); what = "v2 num_values"; break;
            case 6 when header.DataPageV2 is { } v2: v2.DefinitionLevelsByteLength = (int)Forge(random, v2.DefinitionLevelsByteLength); what = "v2 definition length"; break;
            case 7 when header.DataPageV2 is { } v2: v2.Encoding = (ParquetEncoding)random.Next(11); what = "v2 encoding"; break;
            case 8 when header.DictionaryPage is { } dictionary: dictionary.NumValues = (int)Forge(random, dictionary.NumValues); what = "dictionary num_values"; break;
            default: header.Crc = random.Next(); what = "crc"; break;
        }
        var writer = new CompactProtocolWriter();
        header.Write(writer);
        var delta = writer.Length - (bodyStart - headerStart);
        var metadata = FileMetaData.Read(seed.Bytes.AsSpan(seed.FooterStart, seed.Bytes.Length - 8 - seed.FooterStart));
        foreach (var chunk in metadata.RowGroups.SelectMany(g => g.Columns).Select(c => c.MetaData!))
        {
            var start = chunk.DictionaryPageOffset ?? chunk.DataPageOffset;
            if (headerStart >= start && headerStart < start + chunk.TotalCompressedSize) chunk.TotalCompressedSize += delta;
            if (chunk.DataPageOffset > headerStart) chunk.DataPageOffset += delta;
            if (chunk.DictionaryPageOffset > headerStart) chunk.DictionaryPageOffset += delta;
        }
        var data = new List<byte>(seed.Bytes.AsSpan(0, headerStart).ToArray());
        data.AddRange(writer.Written.ToArray());
        data.AddRange(seed.Bytes.AsSpan(bodyStart, seed.FooterStart - bodyStart).ToArray());
        return new Mutant(WithFooter(data.ToArray(), metadata), $"page header {what} at {headerStart}", false);
    }

    private static byte[] WithFooter(ReadOnlySpan<byte> data, FileMetaData metadata)
    {
        var writer = new CompactProtocolWriter();
        metadata.Write(writer);
        var bytes = new byte[data.Length + writer.Length + 8];
        data.CopyTo(bytes);
        writer.Written.CopyTo(bytes.AsSpan(data.Length));
        BinaryPrimitives.WriteInt32LittleEndian(bytes.AsSpan(bytes.Length - 8), writer.Length);
        Encoding.ASCII.GetBytes("PAR1").CopyTo(bytes, bytes.Length - 4);
        return bytes;
    }
}
