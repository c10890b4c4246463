namespace Ops.Host.Tests;

/// <summary>
/// Issue 7 item 7: private keys live outside the worker's working folder by default, and every private
/// key file and database file is created 0600 (folders 0700) by the call that creates it.
/// </summary>
public sealed class PrivateFileModeTests : IDisposable
{
    private const UnixFileMode OwnerOnlyFile = UnixFileMode.UserRead | UnixFileMode.UserWrite;
    private const UnixFileMode OwnerOnlyFolder = UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute;
    private readonly string _work = Directory.CreateTempSubdirectory("ops-modes-").FullName;

    [Fact]
    public async Task Init_WritesAdminKeyToUserConfigFolder_Mode0600_NotIntoTheWorkingFolder()
    {
        var (code, output) = await HostProcess.RunCliAsync(_work, null, "init");

        Assert.Equal(0, code);
        var folder = HostProcess.UserConfigFolder(_work);
        var key = Path.Combine(folder, "admin-signer.pem");
        Assert.Contains(key, output, StringComparison.Ordinal);
        Assert.Empty(Directory.GetFiles(_work, "*.pem"));
        if (!OperatingSystem.IsWindows())
        {
            Assert.Equal(OwnerOnlyFile, File.GetUnixFileMode(key));
            Assert.Equal(OwnerOnlyFolder, File.GetUnixFileMode(folder));
            Assert.Equal(OwnerOnlyFile, File.GetUnixFileMode(Path.Combine(_work, "data", "ops.db")));
            Assert.Equal(OwnerOnlyFolder, File.GetUnixFileMode(Path.Combine(_work, "data")));
        }

        // The CLI finds the acting actor's key there by default: a consented change works without --key.
        var (addCode, addOutput) = await HostProcess.RunCliAsync(_work, null, "actors", "add", "bob");
        Assert.True(addCode == 0, addOutput);
    }

    [Fact]
    public async Task KeysNew_CreatesTheFile0600()
    {
        var path = Path.Combine(_work, "bob.pem");

        var (code, output) = await HostProcess.RunCliAsync(_work, null, "keys", "new", "--out", path);

        Assert.True(code == 0, output);
        if (!OperatingSystem.IsWindows())
        {
            Assert.Equal(OwnerOnlyFile, File.GetUnixFileMode(path));
        }

        var (again, againOutput) = await HostProcess.RunCliAsync(_work, null, "keys", "new", "--out", path);
        Assert.Equal(1, again);
        Assert.Contains("refusing to overwrite", againOutput, StringComparison.Ordinal);
    }

    public void Dispose()
    {
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        Directory.Delete(_work, recursive: true);
    }
}
