namespace OnnxTransfer.Text.Tokenization;

/// <summary>One piece of a post-processing template: a special token or one of the input sequences, with its type id.</summary>
/// <param name="Sequence">-1 for special tokens, 0 for the first sequence (A), 1 for the pair (B).</param>
internal readonly record struct TemplatePiece(int Sequence, int TypeId, SpecialToken[] Specials)
{
    public static TemplatePiece Special(SpecialToken token, int typeId) => new(-1, typeId, [token]);

    public static TemplatePiece Input(int sequence, int typeId) => new(sequence, typeId, []);
}

/// <summary>
/// Hugging Face's <c>TemplateProcessing</c> (BERT: <c>[CLS] A [SEP]</c> and <c>[CLS] A [SEP] B [SEP]</c> with type ids
/// 0 and 1): where special tokens go and which type id each part gets.
/// </summary>
internal sealed class SequenceTemplate(TemplatePiece[] single, TemplatePiece[] pair)
{
    public TemplatePiece[] Single { get; } = single;
    public TemplatePiece[] Pair { get; } = pair;

    /// <summary>How many special tokens the template adds (what truncation must leave room for).</summary>
    public int AddedTokenCount(bool isPair)
    {
        var count = 0;
        foreach (var piece in isPair ? Pair : Single) count += piece.Specials.Length;
        return count;
    }

    public static SequenceTemplate Bert(SpecialToken classifier, SpecialToken separator) => new(
        [TemplatePiece.Special(classifier, 0), TemplatePiece.Input(0, 0), TemplatePiece.Special(separator, 0)],
        [TemplatePiece.Special(classifier, 0), TemplatePiece.Input(0, 0), TemplatePiece.Special(separator, 0),
         TemplatePiece.Input(1, 1), TemplatePiece.Special(separator, 1)]);

    /// <summary>No special tokens at all (a <c>tokenizer.json</c> without post-processor): A then B, type ids 0 and 1.</summary>
    public static SequenceTemplate None { get; } = new([TemplatePiece.Input(0, 0)], [TemplatePiece.Input(0, 0), TemplatePiece.Input(1, 1)]);
}
