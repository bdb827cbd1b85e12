using System.Buffers.Binary;

namespace OnnxTransfer.Imaging;

/// <summary>
/// The EXIF orientation of a JPEG, read from its first <c>APP1 "Exif"</c> segment (IFD0, tag 0x0112), for the direct
/// JPEG path. libvips reads the same field through libexif; to be sure of giving the same answer this reader accepts only
/// the plain case (one Exif segment, a well-formed TIFF header and IFD0, the tag as one SHORT in 1–8) and says "unsure"
/// otherwise, and the file then goes through libvips.
/// </summary>
internal static class JpegExifOrientation
{
    private const ushort OrientationTag = 0x0112;
    private const ushort ShortType = 3;

    /// <summary>True with the orientation (1 when there is no EXIF or no tag); false when libvips should decide.</summary>
    internal static bool TryRead(ReadOnlySpan<byte> jpeg, out int orientation)
    {
        orientation = 1;
        if (jpeg.Length < 4 || jpeg[0] != 0xFF || jpeg[1] != 0xD8) return false;
        var position = 2;
        var seenExif = false;
        while (true)
        {
            if (position + 4 > jpeg.Length || jpeg[position] != 0xFF) return false;
            var marker = jpeg[position + 1];
            if (marker == 0xFF) { position++; continue; } // fill byte
            if (marker == 0xDA) return true; // start of scan: every header segment has been seen
            if (marker is 0x01 or >= 0xD0 and <= 0xD9) return false; // no stand-alone markers belong in a JPEG header
            var length = BinaryPrimitives.ReadUInt16BigEndian(jpeg[(position + 2)..]);
            if (length < 2 || position + 2 + length > jpeg.Length) return false;
            var segment = jpeg.Slice(position + 4, length - 2);
            if (marker == 0xE1 && segment.StartsWith("Exif"u8))
            {
                // libvips keeps one Exif block; which of several wins is its business, not ours to guess.
                if (seenExif || !TryReadTiff(segment, out orientation)) return false;
                seenExif = true;
            }
            position += 2 + length;
        }
    }

    private static bool TryReadTiff(ReadOnlySpan<byte> segment, out int orientation)
    {
        orientation = 1;
        if (!segment.StartsWith("Exif\0\0"u8)) return false;
        var tiff = segment[6..];
        if (tiff.Length < 8) return false;
        bool little;
        if (tiff[0] == (byte)'I' && tiff[1] == (byte)'I') little = true;
        else if (tiff[0] == (byte)'M' && tiff[1] == (byte)'M') little = false;
        else return false;
        if (ReadUInt16(tiff[2..], little) != 42) return false;
        var ifd = ReadUInt32(tiff[4..], little);
        if (ifd < 8 || ifd > tiff.Length - 2) return false;
        var entries = ReadUInt16(tiff[(int)ifd..], little);
        if ((long)ifd + 2 + entries * 12L > tiff.Length) return false;
        var found = false;
        for (var i = 0; i < entries; i++)
        {
            var entry = tiff.Slice((int)ifd + 2 + i * 12, 12);
            if (ReadUInt16(entry, little) != OrientationTag) continue;
            if (found || ReadUInt16(entry[2..], little) != ShortType || ReadUInt32(entry[4..], little) != 1) return false;
            orientation = ReadUInt16(entry[8..], little);
            if (orientation is < 1 or > 8) return false;
            found = true;
        }
        return true;
    }

    private static ushort ReadUInt16(ReadOnlySpan<byte> data, bool little) =>
        little ? BinaryPrimitives.ReadUInt16LittleEndian(data) : BinaryPrimitives.ReadUInt16BigEndian(data);

    private static uint ReadUInt32(ReadOnlySpan<byte> data, bool little) =>
        little ? BinaryPrimitives.ReadUInt32LittleEndian(data) : BinaryPrimitives.ReadUInt32BigEndian(data);
}
