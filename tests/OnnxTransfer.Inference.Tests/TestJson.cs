using System.Text.Json.Serialization;

namespace OnnxTransfer.Inference.Tests;

/// <summary>Source-generated JSON for the tests (no reflection).</summary>
[JsonSerializable(typeof(string[]))]
internal sealed partial class TestJson : JsonSerializerContext;
