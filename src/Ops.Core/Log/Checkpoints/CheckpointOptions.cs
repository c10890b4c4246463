using System.ComponentModel.DataAnnotations;

namespace Ops.Core.Log.Checkpoints;

/// <summary>Signed checkpoints (issue 7 item 5), bound from configuration section <c>Ops:Checkpoints</c> and validated at start.</summary>
public sealed class CheckpointOptions
{
    /// <summary>The checkpoint private key (PEM, P-256), created 0600 on first use. Keep it off the machine's backups of the database.</summary>
    /// <value>Default <c>$XDG_CONFIG_HOME/aligntrue-ops/checkpoint-key.pem</c> (or <c>~/.config/aligntrue-ops/checkpoint-key.pem</c>).</value>
    public string? KeyFile { get; set; }

    /// <summary>
    /// Where checkpoint files are written, one JSON file per checkpoint; relative paths are under the
    /// content root. <c>-</c> writes each checkpoint as one JSON line to standard output instead, for
    /// shipping elsewhere.
    /// </summary>
    /// <value>Default <c>checkpoints</c> (beside <c>data/</c>, outside the data folder).</value>
    public string? Directory { get; set; }

    /// <summary>How often the worker signs a checkpoint when the log has moved, in seconds; 0 turns the schedule off.</summary>
    /// <value>Default 300 s.</value>
    [Range(0, 86_400, ErrorMessage = "Ops:Checkpoints:IntervalSeconds must be 0 to 86400.")]
    public int IntervalSeconds { get; set; } = 300;

    /// <summary>
    /// The checkpoint public keys of the other workers sharing this log (each a base64 SubjectPublicKeyInfo, as
    /// <c>log checkpoint</c> prints it, or a PEM file), trusted beside this worker's own key by <c>log verify</c> and the
    /// start check, so several workers may each sign with their own key (issue 15 item 5). Sharing one key file by
    /// configuration works too.
    /// </summary>
    /// <value>Default none.</value>
    public IList<string> TrustedKeys { get; } = [];
}
