using System.Runtime.InteropServices;

namespace AlignStream.Platform.IO;

/// <summary>Hard links, which .NET does not offer: a second name for a file's data, with no copy.</summary>
public static partial class FileLinks
{
    /// <summary>
    /// Makes <paramref name="link"/> a second name for the file <paramref name="existing"/>; false where the OS or file
    /// system does not allow it (another file system, no link support, the name taken, not Linux). Only for files that
    /// are never changed in place: both names see every change.
    /// </summary>
    public static bool TryHardLink(string existing, string link)
    {
        ArgumentException.ThrowIfNullOrEmpty(existing);
        ArgumentException.ThrowIfNullOrEmpty(link);
        return OperatingSystem.IsLinux() && Link(existing, link) == 0;
    }

    [LibraryImport("libc", EntryPoint = "link", StringMarshalling = StringMarshalling.Utf8)]
    private static partial int Link(string existing, string link);
}
