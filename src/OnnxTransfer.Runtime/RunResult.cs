using System.Collections;

namespace OnnxTransfer.Runtime;

/// <summary>
/// The outputs of one <see cref="InferenceSession"/> run, in the order asked for, in ORT-owned memory that is read in
/// place. Disposing the result releases every output; spans taken from them must not be used afterwards.
/// </summary>
public sealed class RunResult : IReadOnlyList<OrtValue>, IDisposable
{
    private readonly string[] _names;
    private readonly OrtValue[] _values;

    internal RunResult(string[] names, OrtValue[] values)
    {
        _names = names;
        _values = values;
    }

    public IReadOnlyList<string> Names => _names;

    public int Count => _values.Length;

    public OrtValue this[int index] => _values[index];

    /// <summary>The output of that name.</summary>
    public OrtValue this[string name]
    {
        get
        {
            var index = Array.IndexOf(_names, name);
            if (index < 0) throw new KeyNotFoundException($"No output named '{name}' in this result; it holds {string.Join(", ", _names.Select(n => $"'{n}'"))}.");
            return _values[index];
        }
    }

    public IEnumerator<OrtValue> GetEnumerator() => ((IEnumerable<OrtValue>)_values).GetEnumerator();

    IEnumerator IEnumerable.GetEnumerator() => GetEnumerator();

    public void Dispose()
    {
        foreach (var value in _values) value?.Dispose();
    }
}
