using System.CommandLine;
using Ops.Core.Hosting;

namespace Ops.Host.Cli;

/// <summary>
/// Destructive admin acts ask first (issue 15 item 3): removing a pack, and disabling the last administrator or revoking
/// its last API key. The CLI never prompts (it runs in scripts and CI): such an act needs <c>--yes</c>, and without it
/// the verb says what it would do, changes nothing and exits 2.
/// </summary>
internal static class CliConfirm
{
    /// <summary>The <c>--yes</c> option of a destructive verb.</summary>
    public static Option<bool> Yes(string what) => new("--yes") { Description = $"Confirm: {what}. Without it, nothing is done." };

    /// <summary>Writes the refusal and returns the usage exit code.</summary>
    public static async Task<int> RefuseAsync(TextWriter error, string consequence)
    {
        await error.WriteLineAsync($"ops: {consequence} Nothing was done; pass --yes to do it.");
        return Edge.EdgeReasons.Usage;
    }

    /// <summary>
    /// Why disabling <paramref name="actorId"/> or revoking API key <paramref name="apiKeyId"/> would leave the worker with no
    /// enabled administrator (an actor holding a root capability, one that names every tenant and every command type)
    /// that can still authenticate; null when another one remains, or when there was none to begin with.
    /// </summary>
    public static async Task<string?> LastAdministratorAsync(OpsSession kernel, string? actorId, string? apiKeyId, CancellationToken ct)
    {
        var now = kernel.Runtime.Time.GetUtcNow();
        var actors = (await kernel.Admin.ActorsAsync(now, ct)).ToDictionary(a => a.ActorId, StringComparer.Ordinal);
        var roots = (await kernel.Admin.CapabilitiesAsync(now, ct))
            .Where(c => c.InvalidReason is null && c.Scope.CommandTypes.Contains("*") && (c.Scope.Tenants?.Contains("*") ?? false))
            .Select(c => c.HolderActorId)
            .Where(a => actors.TryGetValue(a, out var actor) && actor.DisabledReason is null && actor.ActiveApiKeys > 0)
            .ToHashSet(StringComparer.Ordinal);
        var keyOwner = apiKeyId is null ? null : (await kernel.Admin.ApiKeysAsync(ct)).FirstOrDefault(k => k.KeyId == apiKeyId && k.RevokedReason is null)?.ActorId;
        var lost = actorId ?? (keyOwner is not null && actors[keyOwner].ActiveApiKeys == 1 ? keyOwner : null);
        return lost is not null && roots.Count == 1 && roots.Contains(lost)
            ? $"'{lost}' is the last enabled administrator that can authenticate; {(actorId is null ? $"revoking its last API key" : "disabling it")} leaves nobody to administer this worker but 'admin recover' at the database."
            : null;
    }
}
