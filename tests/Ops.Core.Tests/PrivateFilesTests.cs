using Ops.Core.Storage;
using Ops.Testing;

namespace Ops.Core.Tests;

/// <summary>Issue 7 item 7: private files are 0600 (folders 0700) from the call that creates them.</summary>
public sealed class PrivateFilesTests
{
    private const UnixFileMode OwnerOnlyFile = UnixFileMode.UserRead | UnixFileMode.UserWrite;

    [Fact]
    public void OpenNew_FileIs0600BeforeTheFirstByte_AndFolder0700()
    {
        if (OperatingSystem.IsWindows())
        {
            return;
        }

        var folder = Path.Combine(Path.GetTempPath(), "ops-tests", Guid.NewGuid().ToString("N"), "nested");
        var path = Path.Combine(folder, "secret.pem");
        using (var stream = PrivateFiles.OpenNew(path))
        {
            // Nothing written yet: the mode is already owner-only, so there is no window to open it in.
            Assert.Equal(0, stream.Length);
            Assert.Equal(OwnerOnlyFile, File.GetUnixFileMode(path));
        }

        Assert.Equal(PrivateFiles.DirectoryMode, File.GetUnixFileMode(folder));
        Assert.Throws<IOException>(() => PrivateFiles.WriteNew(path, "overwrite"));
        Directory.Delete(Path.GetDirectoryName(folder)!, recursive: true);
    }

    [Fact]
    public async Task Database_MainWalAndShmFiles_AreAll0600()
    {
        if (OperatingSystem.IsWindows())
        {
            return;
        }

        await using var h = await KernelHarness.StartAsync();

        // The kernel holds its writer connection open, so the WAL and shared-memory files exist now.
        foreach (var suffix in new[] { string.Empty, "-wal", "-shm" })
        {
            Assert.True(File.Exists(h.DatabasePath + suffix), suffix);
            Assert.Equal(OwnerOnlyFile, File.GetUnixFileMode(h.DatabasePath + suffix));
        }
    }
}
