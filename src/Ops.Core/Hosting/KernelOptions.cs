using System.ComponentModel.DataAnnotations;

namespace Ops.Core.Hosting;

/// <summary>Kernel settings, bound from configuration section <c>Ops</c> and validated at start.</summary>
public sealed class KernelOptions
{
    /// <summary>Host mode written into every record's identity scope: <c>system</c>, <c>enterprise</c>, <c>saas</c> or <c>lab</c> (seed 001).</summary>
    /// <value>Default <c>system</c>.</value>
    [Required]
    [RegularExpression("^(system|enterprise|saas|lab)$", ErrorMessage = "Ops:Mode must be system, enterprise, saas or lab.")]
    public string Mode { get; set; } = "system";

    /// <summary>SQLite synchronous setting of the log: <c>FULL</c> acknowledges only what survives power loss; <c>NORMAL</c> may lose the last commits on power loss (never on a process crash).</summary>
    /// <value>Default <c>FULL</c> (DESIGN.md §3).</value>
    [Required]
    [RegularExpression("^(FULL|NORMAL)$", ErrorMessage = "Ops:Synchronous must be FULL or NORMAL.")]
    public string Synchronous { get; set; } = "FULL";

    /// <summary>How often projections and connectors look for new work when no commit signalled it, in milliseconds.</summary>
    /// <value>Default 1,000 ms.</value>
    [Range(10, 60_000)]
    public int PollIntervalMs { get; set; } = 1_000;

    /// <summary>Folder that relative paths in routes and checkpoint settings resolve against.</summary>
    /// <value>Default: the host's content root, or the current directory when there is no host.</value>
    public string? ContentRoot { get; set; }
}
