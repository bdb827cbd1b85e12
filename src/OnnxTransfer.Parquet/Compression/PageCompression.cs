using System.IO.Compression;
using OnnxTransfer.Parquet.Encodings;

namespace OnnxTransfer.Parquet.Compression;

/// <summary>Compresses and decompresses page bodies for the codecs this library supports (Compression.md).</summary>
internal static class PageCompression
{
    /// <summary>RFC 1952 member for zero bytes: header, an empty final deflate block, CRC32 0 and size 0.</summary>
    private static ReadOnlySpan<byte> EmptyGzipMember =>
        [0x1f, 0x8b, 0x08, 0x00, 0, 0, 0, 0, 0x00, 0xff, 0x03, 0x00, 0, 0, 0, 0, 0, 0, 0, 0];

    public static bool IsSupported(ParquetCompressionCodec codec) =>
        codec is ParquetCompressionCodec.Uncompressed or ParquetCompressionCodec.Snappy or ParquetCompressionCodec.Gzip or ParquetCompressionCodec.Zstd;

    /// <summary>
    /// Decompresses <paramref name="source"/> into exactly <c>destination.Length</c> bytes (the page header's uncompressed
    /// size, already checked against the reader's limits). Any other outcome is corrupt data.
    /// </summary>
    public static void Decompress(ParquetCompressionCodec codec, ReadOnlySpan<byte> source, Span<byte> destination)
    {
        if (source.IsEmpty)
        {
            // Some writers store an empty section (an all-null v2 page) as zero bytes whatever the codec.
            if (!destination.IsEmpty) throw new CorruptDataException($"a page has no compressed bytes but its header says {destination.Length} uncompressed");
            return;
        }
        switch (codec)
        {
            case ParquetCompressionCodec.Uncompressed:
                if (source.Length != destination.Length)
                    throw new CorruptDataException($"an uncompressed page is {source.Length} bytes but its header says {destination.Length}");
                source.CopyTo(destination);
                return;
            case ParquetCompressionCodec.Snappy:
                DecompressSnappy(source, destination);
                return;
            case ParquetCompressionCodec.Gzip:
                DecompressGzip(source, destination);
                return;
            case ParquetCompressionCodec.Zstd:
                Zstd.Decompress(source, destination);
                return;
            default:
                throw new CorruptDataException($"compression codec {codec} is not supported (supported: UNCOMPRESSED, SNAPPY, GZIP, ZSTD)");
        }
    }

    /// <summary>Compresses <paramref name="source"/> into <paramref name="output"/> (cleared first).</summary>
    public static void Compress(ParquetCompressionCodec codec, ReadOnlySpan<byte> source, ByteBuffer output, int? level)
    {
        output.Clear();
        switch (codec)
        {
            case ParquetCompressionCodec.Uncompressed:
                output.Write(source);
                return;
            case ParquetCompressionCodec.Snappy:
                output.Write(IronSnappy.Snappy.Encode(source));
                return;
            case ParquetCompressionCodec.Gzip:
            {
                var gzipLevel = level switch
                {
                    null => CompressionLevel.Optimal,
                    <= 1 => CompressionLevel.Fastest,
                    >= 9 => CompressionLevel.SmallestSize,
                    _ => CompressionLevel.Optimal,
                };
                if (source.IsEmpty)
                {
                    // GZipStream writes nothing for no input; readers expect a gzip member, so write the empty one.
                    output.Write(EmptyGzipMember);
                    return;
                }
                using var stream = new ByteBufferStream(output);
                using (var gzip = new GZipStream(stream, gzipLevel, leaveOpen: true)) gzip.Write(source);
                return;
            }
            case ParquetCompressionCodec.Zstd:
            {
                var bound = Zstd.CompressBound(source.Length);
                var target = output.Reserve(bound);
                var written = Zstd.Compress(source, target, level ?? Zstd.DefaultLevel);
                output.Truncate(written);
                return;
            }
            default:
                throw new NotSupportedException($"Writing {codec} is not supported; choose Uncompressed, Snappy, Gzip or Zstd.");
        }
    }

    private static void DecompressSnappy(ReadOnlySpan<byte> source, Span<byte> destination)
    {
        // The raw Snappy block starts with its uncompressed length; checking it first keeps a forged length from
        // reaching the decoder's allocation.
        ulong declared = 0;
        var position = 0;
        for (var shift = 0; ; shift += 7)
        {
            if (position >= source.Length || shift > 28) throw new CorruptDataException("SNAPPY data has no valid length header");
            var b = source[position++];
            declared |= (ulong)(b & 0x7F) << shift;
            if ((b & 0x80) == 0) break;
        }
        if (declared != (ulong)destination.Length)
            throw new CorruptDataException($"SNAPPY data declares {declared} bytes where the page header says {destination.Length}");
        byte[] decoded;
        try
        {
            decoded = IronSnappy.Snappy.Decode(source);
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            throw new CorruptDataException($"SNAPPY data is corrupt ({e.Message})");
        }
        if (decoded.Length != destination.Length)
            throw new CorruptDataException($"SNAPPY data decompresses to {decoded.Length} bytes where the page header says {destination.Length}");
        decoded.CopyTo(destination);
    }

    private static unsafe void DecompressGzip(ReadOnlySpan<byte> source, Span<byte> destination)
    {
        fixed (byte* pointer = source)
        {
            using var input = new UnmanagedMemoryStream(pointer, source.Length);
            using var gzip = new GZipStream(input, CompressionMode.Decompress);
            try
            {
                var filled = 0;
                while (filled < destination.Length)
                {
                    var read = gzip.Read(destination[filled..]);
                    if (read == 0) throw new CorruptDataException($"GZIP data decompresses to {filled} bytes where the page header says {destination.Length}");
                    filled += read;
                }
                Span<byte> probe = stackalloc byte[1];
                if (gzip.Read(probe) != 0) throw new CorruptDataException($"GZIP data decompresses to more than the {destination.Length} bytes the page header says");
            }
            catch (InvalidDataException e)
            {
                throw new CorruptDataException($"GZIP data is corrupt ({e.Message})");
            }
        }
    }

    /// <summary>A write-only stream appending to a <see cref="ByteBuffer"/> (for GZipStream output).</summary>
    private sealed class ByteBufferStream(ByteBuffer buffer) : Stream
    {
        public override bool CanRead => false;
        public override bool CanSeek => false;
        public override bool CanWrite => true;
        public override long Length => buffer.Length;
        public override long Position { get => buffer.Length; set => throw new NotSupportedException(); }
        public override void Flush() { }
        public override int Read(byte[] bufferArray, int offset, int count) => throw new NotSupportedException();
        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
        public override void SetLength(long value) => throw new NotSupportedException();
        public override void Write(byte[] bufferArray, int offset, int count) => buffer.Write(bufferArray.AsSpan(offset, count));
        public override void Write(ReadOnlySpan<byte> span) => buffer.Write(span);
    }
}
