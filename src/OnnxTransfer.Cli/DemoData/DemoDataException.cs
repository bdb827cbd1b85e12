namespace OnnxTransfer.Cli.DemoData;

/// <summary>The demo data could not be fetched or did not verify; the message names the file and what to do.</summary>
public sealed class DemoDataException(string message) : OnnxTransferException(message);
