namespace OnnxTransfer.Features.Cache;

/// <summary>An input that could not be embedded, as stored in the cache's <c>_errors/</c> parts.</summary>
/// <param name="Id">The input's id.</param>
/// <param name="Source">The file (or manifest) it was read from.</param>
/// <param name="Label">Its label, when known.</param>
/// <param name="Split">Its split, when known.</param>
/// <param name="Reason">A short code: <c>truncated</c>, <c>not-an-image</c>, <c>not-found</c>, <c>bad-manifest-row</c>, …</param>
/// <param name="Message">What went wrong, for people.</param>
public sealed record ErrorRow(string Id, string Source, string? Label, string? Split, string Reason, string Message);
