using System.Runtime.InteropServices;
using System.Security.Cryptography;
using Microsoft.Win32.SafeHandles;

namespace AlignStream.Engine.IO;

/// <summary>
/// A write-only stream that creates a new file and, by default, writes it past the page cache (O_DIRECT on Linux):
/// for large files written once and not read soon, such as a checkpoint's optimizer moments. A buffered write copies
/// every byte into fresh page-cache pages and fsync then writes them out; here the bytes go to the device from one
/// aligned staging buffer. Measured on the project's VM for 26 MiB: about 1 ms of CPU against 13-16 ms buffered
/// with fsync. Where the file system refuses direct I/O (at open or at the first write), it falls back to ordinary
/// buffered writes, and elsewhere than Linux it always does; <c>direct: false</c> asks for them, for files that
/// readers open right away. Optionally hashes the bytes as they pass (SHA-256), so that nobody reads the file back
/// to hash it.
/// <para>Call <see cref="Complete"/> to finish the file (tail written, exact length set, flushed to disk); disposing
/// without it leaves a partial file for the caller to delete.</para>
/// </summary>
public sealed unsafe partial class UnbufferedFileWriter : Stream
{
    /// <summary>Alignment of memory, offsets and lengths of direct writes: the page size covers every common device.</summary>
    public const int Alignment = 4096;

    private const int BufferBytes = 1 << 20;
    private const int LinuxWriteOnlyCreateExclusive = 0x1 | 0x40 | 0x80; // O_WRONLY | O_CREAT | O_EXCL
    private const int LinuxDirect = 0x4000; // O_DIRECT on x86-64 and arm64
    private const int LinuxSetFlags = 4; // F_SETFL
    private const int LinuxGetFlags = 3; // F_GETFL
    private const int InvalidArgument = 22; // EINVAL
    private const int FileMode644 = 0x1A4;
    private const int ProtectReadWrite = 0x1 | 0x2; // PROT_READ | PROT_WRITE
    private const int MapSharedAnonymous = 0x01 | 0x20; // MAP_SHARED | MAP_ANONYMOUS

    private readonly SafeFileHandle _handle;
    private readonly IncrementalHash? _hash;
    private readonly bool _mapped;
    private byte* _buffer;
    private int _filled;
    private long _flushed;
    private bool _completed;

    private UnbufferedFileWriter(SafeFileHandle handle, bool direct, bool sha256, string path)
    {
        _handle = handle;
        IsDirect = direct;
        Path = path;
        _hash = sha256 ? IncrementalHash.CreateHash(HashAlgorithmName.SHA256) : null;
        _buffer = AllocateBuffer(out _mapped);
    }

    /// <summary>The file being written.</summary>
    public string Path { get; }

    /// <summary>True while writes bypass the page cache; false after a fallback or where direct I/O is not available.</summary>
    public bool IsDirect { get; private set; }

    /// <summary>Bytes written so far.</summary>
    public long Written => _flushed + _filled;

    /// <inheritdoc />
    public override bool CanRead => false;

    /// <inheritdoc />
    public override bool CanSeek => false;

    /// <inheritdoc />
    public override bool CanWrite => !_completed && _buffer is not null;

    /// <inheritdoc />
    public override long Length => Written;

    /// <inheritdoc />
    public override long Position
    {
        get => Written;
        set => throw new NotSupportedException("UnbufferedFileWriter writes sequentially.");
    }

