using System.Text;
using System.Text.Json;
using Ops.Core.Envelopes;
using Ops.Core.Errors;
using Ops.Core.Hosting;
using Ops.Core.Identity;
using Ops.Core.Storage;

namespace Ops.Core.Log.Checkpoints;

/// <summary>
/// Signs checkpoints of the committed head with the checkpoint key, writes each where the operator
/// said (a folder outside the data folder, or standard output), and records it as
/// <c>core.CheckpointSigned</c> on <c>core:checkpoints</c>. Only committed rows are signed: the heads are
/// read from a snapshot outside the writer's transaction, so a checkpoint never names a row that a
/// failed batch takes back.
/// </summary>
internal sealed class CheckpointService
{
    public const string StandardOutput = "-";

    private readonly IEventStore _events;
    private readonly LogWriter _writer;
    private readonly string _mode;
    private readonly TimeProvider _time;
    private readonly SemaphoreSlim _signing = new(1, 1);

    public CheckpointService(IEventStore events, LogWriter writer, CheckpointOptions options, string mode, string contentRoot, TimeProvider time)
    {
        _events = events;
        _writer = writer;
        _mode = mode;
        _time = time;
        Options = options;
        (KeyFile, Directory) = Resolve(options, contentRoot);
    }

    /// <summary>The absolute key file and checkpoint folder (null for standard output) that <paramref name="options"/> name.</summary>
    public static (string KeyFile, string? Directory) Resolve(CheckpointOptions options, string contentRoot)
    {
        var keyFile = string.IsNullOrWhiteSpace(options.KeyFile) ? UserConfig.CheckpointKeyFile : Path.GetFullPath(options.KeyFile, contentRoot);
        var directory = string.IsNullOrWhiteSpace(options.Directory) ? "checkpoints" : options.Directory.Trim();
        return (keyFile, directory == StandardOutput ? null : Path.GetFullPath(directory, contentRoot));
    }

    public CheckpointOptions Options { get; }

    /// <summary>The checkpoint key file (absolute).</summary>
    public string KeyFile { get; }

    /// <summary>The checkpoint folder (absolute), or null when checkpoints go to standard output.</summary>
    public string? Directory { get; }

    public IReadOnlyList<CheckpointFile> ReadCheckpoints() => Directory is null ? [] : CheckpointStore.Read(Directory);

    /// <summary>The public half of the key file, or null when there is no key file yet.</summary>
    public TrustedCheckpointKey? TrustedKey()
    {
        using var key = CheckpointKey.Load(KeyFile);
        return TrustedCheckpointKey.Ring(key, Options.TrustedKeys);
    }

    /// <summary>
    /// The key, created on first use. A missing key file is not replaced while the checkpoint folder holds
    /// checkpoints of another key: that would silently stop every old checkpoint from verifying.
    /// </summary>
    /// <exception cref="OpsException"><c>integrity_violation</c> in that case; nothing is created.</exception>
    public CheckpointKey KeyForSigning()
    {
        if (CheckpointKey.Load(KeyFile) is { } existing)
        {
            return existing;
        }

        var orphaned = ReadCheckpoints().Where(f => f.Checkpoint is not null).Select(f => f.Checkpoint!.KeyId).Distinct(StringComparer.Ordinal).ToList();
        if (orphaned.Count > 0)
        {
            throw new OpsException(
                ReasonCodes.IntegrityViolation,
                $"The checkpoint key file {KeyFile} is missing, but {Directory} holds checkpoints signed by key {string.Join(", ", orphaned)}. " +
                "Restore the key file from your backup (or set Ops:Checkpoints:KeyFile to it); to start over with a new key, move those checkpoints out of the folder first. Nothing was signed and no key was created.");
        }

        return CheckpointKey.Create(KeyFile);
    }

    /// <summary>
    /// Signs the committed head, writes the checkpoint (file, or one JSON line to <paramref name="standardOutput"/>
    /// when the folder is <c>-</c>) and records <c>core.CheckpointSigned</c>.
    /// </summary>
    /// <param name="skipWhenUnchanged">For the schedule: sign nothing when the last event is itself a checkpoint.</param>
    /// <param name="standardOutput">Where <c>-</c> writes.</param>
    /// <param name="cancellationToken">Cancels before signing.</param>
    /// <returns>The checkpoint and the file written (null for standard output), or null when skipped.</returns>
    public async Task<SignedCheckpointResult?> SignAsync(bool skipWhenUnchanged, TextWriter? standardOutput, CancellationToken cancellationToken)
    {
        await _signing.WaitAsync(cancellationToken);
        try
        {
            var heads = await _events.ReadHeadsAsync(cancellationToken);
            if (skipWhenUnchanged && heads.HeadEventType == CheckpointEventTypes.CheckpointSigned)
            {
                return null;
            }

            // Never sign an altered schema as if it were the one the migrations create: that would launder it.
            var schema = await _events.ReadLogSchemaAsync(cancellationToken);
            if (schema is not null && await _events.ExpectedLogSchemaAsync(cancellationToken) is { } expected && schema.Hash != expected.Hash)
            {
                throw new OpsException(ReasonCodes.SchemaAltered, $"The schema of the log's tables is not the one the migrations create ({schema.DescribeAgainst(expected)}), so the append-only triggers may no longer hold. Run 'log verify' and restore the database from a backup taken before the change. Nothing was signed.");
            }

            using var key = KeyForSigning();
            var checkpoint = CheckpointSigning.Sign(key.Key, heads.Position, Convert.ToHexStringLower(heads.RowHash), heads.OutcomesSeq, Convert.ToHexStringLower(heads.OutcomesHash), _time.GetUtcNow(), schema?.Hash);
            string? path = null;
            if (Directory is null)
            {
                var sink = standardOutput ?? Console.Out;
                await sink.WriteLineAsync(Encoding.UTF8.GetString(CheckpointStore.Serialize(checkpoint)));
                await sink.FlushAsync(cancellationToken);
            }
            else
            {
                // The file first: it is the anchor outside the database; the event only mirrors it.
                path = CheckpointStore.Write(Directory, checkpoint);
            }

            await RecordAsync(checkpoint, cancellationToken);
            return new SignedCheckpointResult(checkpoint, path);
        }
        finally
        {
            _signing.Release();
        }
    }

    private Task<bool> RecordAsync(CheckpointSigned checkpoint, CancellationToken cancellationToken)
    {
        var payload = JsonSerializer.SerializeToElement(checkpoint, OpsJson.Options);
        var nativeId = ContentHash.OfJson(payload);
        var correlation = DeterministicIds.Derive("checkpoint", nativeId);
        var draft = EventDraft.Create(
            CheckpointEventTypes.CheckpointSigned, 1, payload, "kernel:checkpoints", nativeId, null, checkpoint.SignedAt,
            new Causation(correlation, null, null), new ActorRef("kernel", ActorKind.Service), null, null,
            new IdentityScope("system", _mode, null, "kernel"), CheckpointEventTypes.Stream);
        return _writer.ExecuteAsync(
            async (session, ct) =>
            {
                await session.AppendAsync(CheckpointEventTypes.Stream, null, [draft], ct);
                return true;
            },
            cancellationToken);
    }
}

/// <summary>A signed checkpoint and the file it was written to (null when it went to standard output).</summary>
public sealed record SignedCheckpointResult(CheckpointSigned Checkpoint, string? Path);
