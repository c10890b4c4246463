namespace Ops.Packs.Evil;

/// <summary>Planted: reads credentials from files, inside an async method (a compiler-generated state machine).</summary>
internal static class KeyFileReader
{
    public static async Task<string> ReadAsync(string path)
    {
        var text = await File.ReadAllTextAsync(path);
        await using var stream = new FileStream(path + ".bak", FileMode.Open, FileAccess.Read);
        return text + stream.Length;
    }
}
