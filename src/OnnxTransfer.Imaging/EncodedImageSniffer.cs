using System.Buffers.Binary;

namespace OnnxTransfer.Imaging;

/// <summary>
/// Recognises an encoded image from its signature bytes and tells whether its end is missing. Independent of libvips,
/// so reason codes do not depend on libvips' (process-global) error text.
/// </summary>
public static class EncodedImageSniffer
{
    /// <summary>The format whose signature <paramref name="data"/> starts with, or <see cref="ImageFormat.Unknown"/>.</summary>
    public static ImageFormat Identify(ReadOnlySpan<byte> data)
    {
        if (Starts(data, [0xFF, 0xD8, 0xFF])) return ImageFormat.Jpeg;
        if (Starts(data, [0x89, (byte)'P', (byte)'N', (byte)'G', 0x0D, 0x0A, 0x1A, 0x0A])) return ImageFormat.Png;
        if (data.StartsWith("GIF87a"u8) || data.StartsWith("GIF89a"u8)) return ImageFormat.Gif;
        if (data.Length >= 12 && data.StartsWith("RIFF"u8) && data.Slice(8, 4).SequenceEqual("WEBP"u8)) return ImageFormat.WebP;
        if (data.StartsWith("II*\0"u8) || data.StartsWith("MM\0*"u8) || data.StartsWith("II+\0"u8) || data.StartsWith("MM\0+"u8))
            return ImageFormat.Tiff;
        if (data.Length >= 14 && data.StartsWith("BM"u8)) return ImageFormat.Bmp;
        if (data.Length >= 12 && data.Slice(4, 4).SequenceEqual("ftyp"u8)) return IdentifyIsoMedia(data.Slice(8, 4));
        if (Starts(data, [0xFF, 0x0A]) || Starts(data, [0, 0, 0, 0x0C, (byte)'J', (byte)'X', (byte)'L', (byte)' ']))
            return ImageFormat.JpegXl;
        if (Starts(data, [0, 0, 0, 0x0C, (byte)'j', (byte)'P', (byte)' ', (byte)' ']) || Starts(data, [0xFF, 0x4F, 0xFF, 0x51]))
            return ImageFormat.Jpeg2000;
        if (Starts(data, [0, 0, 1, 0]) && data.Length >= 6 && data[4] != 0) return ImageFormat.Ico;
        if (data.StartsWith("8BPS"u8)) return ImageFormat.Psd;
        if (data.Length >= 3 && data[0] == (byte)'P' && data[1] is >= (byte)'1' and <= (byte)'7' && IsWhitespace(data[2]))
            return ImageFormat.Pnm;
        if (data.StartsWith("%PDF"u8)) return ImageFormat.Pdf;
        if (LooksLikeSvg(data)) return ImageFormat.Svg;
        return ImageFormat.Unknown;
    }

    /// <summary>
    /// True when the data of a format with a known end marker stops before it (a download or copy cut short). Unknown
    /// for formats without one (TIFF, HEIF, …): false.
    /// </summary>
    public static bool LooksTruncated(ImageFormat format, ReadOnlySpan<byte> data)
    {
        switch (format)
        {
            case ImageFormat.Jpeg:
                // EOI (FF D9) ends a JPEG; some writers pad after it, so look past a little padding.
                var end = data.Length;
                var lowest = Math.Max(0, end - 64);
                while (end > lowest && data[end - 1] is 0x00 or 0xFF or (byte)'\r' or (byte)'\n' or (byte)' ') end--;
                if (end >= 2 && data[end - 2] == 0xFF && data[end - 1] == 0xD9) return false;
                return data[..end].Slice(Math.Max(0, end - 64)).IndexOf([(byte)0xFF, (byte)0xD9]) < 0;
            case ImageFormat.Png:
                // The IEND chunk (length 0, "IEND", CRC) closes every PNG.
                return data[Math.Max(0, data.Length - 64)..].IndexOf("IEND"u8) < 0;
            case ImageFormat.Gif:
                // The trailer byte 0x3B closes a GIF.
                var last = data.Length;
                while (last > 0 && data.Length - last < 16 && data[last - 1] == 0) last--;
                return last == 0 || data[last - 1] != 0x3B;
            case ImageFormat.WebP:
                // The RIFF header states the file length.
                if (data.Length < 12) return true;
                var riffLength = BinaryPrimitives.ReadUInt32LittleEndian(data.Slice(4, 4));
                return riffLength + 8L > data.Length;
            default:
                return false;
        }
    }

    private static ImageFormat IdentifyIsoMedia(ReadOnlySpan<byte> brand)
    {
        if (brand.SequenceEqual("avif"u8) || brand.SequenceEqual("avis"u8)) return ImageFormat.Avif;
        if (brand.SequenceEqual("heic"u8) || brand.SequenceEqual("heix"u8) || brand.SequenceEqual("mif1"u8) ||
            brand.SequenceEqual("msf1"u8) || brand.SequenceEqual("heim"u8) || brand.SequenceEqual("heis"u8) ||
            brand.SequenceEqual("hevc"u8) || brand.SequenceEqual("hevx"u8))
            return ImageFormat.Heif;
        return ImageFormat.Unknown;
    }

    private static bool LooksLikeSvg(ReadOnlySpan<byte> data)
    {
        var head = data[..Math.Min(data.Length, 512)];
        var start = 0;
        while (start < head.Length && IsWhitespace(head[start])) start++;
        head = head[start..];
        return (head.StartsWith("<?xml"u8) || head.StartsWith("<svg"u8)) && data[..Math.Min(data.Length, 4096)].IndexOf("<svg"u8) >= 0;
    }

    private static bool Starts(ReadOnlySpan<byte> data, params ReadOnlySpan<byte> signature) => data.StartsWith(signature);

    private static bool IsWhitespace(byte b) => b is (byte)' ' or (byte)'\t' or (byte)'\r' or (byte)'\n';
}
