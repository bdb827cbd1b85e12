using OnnxTransfer.Features.Inputs;
using OnnxTransfer.Imaging;
using OnnxTransfer.Text;
using OnnxTransfer.Text.Encoder;

namespace OnnxTransfer.Features.Backbones;

/// <summary>
/// How one input becomes model input, image or text, and the reason when it cannot: the same code for a backbone
/// (<see cref="Backbone.Reader"/>) and for a fused model composed from its spec, so both fail and prepare alike.
/// </summary>
public abstract class InputReader
{
    /// <summary>True for texts (tokenised), false for images (decoded and preprocessed).</summary>
    public abstract bool ReadsTexts { get; }
}

/// <summary>Images decoded and preprocessed (as the spec says) straight into a tensor slice.</summary>
public sealed class ImageInputReader(ImageDecoder decoder, ImagePreprocessor preprocessor) : InputReader
{
    public override bool ReadsTexts => false;

    public ImageDecoder Decoder { get; } = decoder;

    public ImagePreprocessor Preprocessor { get; } = preprocessor;

    /// <summary>Decodes and preprocesses an image input into <paramref name="destination"/> (thread-safe): null when it is ready, else why not (its own failure first).</summary>
    public InputFailure? Prepare(InputItem item, Span<float> destination)
    {
        ArgumentNullException.ThrowIfNull(item);
        if (item.Failure is { } failure) return failure;
        if (item.Text is not null)
            return new("not-an-image", $"{item.Source}: this model classifies images, but the input is a text; use a text model.");
        try
        {
            using var decoded = Decoder.Decode(item.Source, Preprocessor);
            Preprocessor.Process(decoded, destination);
            return null;
        }
        catch (Exception e) when (DescribeFailure(e, item.Source) is { } reason)
        {
            return reason;
        }
    }

    /// <summary>The error reason for <paramref name="e"/> (the cache's reason codes), or null when it is not an input's fault (then it must propagate).</summary>
    public static InputFailure? DescribeFailure(Exception e, string input) => e switch
    {
        ImageDecodeException decode => new(decode.ReasonCode, decode.Message),
        FileNotFoundException or DirectoryNotFoundException => new("not-found", $"{input}: no such file"),
        IOException or UnauthorizedAccessException => new("io-error", $"{input}: {e.Message}"),
        // Not expected from a well-formed decoder call; recorded so that one odd file never stops a long run.
        VipsException or ArgumentException or InvalidOperationException => new("decode-failed", $"{input}: {e.GetType().Name}: {e.Message}"),
        _ => null,
    };
}

/// <summary>Texts tokenised with a length limit and an over-length policy (truncated and flagged, or refused).</summary>
public sealed class TextInputReader(EncoderInputBuilder encoder) : InputReader
{
    public override bool ReadsTexts => true;

    public EncoderInputBuilder Encoder { get; } = encoder;

    /// <summary>Tokenises a text input (thread-safe): its tokens, or why it cannot be used (its own failure first).</summary>
    public (TokenEncoding? Encoding, InputFailure? Failure) Prepare(InputItem item)
    {
        ArgumentNullException.ThrowIfNull(item);
        if (item.Failure is { } failure) return (null, failure);
        if (item.Text is null)
            return (null, new("not-a-text", $"{item.Source}: this model classifies texts; read the inputs as a text file (.txt, .csv, .tsv, .jsonl or .parquet)."));
        var row = Encoder.Encode(item.Text);
        return row.Encoding is { } encoding ? (encoding, null) : (null, new InputFailure(row.ErrorCode ?? "encode-failed", $"{item.Source}: {row.Error}"));
    }
}
