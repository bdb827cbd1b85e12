namespace OnnxTransfer.Text;

/// <summary>A tokenizer file or setting that cannot be used; the message says what is wrong and what to do.</summary>
public sealed class TokenizerConfigurationException : OnnxTransferException
{
    public TokenizerConfigurationException(string message) : base(message) { }

    public TokenizerConfigurationException(string message, Exception inner) : base(message, innerException: inner) { }
}
