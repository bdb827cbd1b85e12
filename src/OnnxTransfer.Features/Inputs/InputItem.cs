namespace OnnxTransfer.Features.Inputs;

/// <summary>Why an input could not even be attempted (e.g. a manifest row without a path); it becomes an error row.</summary>
/// <param name="Code">A short code, e.g. <c>bad-manifest-row</c>.</param>
/// <param name="Message">What is wrong and where.</param>
public sealed record InputFailure(string Code, string Message);

/// <summary>
/// One input of an extraction run: an image file, or a text (<see cref="Text"/> set).
/// </summary>
/// <param name="Id">Stable id: the path relative to the input folder ('/'-separated), or the manifest's id (its path by default);
/// for texts the input's id field, else its line (row) number in the file.</param>
/// <param name="Source">The file to read (absolute); for texts <c>FILE:LINE</c> (<c>FILE row N</c> for Parquet).</param>
/// <param name="Label">The class label, from the folder or the manifest; null when unknown.</param>
/// <param name="Split">train, val, … from the folder or the manifest; null when none.</param>
/// <param name="Failure">Set when the input is unusable before decoding (it is written as an error row).</param>
/// <param name="Text">The text itself, for text inputs (<see cref="TextInputFiles"/>); null for images and for failed rows.</param>
public sealed record InputItem(string Id, string Source, string? Label, string? Split, InputFailure? Failure = null, string? Text = null);

/// <summary>A bad input folder or manifest, refused before any work starts; the message names the fix.</summary>
public sealed class InputSourceException(string message) : OnnxTransferException(message);
