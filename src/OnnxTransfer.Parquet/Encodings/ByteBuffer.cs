using System.Buffers;
using System.Buffers.Binary;
using System.Runtime.InteropServices;

namespace OnnxTransfer.Parquet.Encodings;

/// <summary>A growable byte buffer reused across pages, so encoding a page allocates nothing once it has grown.</summary>
internal sealed class ByteBuffer
{
    private byte[] _buffer;
    private int _length;

    public ByteBuffer(int initialCapacity = 1024) => _buffer = new byte[Math.Max(16, initialCapacity)];

    public int Length => _length;

    public Span<byte> WrittenSpan => _buffer.AsSpan(0, _length);

    public byte[] RawBuffer => _buffer;

    public void Clear() => _length = 0;

    /// <summary>Drops everything after <paramref name="length"/> (used to undo a tentative write).</summary>
    public void Truncate(int length) => _length = length;

    /// <summary>Makes <paramref name="count"/> bytes available at the end and returns them; the caller fills them.</summary>
    public Span<byte> Reserve(int count)
    {
        EnsureCapacity(_length + (long)count);
        var span = _buffer.AsSpan(_length, count);
        _length += count;
        return span;
    }

    public void EnsureCapacity(long capacity)
    {
        if (capacity <= _buffer.Length) return;
        if (capacity > Array.MaxLength) throw new InvalidOperationException($"A Parquet page or chunk buffer would exceed {Array.MaxLength} bytes; use smaller row groups or pages.");
        var newSize = (int)Math.Min(Array.MaxLength, Math.Max(capacity, (long)_buffer.Length * 2));
        Array.Resize(ref _buffer, newSize);
    }

    public void WriteByte(byte value) => Reserve(1)[0] = value;

    public void Write(ReadOnlySpan<byte> bytes) => bytes.CopyTo(Reserve(bytes.Length));

    public void WriteInt32(int value) => BinaryPrimitives.WriteInt32LittleEndian(Reserve(4), value);

    public void WriteValues<T>(ReadOnlySpan<T> values) where T : unmanaged => Write(MemoryMarshal.AsBytes(values));

    public void WriteUleb128(ulong value)
    {
        while (value >= 0x80)
        {
            WriteByte((byte)(value | 0x80));
            value >>= 7;
        }
        WriteByte((byte)value);
    }

    /// <summary>Overwrites four bytes at <paramref name="position"/> (a length prefix written before its data was known).</summary>
    public void PatchInt32(int position, int value) => BinaryPrimitives.WriteInt32LittleEndian(_buffer.AsSpan(position, 4), value);

    public void PatchByte(int position, byte value) => _buffer[position] = value;
}

/// <summary>A growable array of <typeparamref name="T"/> with its count, for decoded values whose total is not known up front.</summary>
internal sealed class GrowableArray<T>
{
    private T[] _items;

    public GrowableArray(int initialCapacity) => _items = new T[Math.Max(4, initialCapacity)];

    public int Count { get; private set; }

    public T[] RawItems => _items;

    public Span<T> Written => _items.AsSpan(0, Count);

    /// <summary>Appends <paramref name="count"/> slots and returns them for the caller to fill.</summary>
    public Span<T> Append(int count)
    {
        var needed = (long)Count + count;
        if (needed > _items.Length)
        {
            if (needed > Array.MaxLength) throw new CorruptDataException($"a column chunk holds more than {Array.MaxLength} values");
            Array.Resize(ref _items, (int)Math.Min(Array.MaxLength, Math.Max(needed, (long)_items.Length * 2)));
        }
        var span = _items.AsSpan(Count, count);
        Count += count;
        return span;
    }

    /// <summary>The items, trimmed to <see cref="Count"/> (a copy only when the backing array is larger).</summary>
    public T[] ToArray()
    {
        if (_items.Length == Count) return _items;
        return _items.AsSpan(0, Count).ToArray();
    }
}

/// <summary>Pooled scratch space that goes back to the pool on dispose.</summary>
internal struct PooledBuffer<T> : IDisposable
{
    private T[]? _array;

    public PooledBuffer(int minimumLength) => _array = ArrayPool<T>.Shared.Rent(Math.Max(1, minimumLength));

    public readonly T[] Array => _array ?? throw new ObjectDisposedException(nameof(PooledBuffer<T>));

    public readonly Span<T> Span(int length) => Array.AsSpan(0, length);

    /// <summary>Makes the buffer at least <paramref name="minimumLength"/> long, dropping its contents.</summary>
    public void EnsureLength(int minimumLength)
    {
        if (_array is not null && _array.Length >= minimumLength) return;
        if (_array is not null) ArrayPool<T>.Shared.Return(_array);
        _array = ArrayPool<T>.Shared.Rent(Math.Max(1, minimumLength));
    }

    public void Dispose()
    {
        if (_array is null) return;
        ArrayPool<T>.Shared.Return(_array);
        _array = null;
    }
}
