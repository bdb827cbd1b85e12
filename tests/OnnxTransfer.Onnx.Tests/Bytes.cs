namespace OnnxTransfer.Onnx.Tests;

internal static class Bytes
{
    /// <summary>Fast equality of large byte arrays (NUnit's collection constraint compares element by element, boxed).</summary>
    public static void AssertEqual(ReadOnlySpan<byte> actual, ReadOnlySpan<byte> expected, string? what = null)
    {
        if (actual.SequenceEqual(expected)) return;
        var common = Math.Min(actual.Length, expected.Length);
        var first = 0;
        while (first < common && actual[first] == expected[first]) first++;
        Assert.Fail($"{what ?? "bytes"} differ: lengths {actual.Length} vs expected {expected.Length}, first difference at offset {first}.");
    }
}
