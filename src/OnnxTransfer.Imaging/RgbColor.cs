namespace OnnxTransfer.Imaging;

/// <summary>An 8-bit sRGB colour (a background to flatten alpha on, a letterbox fill).</summary>
public readonly record struct RgbColor(byte R, byte G, byte B)
{
    public static RgbColor White => new(255, 255, 255);
    public static RgbColor Black => new(0, 0, 0);
}
