using System.Runtime.InteropServices;

namespace AlignStream.Trainer.Checkpoints;

/// <summary>
/// fsync of files and directories. A checkpoint is only durable once its files AND the directory entry of the
/// rename are on disk; .NET has no directory fsync, so Linux gets it through libc.
/// </summary>
internal static partial class FileSync
{
    private const int ReadOnlyDirectory = 0x10000; // O_RDONLY | O_DIRECTORY on Linux

    /// <summary>Flushes a file's data to disk.</summary>
    public static void File(string path)
    {
        using var stream = new FileStream(path, FileMode.Open, FileAccess.ReadWrite, FileShare.ReadWrite);
        stream.Flush(flushToDisk: true);
    }

    /// <summary>Flushes every file under <paramref name="directory"/> (recursively), then the directories themselves.</summary>
    public static void Tree(string directory)
    {
        foreach (var file in System.IO.Directory.EnumerateFiles(directory, "*", SearchOption.AllDirectories))
        {
            File(file);
        }
        foreach (var sub in System.IO.Directory.EnumerateDirectories(directory, "*", SearchOption.AllDirectories))
        {
            Directory(sub);
        }
        Directory(directory);
    }

    /// <summary>Flushes a directory's entries (renames, creations) to disk where the OS allows it.</summary>
    public static void Directory(string path)
    {
        if (!OperatingSystem.IsLinux())
        {
            return;
        }
        var fd = Open(path, ReadOnlyDirectory);
        if (fd < 0)
        {
            return;
        }
        try
        {
            _ = Fsync(fd);
        }
        finally
        {
            _ = Close(fd);
        }
    }

    [LibraryImport("libc", EntryPoint = "open", StringMarshalling = StringMarshalling.Utf8)]
    private static partial int Open(string path, int flags);

    [LibraryImport("libc", EntryPoint = "fsync")]
    private static partial int Fsync(int fd);

    [LibraryImport("libc", EntryPoint = "close")]
    private static partial int Close(int fd);
}
