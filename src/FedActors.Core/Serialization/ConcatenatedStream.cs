namespace FedActors.Core.Serialization;

/// <summary>
/// Reads several byte blocks one after another as one stream, without copying them into one
/// array: how <see cref="ProtocolSerializer.FromParts"/> reads a request whose model a node holds
/// once for all its clients. Read only, forward only; its length and position are known.
/// </summary>
internal sealed class ConcatenatedStream(IReadOnlyList<ReadOnlyMemory<byte>> parts) : Stream
{
    private int _part;
    private int _offset;
    private long _position;

    /// <inheritdoc />
    public override bool CanRead => true;

    /// <inheritdoc />
    public override bool CanSeek => false;

    /// <inheritdoc />
    public override bool CanWrite => false;

    /// <inheritdoc />
    public override long Length { get; } = parts.Sum(p => (long)p.Length);

    /// <inheritdoc />
    public override long Position
    {
        get => _position;
        set => throw new NotSupportedException("a concatenated stream reads forward only");
    }

    /// <inheritdoc />
    public override int Read(Span<byte> buffer)
    {
        var read = 0;
        while (read < buffer.Length && _part < parts.Count)
        {
            var rest = parts[_part].Span[_offset..];
            var n = Math.Min(rest.Length, buffer.Length - read);
            rest[..n].CopyTo(buffer[read..]);
            read += n;
            _offset += n;
            if (_offset == parts[_part].Length)
            {
                _part++;
                _offset = 0;
            }
        }

        _position += read;
        return read;
    }

    /// <inheritdoc />
    public override int Read(byte[] buffer, int offset, int count) => Read(buffer.AsSpan(offset, count));

    /// <inheritdoc />
    public override int ReadByte()
    {
        Span<byte> one = stackalloc byte[1];
        return Read(one) == 1 ? one[0] : -1;
    }

    /// <inheritdoc />
    public override void Flush()
    {
    }

    /// <inheritdoc />
    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException("a concatenated stream reads forward only");

    /// <inheritdoc />
    public override void SetLength(long value) => throw new NotSupportedException("a concatenated stream is read only");

    /// <inheritdoc />
    public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException("a concatenated stream is read only");
}
