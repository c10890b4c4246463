namespace Ops.Core.Hosting;

/// <summary>
/// The per-user configuration folder, outside any worker's working folder (issue 7 item 7): where
/// <c>init</c> writes the admin's consent signing key and the kernel keeps its checkpoint key.
/// <c>$XDG_CONFIG_HOME/aligntrue-ops</c> when XDG_CONFIG_HOME is an absolute path, otherwise
/// <c>~/.config/aligntrue-ops</c> (on Windows <c>%APPDATA%\aligntrue-ops</c>). Created 0700 on first use.
/// </summary>
internal static class UserConfig
{
    public const string FolderName = "aligntrue-ops";

    /// <summary>The folder's path; nothing is created.</summary>
    public static string Directory
    {
        get
        {
            if (OperatingSystem.IsWindows())
            {
                return Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.ApplicationData), FolderName);
            }

            var xdg = Environment.GetEnvironmentVariable("XDG_CONFIG_HOME");
            var root = !string.IsNullOrEmpty(xdg) && Path.IsPathRooted(xdg)
                ? xdg
                : Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".config");
            return Path.Combine(root, FolderName);
        }
    }

    /// <summary>Default consent signing key file of an actor: <c>&lt;folder&gt;/&lt;actor&gt;-signer.pem</c>.</summary>
    public static string SignerKeyFile(string actorId) => Path.Combine(Directory, $"{actorId}-signer.pem");

    /// <summary>Default checkpoint signing key file: <c>&lt;folder&gt;/checkpoint-key.pem</c>.</summary>
    public static string CheckpointKeyFile => Path.Combine(Directory, "checkpoint-key.pem");
}