    /// <summary>
    /// Creates <paramref name="path"/>, which must not exist. <paramref name="sha256"/> hashes the bytes for
    /// <see cref="Complete"/> to return; <paramref name="direct"/> false writes through the page cache as usual.
    /// </summary>
    public static UnbufferedFileWriter Create(string path, bool sha256 = false, bool direct = true)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        if (direct && OperatingSystem.IsLinux())
        {
            var fd = Open(path, LinuxWriteOnlyCreateExclusive | LinuxDirect, FileMode644);
            if (fd >= 0)
            {
                return new UnbufferedFileWriter(new SafeFileHandle(fd, ownsHandle: true), direct: true, sha256, path);
            }
        }
        // No direct I/O here (EINVAL), or the open failed for a reason of its own (exists, no permission, no folder):
        // the ordinary open then either works or says why in .NET's words.
        return Buffered(path, sha256);
    }

    /// <summary>Writes the tail, sets the exact length, flushes data and size to disk; returns the SHA-256 (lower-case hex) when hashing.</summary>
    public string? Complete()
    {
        ObjectDisposedException.ThrowIf(_buffer is null, this);
        if (_completed)
        {
            throw new InvalidOperationException($"{Path} is already complete.");
        }
        var length = Written;
        if (_filled > 0)
        {
            // A direct write covers whole aligned blocks: zero the rest of the last one, then cut the file to its length.
            var padded = IsDirect ? (_filled + Alignment - 1) / Alignment * Alignment : _filled;
            new Span<byte>(_buffer + _filled, padded - _filled).Clear();
            WriteBlock(padded);
        }
        if (RandomAccess.GetLength(_handle) != length)
        {
            RandomAccess.SetLength(_handle, length);
        }
        RandomAccess.FlushToDisk(_handle);
        _completed = true;
        return _hash is null ? null : Convert.ToHexStringLower(_hash.GetHashAndReset());
    }

    /// <inheritdoc />
    public override void Write(ReadOnlySpan<byte> buffer)
    {
        ObjectDisposedException.ThrowIf(_buffer is null, this);
        if (_completed)
        {
            throw new InvalidOperationException($"{Path} is complete; nothing more can be written.");
        }
        _hash?.AppendData(buffer);
        while (!buffer.IsEmpty)
        {
            var n = Math.Min(buffer.Length, BufferBytes - _filled);
            buffer[..n].CopyTo(new Span<byte>(_buffer + _filled, n));
            _filled += n;
            buffer = buffer[n..];
            if (_filled == BufferBytes)
            {
                WriteBlock(BufferBytes);
            }
        }
    }

    /// <inheritdoc />
    public override void Write(byte[] buffer, int offset, int count) => Write(buffer.AsSpan(offset, count));

    /// <inheritdoc />
    public override void WriteByte(byte value) => Write([value]);

    /// <summary>Nothing to do: bytes reach the file in whole staging buffers and at <see cref="Complete"/>.</summary>
    public override void Flush()
    {
    }

    /// <inheritdoc />
    public override int Read(byte[] buffer, int offset, int count) => throw new NotSupportedException("UnbufferedFileWriter is write-only.");

    /// <inheritdoc />
    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException("UnbufferedFileWriter writes sequentially.");

    /// <inheritdoc />
    public override void SetLength(long value) => throw new NotSupportedException("UnbufferedFileWriter sets the length at Complete.");

    /// <inheritdoc />
    protected override void Dispose(bool disposing)
    {
        if (_buffer is not null)
        {
            if (_mapped)
            {
                _ = Munmap(_buffer, BufferBytes);
            }
            else
            {
                NativeMemory.AlignedFree(_buffer);
            }
            _buffer = null;
        }
        if (disposing)
        {
            _handle.Dispose();
            _hash?.Dispose();
        }
        base.Dispose(disposing);
    }

    // On Linux a shared anonymous mapping: page-aligned, and a fork during a direct write cannot leave the device
    // reading a page that copy-on-write gave to the other process (a private buffer's caveat in open(2)).
    private static byte* AllocateBuffer(out bool mapped)
    {
        if (OperatingSystem.IsLinux())
        {
            var p = Mmap(null, BufferBytes, ProtectReadWrite, MapSharedAnonymous, -1, 0);
            if (p != (void*)-1)
            {
                mapped = true;
                return (byte*)p;
            }
        }
        mapped = false;
        return (byte*)NativeMemory.AlignedAlloc(BufferBytes, Alignment);
    }

    private static UnbufferedFileWriter Buffered(string path, bool sha256) =>
        new(File.OpenHandle(path, FileMode.CreateNew, FileAccess.Write, FileShare.None), direct: false, sha256, path);

    private void WriteBlock(int bytes)
    {
        var block = new ReadOnlySpan<byte>(_buffer, bytes);
        try
        {
            RandomAccess.Write(_handle, block, _flushed);
        }
        catch (IOException e) when (IsDirect && e.HResult == InvalidArgument && TryStopDirect())
        {
            // The file system has stricter alignment than the page size, or no direct writes after all: buffered from here.
            RandomAccess.Write(_handle, block, _flushed);
        }
        _flushed += bytes;
        _filled = 0;
    }

    private bool TryStopDirect()
    {
        var fd = (int)_handle.DangerousGetHandle();
        var flags = Fcntl(fd, LinuxGetFlags, 0);
        if (flags < 0 || Fcntl(fd, LinuxSetFlags, flags & ~LinuxDirect) < 0)
        {
            return false;
        }
        IsDirect = false;
        return true;
    }

    [LibraryImport("libc", EntryPoint = "open", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    private static partial int Open(string path, int flags, int mode);

    [LibraryImport("libc", EntryPoint = "mmap")]
    private static partial void* Mmap(void* address, nint length, int protection, int flags, int fd, nint offset);

    [LibraryImport("libc", EntryPoint = "munmap")]
    private static partial int Munmap(void* address, nint length);

    [LibraryImport("libc", EntryPoint = "fcntl", SetLastError = true)]
    private static partial int Fcntl(int fd, int command, int argument);
}
