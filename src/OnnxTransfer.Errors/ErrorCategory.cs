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
}
