using System.Buffers.Binary;

namespace OnnxTransfer.Parquet.Encodings;

/// <summary>
/// CRC-32 as parquet.thrift specifies for page checksums (polynomial 0x04C11DB7, reflected, as in GZIP), computed
/// eight bytes at a time with eight lookup tables ("slicing-by-8").
/// </summary>
internal static class Crc32
{
    private static readonly uint[] Tables = BuildTables();

    public static uint Compute(ReadOnlySpan<byte> data)
    {
        var tables = Tables.AsSpan();
        var crc = 0xFFFF_FFFFu;
        while (data.Length >= 8)
        {
            var one = BinaryPrimitives.ReadUInt32LittleEndian(data) ^ crc;
            var two = BinaryPrimitives.ReadUInt32LittleEndian(data[4..]);
            crc = tables[7 * 256 + (int)(one & 0xFF)] ^ tables[6 * 256 + (int)((one >> 8) & 0xFF)]
                ^ tables[5 * 256 + (int)((one >> 16) & 0xFF)] ^ tables[4 * 256 + (int)(one >> 24)]
                ^ tables[3 * 256 + (int)(two & 0xFF)] ^ tables[2 * 256 + (int)((two >> 8) & 0xFF)]
                ^ tables[1 * 256 + (int)((two >> 16) & 0xFF)] ^ tables[(int)(two >> 24)];
            data = data[8..];
        }
        foreach (var b in data) crc = tables[(int)((crc ^ b) & 0xFF)] ^ (crc >> 8);
        return ~crc;
    }

    private static uint[] BuildTables()
    {
        var tables = new uint[8 * 256];
        for (uint i = 0; i < 256; i++)
        {
            var c = i;
            for (var k = 0; k < 8; k++) c = (c & 1) != 0 ? 0xEDB8_8320u ^ (c >> 1) : c >> 1;
            tables[i] = c;
        }
        for (var t = 1; t < 8; t++)
            for (var i = 0; i < 256; i++)
            {
                var previous = tables[(t - 1) * 256 + i];
                tables[t * 256 + i] = (previous >> 8) ^ tables[(int)(previous & 0xFF)];
            }
        return tables;
    }
}
