namespace Ops.Core.Envelopes;

/// <summary>Action safety classes of constitution A5, declared per command type in the contract module.</summary>
public enum SafetyClass
{
    /// <summary>Reads only.</summary>
    Read = 1,

    /// <summary>Writes the kernel's own log.</summary>
    WriteInternal = 2,

    /// <summary>Causes an outbound side effect; needs the outbox, approval, quotas, kill switch, compensation and a receipt.</summary>
    WriteExternalSideEffect = 3,
}
