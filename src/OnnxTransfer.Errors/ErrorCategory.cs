namespace OnnxTransfer;

/// <summary>
/// Whose fix an error needs, so a front end can say so without knowing the module that threw (the CLI turns it into
/// its exit code).
/// </summary>
public enum ErrorCategory
{
    /// <summary>A file, model, cache or setting given is missing or unusable (CLI exit code 2).</summary>
    InvalidInput,

    /// <summary>The request itself is wrong: contradicting or missing options (CLI exit code 1).</summary>
    InvalidUsage,

    /// <summary>
    /// A requested accelerator cannot start (a provider, driver or library is missing); a front end names its own way to
    /// run on CPU instead (CLI exit code 2).
    /// </summary>
    DeviceUnavailable,
}
