using OnnxTransfer.Features.Specs;
using OnnxTransfer.Formats;
using OnnxTransfer.Onnx;

namespace OnnxTransfer.Features.Backbones;

/// <summary>
/// The inputs a text encoder declares and OnnxTransfer feeds: token ids (<c>input_ids</c>, or the spec's
/// <c>input.name</c>), and <c>attention_mask</c> / <c>token_type_ids</c> when the model has them — all int64 or all
/// int32, [batch, sequence]. A fixed sequence length makes every batch that long; a fixed batch size makes every run
/// that big (short batches are filled with repeats whose outputs are dropped).
/// </summary>
/// <param name="InputIds">Name of the token-id input.</param>
/// <param name="AttentionMask">Name of the attention-mask input, or null when the model has none.</param>
/// <param name="TokenTypeIds">Name of the segment-id input, or null when the model has none.</param>
/// <param name="ElementType">Int64 or Int32.</param>
/// <param name="FixedBatchSize">The batch size the model requires; null when any size runs.</param>
/// <param name="FixedSequenceLength">The sequence length the model requires; null when any length runs.</param>
public sealed record TextEncoderInputs(string InputIds, string? AttentionMask, string? TokenTypeIds, OnnxDataType ElementType,
    int? FixedBatchSize, int? FixedSequenceLength)
{
    public const string DefaultInputIds = "input_ids";
    public const string AttentionMaskName = "attention_mask";
    public const string TokenTypeIdsName = "token_type_ids";

    /// <summary>The input names in the order they are fed.</summary>
    public string[] Names => [InputIds, .. AttentionMask is null ? Array.Empty<string>() : [AttentionMask], .. TokenTypeIds is null ? Array.Empty<string>() : [TokenTypeIds]];

    /// <summary>Reads and checks the model's inputs against what a BERT-family encoder takes.</summary>
    /// <exception cref="BackboneSpecException">Missing ids input, an input OnnxTransfer cannot feed, wrong type or rank.</exception>
    public static TextEncoderInputs Of(OnnxModel model, BackboneSpec spec, int maxLength)
    {
        var inputs = model.Inputs;
        var names = string.Join(", ", inputs.Select(i => $"'{i}'"));
        var idsName = spec.InputName ?? DefaultInputIds;
        var ids = inputs.FirstOrDefault(i => i.Name == idsName)
                  ?? throw new BackboneSpecException(
                      $"Backbone '{spec.Name}': the model has no input '{idsName}'; its inputs are {names}. A BERT-family encoder takes " +
                      "input_ids (and attention_mask, token_type_ids): name the token-id input in input.name.");
        var mask = inputs.FirstOrDefault(i => i.Name == AttentionMaskName);
        var types = inputs.FirstOrDefault(i => i.Name == TokenTypeIdsName);
        var unknown = inputs.Where(i => i != ids && i != mask && i != types).ToList();
        if (unknown.Count > 0)
            throw new BackboneSpecException(
                $"Backbone '{spec.Name}': the model also needs {string.Join(", ", unknown.Select(i => $"'{i}'"))}, which OnnxTransfer does not feed " +
                $"(it feeds '{idsName}', '{AttentionMaskName}' and '{TokenTypeIdsName}'). Export the encoder with only those inputs.");

        var elementType = ids.ElementType;
        foreach (var input in new[] { ids, mask, types })
        {
            if (input is null) continue;
            if (input.ElementType is not (OnnxDataType.Int64 or OnnxDataType.Int32))
                throw new BackboneSpecException(
                    $"Backbone '{spec.Name}': input '{input}' takes {input.ElementType.DisplayName()}; token inputs are int64 or int32.");
            if (input.ElementType != elementType)
                throw new BackboneSpecException(
                    $"Backbone '{spec.Name}': inputs {names} mix int64 and int32; export the encoder with one integer type for all of them.");
            if (input.Shape is { Rank: not 2 } shape)
                throw new BackboneSpecException($"Backbone '{spec.Name}': input '{input.Name}' has shape {shape}; token inputs are [batch, sequence].");
        }

        int? fixedBatch = null, fixedLength = null;
        if (ids.Shape is { } s)
        {
            if (s[0].Value is { } batch)
            {
                if (batch < 1) throw new BackboneSpecException($"Backbone '{spec.Name}': input '{ids.Name}' declares a batch of {batch}.");
                fixedBatch = checked((int)batch);
            }
            if (s[1].Value is { } length)
            {
                if (length < maxLength)
                    throw new BackboneSpecException(
                        $"Backbone '{spec.Name}': the model takes exactly {length} tokens per text but text.max_length is {maxLength}: " +
                        $"set text.max_length to at most {length}, or export the encoder with a dynamic sequence axis.");
                fixedLength = checked((int)length);
            }
        }
        if (mask is null && fixedLength is not null)
            throw new BackboneSpecException(
                $"Backbone '{spec.Name}': the model pads every text to {fixedLength} tokens but has no attention_mask input to ignore the padding. " +
                "Export it with an attention_mask input or a dynamic sequence axis.");
        return new TextEncoderInputs(ids.Name, mask?.Name, types?.Name, elementType, fixedBatch, fixedLength);
    }
}
