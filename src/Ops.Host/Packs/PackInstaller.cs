using System.Text.Json;
using Ops.Core.Commands;
using Ops.Core.Envelopes;
using Ops.Core.Hosting;
using Ops.Core.Identity;
using Ops.Core.Packs.Install;
using Ops.Verification;

namespace Ops.Host.Packs;

/// <summary>
/// What the CLI's <c>packs install</c> and <c>POST /v1/packs/proposals</c> share: verify the folder, turn a
/// passing verification into a <c>core.InstallPack</c> command (proposed, consented and committed like any
/// other change), and append a safety event for every refused install (seed 001: recorded even when
/// enforcement denies execution) while the refused install itself writes nothing.
/// </summary>
internal static class PackInstaller
{
    /// <summary>Verifies <paramref name="folder"/>; on refusal records the safety event and returns no command.</summary>
    public static async Task<(InstallPack? Command, PackVerification Verification)> VerifyAsync(OpsRuntime runtime, PackVerifier verifier, CallerContext caller, string folder, bool upgrade, string route, CancellationToken cancellationToken)
    {
        var verification = verifier.Verify(folder);
        if (!verification.IsAccepted)
        {
            await runtime.RecordRefusalAsync(caller, route, verification.ReasonCode, verification.Describe(), cancellationToken);
            return (null, verification);
        }

        var m = verification.Manifest!;
        var (files, contracts) = verification.InstallRecords();
        var command = new InstallPack(m.PackId, m.Version, verification.Snapshot!.ContentHash, m.Exports, m.DependsOn, verification.Directory, verification.PublisherKeyId, upgrade) { Files = files, Contracts = contracts };
        return (command, verification);
    }

    /// <summary>The envelope of an install command.</summary>
    public static CommandEnvelope Envelope(InstallPack command) => new()
    {
        CommandType = PackInstallNames.InstallPack,
        TargetRef = PackInstallNames.TargetOf(command.PackId),
        Payload = JsonSerializer.SerializeToElement(command, OpsJson.Options),
    };
}
