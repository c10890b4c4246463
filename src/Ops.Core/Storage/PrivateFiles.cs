using System.Text;

namespace Ops.Core.Storage;

/// <summary>
/// The one way the kernel and its CLI create files and folders that must stay private to the user
/// (issue 7 item 7): private keys, databases, the per-user configuration folder. A file is created
/// with mode 0600 and a folder with 0700 by the call that creates it, so there is no moment in which
/// another user could open it; nothing is created world-readable and chmod-ed afterwards. On Windows
/// the modes do not apply and the files inherit the folder's ACL.
/// </summary>
public static class PrivateFiles
{
    /// <summary>rw for the owner only (0600).</summary>
    public const UnixFileMode FileMode = UnixFileMode.UserRead | UnixFileMode.UserWrite;

    /// <summary>rwx for the owner only (0700).</summary>
    public const UnixFileMode DirectoryMode = UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute;

    /// <summary>Creates <paramref name="path"/> (and missing parents) with mode 0700; an existing folder is left as it is.</summary>
    public static void CreateDirectory(string path)
    {
        if (Directory.Exists(path))
        {
            return;
        }

        if (OperatingSystem.IsWindows())
        {
            Directory.CreateDirectory(path);
        }
        else
        {
            Directory.CreateDirectory(path, DirectoryMode);
        }
    }

    /// <summary>
    /// Creates a new file with mode 0600 from the first byte and writes <paramref name="content"/> (UTF-8, no BOM).
    /// Throws <see cref="IOException"/> when the file exists: a private file is never overwritten.
    /// </summary>
    public static void WriteNew(string path, string content)
    {
        using var stream = OpenNew(path);
        var bytes = new UTF8Encoding(false).GetBytes(content);
        stream.Write(bytes);
        stream.Flush(flushToDisk: true);
    }

    /// <summary>Creates an empty file with mode 0600 unless it exists (a database file before SQLite opens it).</summary>
    /// <returns>Whether this call created it.</returns>
    public static bool EnsureExists(string path)
    {
        if (File.Exists(path))
        {
            return false;
        }

        try
        {
            using var stream = OpenNew(path);
            return true;
        }
        catch (IOException) when (File.Exists(path))
        {
            // Created by someone else between the check and the open: theirs stands.
            return false;
        }
    }

    /// <summary>A new file, created exclusively (O_CREAT|O_EXCL) with mode 0600, its folder created 0700 when missing.</summary>
    public static FileStream OpenNew(string path)
    {
        var folder = Path.GetDirectoryName(Path.GetFullPath(path));
        if (!string.IsNullOrEmpty(folder))
        {
            CreateDirectory(folder);
        }

        var options = new FileStreamOptions { Mode = System.IO.FileMode.CreateNew, Access = FileAccess.Write, Share = FileShare.None };
        if (!OperatingSystem.IsWindows())
        {
            options.UnixCreateMode = FileMode;
        }

        return new FileStream(path, options);
    }
}
