using System.Security.Cryptography;
using System.Text;

namespace DapperTenants.Registry;

/// <summary>
/// Moves one table's COPY text between the database and an archive entry, a buffer at a time (never a whole table in
/// memory), hashing the UTF-8 bytes and counting the rows (lines: COPY text escapes newlines inside values).
/// </summary>
internal sealed class ArchiveCopy : IDisposable
{
    private const int BufferChars = 16 * 1024;
    private static readonly UTF8Encoding Utf8 = new(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true);

    private readonly IncrementalHash _hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
    private readonly char[] _chars = new char[BufferChars];
    private readonly byte[] _bytes = new byte[Utf8.GetMaxByteCount(BufferChars)];

    public long Rows { get; private set; }

    public string Sha256 => Convert.ToHexStringLower(_hash.GetHashAndReset());

    /// <summary>From the database (COPY TO) into an archive entry.</summary>
    public async Task ExportAsync(TextReader copy, Stream entry, CancellationToken cancellationToken)
    {
        var encoder = Utf8.GetEncoder();
        int read;
        while ((read = await copy.ReadAsync(_chars.AsMemory(), cancellationToken).ConfigureAwait(false)) > 0)
        {
            Rows += _chars.AsSpan(0, read).Count('\n');
            var length = encoder.GetBytes(_chars, 0, read, _bytes, 0, flush: false);
            _hash.AppendData(_bytes, 0, length);
            await entry.WriteAsync(_bytes.AsMemory(0, length), cancellationToken).ConfigureAwait(false);
        }

        var last = encoder.GetBytes([], 0, 0, _bytes, 0, flush: true);
        _hash.AppendData(_bytes, 0, last);
        await entry.WriteAsync(_bytes.AsMemory(0, last), cancellationToken).ConfigureAwait(false);
    }

    /// <summary>From the database (COPY TO) into an archive entry.</summary>
    public void Export(TextReader copy, Stream entry)
    {
        var encoder = Utf8.GetEncoder();
        int read;
        while ((read = copy.Read(_chars, 0, _chars.Length)) > 0)
        {
            Rows += _chars.AsSpan(0, read).Count('\n');
            var length = encoder.GetBytes(_chars, 0, read, _bytes, 0, flush: false);
            _hash.AppendData(_bytes, 0, length);
            entry.Write(_bytes, 0, length);
        }

        var last = encoder.GetBytes([], 0, 0, _bytes, 0, flush: true);
        _hash.AppendData(_bytes, 0, last);
        entry.Write(_bytes, 0, last);
    }

    /// <summary>From an archive entry into the database (COPY FROM).</summary>
    public void Import(Stream entry, TextWriter copy)
    {
        var decoder = Utf8.GetDecoder();
        int read;
        var buffer = new byte[BufferChars];
        while ((read = entry.Read(buffer, 0, buffer.Length)) > 0)
        {
            _hash.AppendData(buffer, 0, read);
            Rows += buffer.AsSpan(0, read).Count((byte)'\n');
            var length = decoder.GetChars(buffer, 0, read, _chars, 0, flush: false);
            copy.Write(_chars, 0, length);
        }

        var last = decoder.GetChars([], 0, 0, _chars, 0, flush: true);
        copy.Write(_chars, 0, last);
    }

    /// <summary>From an archive entry into the database (COPY FROM).</summary>
    public async Task ImportAsync(Stream entry, TextWriter copy, CancellationToken cancellationToken)
    {
        var decoder = Utf8.GetDecoder();
        int read;
        var buffer = new byte[BufferChars];
        while ((read = await entry.ReadAsync(buffer.AsMemory(), cancellationToken).ConfigureAwait(false)) > 0)
        {
            _hash.AppendData(buffer, 0, read);
            Rows += buffer.AsSpan(0, read).Count((byte)'\n');
            var length = decoder.GetChars(buffer, 0, read, _chars, 0, flush: false);
            await copy.WriteAsync(_chars.AsMemory(0, length), cancellationToken).ConfigureAwait(false);
        }

        var last = decoder.GetChars([], 0, 0, _chars, 0, flush: true);
        await copy.WriteAsync(_chars.AsMemory(0, last), cancellationToken).ConfigureAwait(false);
    }

    public void Dispose() => _hash.Dispose();
}
